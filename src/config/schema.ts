/**
 * The configuration: environment variables for the process and its secrets, an optional YAML file
 * (SPOTWISE_CONFIG) for policy, schedules and accounts. Every field has a safe default.
 */
import { validateDetailed } from "node-cron";
import { z } from "zod";

/** A cron expression, checked by node-cron's own validator (the one that will schedule it). */
const cron = z.string().superRefine((expr, ctx) => {
  const v = validateDetailed(expr);
  if (v.valid) return;
  const why = v.errors.map((e) => (e.field === "expression" ? e.message : `${e.field}: ${e.message}`)).join("; ");
  ctx.addIssue({
    code: "custom",
    message: `"${expr}" is not a cron expression (${why}): use 5 or 6 fields such as "*/5 * * * *"`,
  });
});

/** An IANA time zone the runtime knows ("UTC", "Europe/Paris"). */
const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: "an IANA time zone such as UTC or Europe/Paris" },
);

export const AccountConfig = z.strictObject({
  id: z.string().regex(/^(\d{12}|sim|local)$/, "a 12-digit AWS account id (or 'sim' for the simulated cloud)"),
  name: z.string().min(1).optional(),
  roleArn: z
    .string()
    .regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/, "an IAM role ARN like arn:aws:iam::123456789012:role/spotwise")
    .optional(),
  externalId: z.string().min(2).max(1224).optional(),
  regions: z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "an AWS region such as us-east-1")).min(1),
  /** Subnet per AZ for AZ moves: { "us-east-1b": "subnet-0abc" } */
  subnets: z.record(z.string(), z.string()).default({}),
  twoPersonRule: z.boolean().default(false),
});
export type AccountConfig = z.infer<typeof AccountConfig>;

export const PolicyConfig = z.strictObject({
  /** Hours the saving is counted over when paying back a switch. */
  horizonHours: z
    .number()
    .positive()
    .default(24 * 14),
  /** A switch must pay back its cost this many times over the horizon (hysteresis). */
  paybackMargin: z.number().min(1).default(1.5),
  /** Interruption cost, in hours of the instance's on-demand price. */
  interruptionCostOdHours: z.number().min(0).default(2),
  /** Switch cost, in hours of the instance's on-demand price (image, double running, warm-up). */
  switchCostOdHours: z.number().min(0).default(0.5),
  /**
   * P(interruption within the next hour) above which a pool is not a target, and above which (sustained for an
   * hour) an instance may leave its pool early. Scale: core/policy/risk.ts (advisor buckets are 3e-5..3.4e-4/h).
   */
  riskCeiling: z.number().min(0).max(1).default(0.005),
  /** A pool whose newest price record is older than this many hours is not a candidate (stale market data). */
  maxPriceAgeHours: z.number().positive().default(48),
  /** A target whose model P(launch finds no capacity) is above this is vetoed (1 = never). */
  maxLaunchFailure: z.number().min(0).max(1).default(0.9),
  minHoursInPool: z.number().min(0).default(24),
  maxSwitchesPerWeek: z.number().int().min(0).default(2),
  /** Share of the fleet allowed to be switching at once. */
  fleetDisruptionBudget: z.number().min(0).max(1).default(0.1),
  minSavingPct: z.number().min(0).default(2),
  minSavingUsdMonth: z.number().min(0).default(3),
  maxVcpuFactor: z.number().min(1).default(2),
  /** Half-life (hours) of the exponentially weighted mean price of each pool. */
  priceHalfLifeHours: z.number().positive().default(48),
  /** Share of the gap between price now and its recent mean held against a move (0 = price now only). */
  meanWeight: z.number().min(0).max(1).default(0.75),
  /** Half-life (hours) of the slower mean price the pool an instance is in is also judged at (0 = off). */
  stayLevelHalfLifeHours: z.number().min(0).default(168),
  allowFamilies: z.array(z.string()).default([]),
  denyFamilies: z.array(z.string()).default([]),
});
export type PolicyConfig = z.infer<typeof PolicyConfig>;

export const ScheduleConfig = z.strictObject({
  timezone: timezone.default("UTC"),
  scrape: cron.default("*/5 * * * *"),
  decide: cron.default("*/15 * * * *"),
  label: cron.default("0 * * * *"),
  digest: cron.default("0 9 * * *"),
  cleanup: cron.default("30 * * * *"),
  /** Unfinished switch sagas are driven forward or back (ReconcileJob). */
  reconcile: cron.default("*/5 * * * *"),
});

export const SwitchConfig = z.strictObject({
  noReboot: z.boolean().default(false),
  imageRetentionHours: z.number().min(0).default(72),
  imageDeadlineMinutes: z.number().positive().default(60),
  launchDeadlineMinutes: z.number().positive().default(15),
  healthDeadlineMinutes: z.number().positive().default(10),
  healthCheckUrl: z.string().url().optional(),
  dailyBudget: z.number().int().min(0).default(20),
  breakerThreshold: z.number().int().min(1).default(3),
  breakerCooldownMinutes: z.number().positive().default(60),
  approvalTtlMinutes: z.number().positive().default(240),
  /** How often the switch saga polls EC2 while it waits (image, status checks, health). */
  pollIntervalSeconds: z.number().positive().default(15),
  /** Days of shadow mode (with recommendations and counterfactuals) before `/spot mode approve` is allowed. */
  shadowPeriodDays: z.number().min(0).default(7),
});

