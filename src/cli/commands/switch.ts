/**
 * `spotwise switch INSTANCE_ID --to TYPE[@AZ][,TYPE[@AZ]…]`: the guarded switch saga for an operator.
 * Prints the plan with --dry-run, refuses without --yes, respects mode, pause, breaker and budget, and exits
 * non-zero with the reason on refusal or rollback. SPOTWISE_CLOUD=sim runs it against a seeded simulated fleet.
 */
import { randomUUID } from "node:crypto";
import type { Command } from "commander";
import { z } from "zod";
import { DbControlStore } from "../../adapters/db/control-repo.js";
import { DbSagaStore } from "../../adapters/db/saga-repo.js";
import { createLogger } from "../../adapters/log/logger.js";
import { SimCloud } from "../../adapters/sim/cloud.js";
import { SIM_ACCOUNT, seedSimFleet } from "../../adapters/sim/seed.js";
import { awsCloud, simCloudPorts } from "../../app/cloud.js";
import { openInfra } from "../../app/infra.js";
import { loadConfig } from "../../config/load.js";
import type { Config } from "../../config/schema.js";
import { ControlService } from "../../core/control/service.js";
import { CodedError } from "../../core/errors.js";
import { type Clock, ManualClock, systemClock } from "../../core/ports/clock.js";
import type { Ec2Factory } from "../../core/ports/ec2.js";
import { SwitchSagaRunner } from "../../core/switch/saga.js";
import { switchSettingsFrom } from "../../core/switch/settings.js";
import type { HealthChecker, SagaOutcome, SwitchRequest, TargetGroupFactory } from "../../core/switch/types.js";
import type { PoolKey } from "../../core/types.js";
import { CliExit, type CliIo } from "../io.js";

const Args = z.object({
  instanceId: z.string().regex(/^i-[0-9a-z]{4,32}$/, "an instance id like i-0123456789abcdef0"),
  to: z
    .string()
    .regex(
      /^[a-z0-9-]+\.[a-z0-9-]+(@[a-z]{2}(-gov)?-[a-z]+-\d[a-z])?(,[a-z0-9-]+\.[a-z0-9-]+(@[a-z]{2}(-gov)?-[a-z]+-\d[a-z])?)*$/,
      "TYPE[@AZ], comma-separated alternatives, e.g. m5a.large@us-east-1b,m6i.large",
    ),
  account: z
    .string()
    .regex(/^(\d{12}|sim|local)$/, "a 12-digit AWS account id")
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "an AWS region such as us-east-1")
    .optional(),
  dryRun: z.boolean().default(false),
  yes: z.boolean().default(false),
});
type Args = z.infer<typeof Args>;

export function register(program: Command, io: CliIo): void {
  program
    .command("switch")
    .description("Switch an instance into another spot pool: image, launch, verify, move identity, terminate old")
    .argument("<instance-id>", "the instance to switch (tagged spotwise:managed=true)")
    .requiredOption(
      "--to <pools>",
      "target TYPE[@AZ]; comma-separated alternatives tried on InsufficientInstanceCapacity",
    )
    .option("--account <id>", "AWS account id (default: the only configured account)")
    .option("--region <region>", "region (default: the account's first region)")
    .option("--dry-run", "check every guard and print the plan; change nothing")
    .option("--yes", "really switch (required)")
    .action(async (instanceId: string, opts: Record<string, unknown>) => {
      const parsed = Args.safeParse({ instanceId, ...opts });
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw new CodedError("invalid_input", `spotwise switch: ${i?.path.join(".")}: ${i?.message}`);
      }
      await runSwitch(io, parsed.data);
    });
}

interface Wiring {
  ec2: Ec2Factory;
  targetGroups?: TargetGroupFactory;
  health: HealthChecker;
  accountId: string;
  region: string;
  clock: Clock;
}

function wire(config: Config, args: Args, env: NodeJS.ProcessEnv): Wiring {
  if (config.env.SPOTWISE_CLOUD === "sim") {
    const region = args.region ?? config.env.AWS_REGION ?? "us-east-1";
    const accountId = args.account ?? SIM_ACCOUNT;
    // simulated time: every wait of the saga moves the simulated cloud's clock instantly
    const clock = new ManualClock(Date.now());
    const cloud = new SimCloud({ clock });
    seedSimFleet(cloud, { accountId, region });
    return {
      ...simCloudPorts(cloud),
      accountId,
      region,
      clock,
    };
  }
  const accounts = config.file.accounts;
  const account = args.account
    ? accounts.find((a) => a.id === args.account)
    : accounts.length === 1
      ? accounts[0]
      : undefined;
  if (!account) {
    const known = accounts.map((a) => a.id).join(", ") || "none";
    throw new CliExit(
      2,
      args.account
        ? `spotwise switch: account ${args.account} is not configured (configured: ${known}); add it under accounts: in SPOTWISE_CONFIG`
        : `spotwise switch: pass --account (configured accounts: ${known})`,
    );
  }
  const region = args.region ?? account.regions[0] ?? (config.env.AWS_REGION as string);
  return { ...awsCloud(config, env), accountId: account.id, region, clock: systemClock };
}