export const SlackConfig = z.strictObject({
  /**
   * Share of the posted saving the saving may move by while the advice holds: within it the recommendation is
   * updated in place; beyond it (or on another target pool) a new message is posted.
   */
  repostSavingShare: z.number().min(0).default(0.25),
  /** Shortest spacing of two progress updates of a switch's message, seconds. */
  progressIntervalSeconds: z.number().min(0).default(5),
});

export const FileConfig = z.strictObject({
  accounts: z.array(AccountConfig).default([]),
  policy: PolicyConfig.default(PolicyConfig.parse({})),
  schedule: ScheduleConfig.default(ScheduleConfig.parse({})),
  switch: SwitchConfig.default(SwitchConfig.parse({})),
  slack: SlackConfig.default(SlackConfig.parse({})),
  market: z
    .strictObject({
      retentionDays: z.number().positive().default(30),
      advisorUrl: z.string().url().default("https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json"),
      interruptionQueueUrl: z.string().url().optional(),
      /** Imported prices above this multiple of the type's on-demand price are refused. */
      maxPriceMultiple: z.number().positive().default(10),
      /** Imported prices above this (USD per hour) are refused for types without a known on-demand price. */
      maxPriceUsdPerHour: z.number().positive().default(1000),
    })
    .default({
      retentionDays: 30,
      advisorUrl: "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json",
      maxPriceMultiple: 10,
      maxPriceUsdPerHour: 1000,
    }),
  /** How long the rows written every tick are kept; the cleanup job deletes older ones. */
  retention: z
    .strictObject({
      decisionDays: z.number().positive().default(90),
      predictionDays: z.number().positive().default(90),
      tickLogDays: z.number().positive().default(30),
    })
    .default({ decisionDays: 90, predictionDays: 90, tickLogDays: 30 }),
  models: z
    .strictObject({
      maxBytes: z
        .number()
        .int()
        .positive()
        .default(50 * 1024 * 1024),
      dir: z.string().optional(),
      /** What a challenger needs before `models promote` accepts it (override: --force --reason, audited). */
      promotion: z
        .strictObject({
          minShadowHours: z.number().min(0).default(72),
          minOutcomes: z.number().int().min(0).default(200),
        })
        .default({ minShadowHours: 72, minOutcomes: 200 }),
    })
    .default({ maxBytes: 50 * 1024 * 1024, promotion: { minShadowHours: 72, minOutcomes: 200 } }),
});
export type FileConfig = z.infer<typeof FileConfig>;

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const csv = optionalNonEmpty.transform((v) =>
  v
    ? v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [],
);

export const EnvConfig = z.object({
  DATABASE_URL: optionalNonEmpty.pipe(
    z
      .string()
      .regex(/^(postgres(ql)?:\/\/|pglite:\/\/)/, "postgres://user@host:5432/db, pglite://memory or pglite:///path")
      .optional(),
  ),
  SPOTWISE_DATA_DIR: z.string().default(".spotwise"),
  REDIS_URL: optionalNonEmpty.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, "redis://host:6379/0")
      .optional(),
  ),
  SPOTWISE_MODE: z.enum(["shadow", "approve"]).default("shadow"),
  /** "sim" runs against the simulated cloud (a seeded fleet, simulated time) instead of AWS. */
  SPOTWISE_CLOUD: z.enum(["aws", "sim"]).default("aws"),
  SPOTWISE_CONFIG: optionalNonEmpty,
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** On SIGTERM, running work gets this long to stop at a safe point before the process exits. */
  SPOTWISE_SHUTDOWN_SECONDS: z.coerce.number().positive().max(3600).default(30),
  SLACK_BOT_TOKEN: optionalNonEmpty.pipe(z.string().startsWith("xoxb-", "a bot token starting with xoxb-").optional()),
  SLACK_SIGNING_SECRET: optionalNonEmpty,
  SLACK_APP_TOKEN: optionalNonEmpty.pipe(z.string().startsWith("xapp-", "an app token starting with xapp-").optional()),
  SLACK_API_URL: optionalNonEmpty.pipe(z.string().url().optional()),
  SLACK_CHANNEL: optionalNonEmpty,
  SLACK_APPROVERS: csv,
  SLACK_APPROVER_GROUP: optionalNonEmpty,
  /** Admins (pause, resume, mode, breaker reset, model upload and promotion): user ids, and/or a user group. */
  SLACK_ADMINS: csv,
  SLACK_ADMIN_GROUP: optionalNonEmpty,
  AWS_REGION: optionalNonEmpty,
  AWS_ENDPOINT_URL_EC2: optionalNonEmpty.pipe(z.string().url().optional()),
  AWS_ENDPOINT_URL_STS: optionalNonEmpty.pipe(z.string().url().optional()),
  AWS_ACCESS_KEY_ID: optionalNonEmpty,
  AWS_SECRET_ACCESS_KEY: optionalNonEmpty,
  AWS_SESSION_TOKEN: optionalNonEmpty,
});
export type EnvConfig = z.infer<typeof EnvConfig>;

export interface Config {
  env: EnvConfig;
  file: FileConfig;
  /** Where the config file was read from, if any. */
  source: string | null;
}