function parseTargets(to: string, region: string, currentAz: string): PoolKey[] {
  return to.split(",").map((t) => {
    const [instanceType, az] = t.split("@") as [string, string | undefined];
    return { region, az: az ?? currentAz, instanceType };
  });
}

async function runSwitch(io: CliIo, args: Args): Promise<void> {
  const config = loadConfig(io.env);
  const w = wire(config, args, io.env);
  const level = config.env.LOG_LEVEL === "debug" || config.env.LOG_LEVEL === "trace" ? config.env.LOG_LEVEL : "silent";
  const infra = await openInfra(config, { clock: w.clock, log: createLogger({ level }) });
  try {
    const sw = config.file.switch;
    const control = new ControlService(new DbControlStore(infra.db), infra.audit, w.clock, {
      defaultMode: config.env.SPOTWISE_MODE,
      breakerThreshold: sw.breakerThreshold,
      breakerCooldownMs: sw.breakerCooldownMinutes * 60_000,
      dailyBudget: sw.dailyBudget,
    });
    const runner = new SwitchSagaRunner({
      store: new DbSagaStore(infra.db),
      control,
      leases: infra.leases,
      ec2: w.ec2,
      audit: infra.audit,
      clock: w.clock,
      settings: switchSettingsFrom(sw, config.file.accounts),
      newId: randomUUID,
      targetGroups: w.targetGroups,
      health: w.health,
    });
    const ec2 = await w.ec2.forAccount(w.accountId, w.region, "spotwise-cli");
    const [inst] = await ec2.describeInstances({ instanceIds: [args.instanceId] }).catch(() => []);
    if (!inst)
      throw new CliExit(1, `spotwise switch: instance ${args.instanceId} not found in ${w.accountId}/${w.region}`);
    const operator = io.env.USER || io.env.LOGNAME || "operator";
    const now = w.clock.now();
    const req: SwitchRequest = {
      instanceId: args.instanceId,
      accountId: w.accountId,
      region: w.region,
      targets: parseTargets(args.to, w.region, inst.az),
      requestedBy: `cli:${operator}`,
      approval: { approvedBy: `cli:${operator}`, approvedAt: now, expiresAt: now + sw.approvalTtlMinutes * 60_000 },
    };
    const plan = await runner.plan(req);
    io.stdout(
      `switch ${args.instanceId} in ${w.accountId}/${w.region}${config.env.SPOTWISE_CLOUD === "sim" ? " (simulated cloud)" : ""}`,
    );
    for (const c of plan.checks) io.stdout(`  ✓ ${c}`);
    if (!plan.ok) throw new CliExit(1, `spotwise switch: refused (${plan.code}): ${plan.reason}`);
    io.stdout("plan:");
    for (const [n, p] of plan.plan.entries()) io.stdout(`  ${n + 1}. ${p}`);
    if (args.dryRun) {
      io.stdout("dry run: nothing changed");
      return;
    }
    if (!args.yes) {
      throw new CliExit(
        1,
        "spotwise switch: refusing to switch without --yes; review the plan above and re-run with --yes",
      );
    }
    const out = await runner.start(req, (step, status, text) => {
      if (status !== "started") io.stdout(`  [${step}] ${text}`);
    });
    report(io, out);
  } finally {
    await infra.close();
  }
}

function report(io: CliIo, out: SagaOutcome): void {
  if (out.state === "done") {
    io.stdout(`done: ${out.instanceId} → ${out.newInstanceId} (switch ${out.sagaId})`);
    return;
  }
  const what =
    out.state === "rolled_back"
      ? `rolled back, ${out.instanceId} keeps running`
      : out.state === "in_flight"
        ? "not finished, it resumes on the next daemon start"
        : out.state;
  throw new CliExit(
    1,
    `spotwise switch: ${what} (${out.code}): ${out.reason}${out.sagaId ? ` [switch ${out.sagaId}]` : ""}`,
  );
}
