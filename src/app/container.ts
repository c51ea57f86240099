/**
 * The composition root: every service of a spotwise process, wired by constructor in this one place.
 * `spotwise start|daemon|bot|scrape|decide|demo` build one container and use the parts they need.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { createSqsClient, SqsSpotEventQueue } from "../adapters/aws/sqs-events.js";
import { syncAccounts } from "../adapters/db/account-repo.js";
import { DbControlStore } from "../adapters/db/control-repo.js";
import { DigestQueries } from "../adapters/db/digest-repo.js";
import { DbExperimentQueries } from "../adapters/db/experiment-queries.js";
import { DbFleetTypes } from "../adapters/db/fleet-types.js";
import { DbHistoryRetention } from "../adapters/db/history-retention.js";
import { DbModelRepository } from "../adapters/db/model-repo.js";
import { DbPredictionRepository } from "../adapters/db/prediction-repo.js";
import { DbRecommendationRepo } from "../adapters/db/recommendation-repo.js";
import { DbSagaStore } from "../adapters/db/saga-repo.js";
import { DbShadowHistory } from "../adapters/db/shadow-history.js";
import { recentSwitches } from "../adapters/db/switch-history.js";
import { MemoryMarketStore } from "../adapters/market/memory.js";
import { RedisMarketStore } from "../adapters/market/redis.js";
import { OnnxModelLoader } from "../adapters/onnx/runner.js";
import { slackFileFetcher } from "../adapters/slack/files.js";
import { notifierFromConfig } from "../adapters/slack/index.js";
import { messageLink } from "../adapters/slack/notifier.js";
import { SlackWriteQueue } from "../adapters/slack/write-queue.js";
import { loadAdvisor, loadCatalog, loadOnDemand, packageRoot } from "../adapters/tables/index.js";
import type { BotServices } from "../bot/services.js";
import { esc } from "../bot/views/format.js";
import { botServicesFrom } from "../bot/wiring.js";
import { Announcer, switchingOffLine } from "../core/control/announcer.js";
import { evaluateChecklist } from "../core/control/checklist.js";
import { ControlService } from "../core/control/service.js";
import { CapacityRecordingEc2Factory } from "../core/market/capacity-recorder.js";
import { SpotPriceScraper } from "../core/market/scraper.js";
import type { AdvisorTable, Catalog, OnDemandTable } from "../core/market/tables.js";
import { ActiveModels } from "../core/models/active-models.js";
import { ChampionChallenger } from "../core/models/champion-challenger.js";
import { OutcomeLabeler } from "../core/models/labeler.js";
import { PromotionGate } from "../core/models/promotion-gate.js";
import { ModelRegistry } from "../core/models/registry.js";
import { validateModel } from "../core/models/validate.js";
import { CompatibleTypes } from "../core/policy/candidates.js";
import type { MarketStore } from "../core/ports/market-store.js";
import type { Notifier } from "../core/ports/notifier.js";
import { RecommendationPublisher } from "../core/recommendations/publisher.js";
import { RecommendationService } from "../core/recommendations/service.js";
import { SwitchSagaRunner } from "../core/switch/saga.js";
import { switchSettingsFrom } from "../core/switch/settings.js";
import type { AccountRef } from "../core/types.js";
import type { Job, JobName } from "../daemon/job.js";
import { CleanupJob } from "../daemon/jobs/cleanup.js";
import { DecideJob } from "../daemon/jobs/decide.js";
import { DigestJob } from "../daemon/jobs/digest.js";
import { LabelJob } from "../daemon/jobs/label.js";
import { ReconcileJob } from "../daemon/jobs/reconcile.js";
import { ScrapeJob } from "../daemon/jobs/scrape.js";
import { JobRunner } from "../daemon/runner.js";
import type { CloudPorts } from "./cloud.js";
import { buildExperimentReport } from "./experiments.js";
import type { Infra } from "./infra.js";
import { countingSwitches, databaseGauges, timedModels } from "./instrument.js";
import { CachedControlStore, CachedModelRepository } from "./read-cache.js";

export interface ContainerOptions {
  cloud: CloudPorts;
  /** Accounts to manage (default: the config file's). */
  accounts?: AccountRef[];
  /** Subnet per account and AZ (default: the config file's accounts[].subnets). */
  subnets?: Record<string, Record<string, string>>;
  notifier?: Notifier;
  market?: MarketStore;
  tables?: { onDemand: OnDemandTable; advisor: AdvisorTable; catalog: Catalog };
  /** Register models/default.onnx as champion when the registry has none (default true). */
  seedDefaultModel?: boolean;
  /** Risk input of the decide job (default "spotwise"; "advisor" for `replay --risk advisor`). */
  risk?: "spotwise" | "advisor";
  /**
   * This process is the database's only writer (`spotwise replay`: PGlite in memory): model and control reads
   * are cached, cleared by every write through the same stores (src/app/read-cache.ts).
   */
  soleWriter?: boolean;
}

export interface Container {
  infra: Infra;
  accounts: AccountRef[];
  market: MarketStore;
  tables: { onDemand: OnDemandTable; advisor: AdvisorTable; catalog: Catalog };
  notifier: Notifier;
  /** The process's one rate-aware Slack write queue (the daemon's notifier and the bot share it). */
  writes: SlackWriteQueue;
  announcer: Announcer;
  registry: ModelRegistry;
  activeModels: ActiveModels;
  scoring: ChampionChallenger;
  control: ControlService;
  runner: SwitchSagaRunner;
  recommendations: RecommendationService;
  publisher: RecommendationPublisher;
  jobs: {
    scrape: ScrapeJob;
    decide: DecideJob;
    label: LabelJob;
    digest: DigestJob;
    cleanup: CleanupJob;
    reconcile: ReconcileJob;
  };
  jobList: Job[];
  jobRunner: JobRunner;
  botServices(): BotServices;
  close(): Promise<void>;
}

export function defaultModelPath(): string {
  return resolve(packageRoot(), "models/default.onnx");
}

/** The region of an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME). */
export function sqsRegion(url: string, fallback = "us-east-1"): string {
  return /sqs[.-]([a-z]{2}(?:-gov)?-[a-z]+-\d)\./.exec(url)?.[1] ?? fallback;
}

export function accountsFromConfig(infra: Infra): AccountRef[] {
  return infra.config.file.accounts.map((a) => ({
    accountId: a.id,
    name: a.name ?? a.id,
    regions: a.regions,
    roleArn: a.roleArn,
    externalId: a.externalId,
  }));
}

export async function buildContainer(infra: Infra, opts: ContainerOptions): Promise<Container> {
  const { config, db, clock, log, audit, health, metrics } = infra;
  const file = config.file;
  const accounts = opts.accounts ?? accountsFromConfig(infra);
  // the configured names are what every message shows: the account table mirrors the config at each start
  await syncAccounts(db, accounts);
  const retentionMs = file.market.retentionDays * 86_400_000;
  const market =
    opts.market ??
    (infra.redis
      ? new RedisMarketStore(infra.redis, { retentionMs, now: () => clock.now() })
      : new MemoryMarketStore({ retentionMs, now: () => clock.now() }));
  const tables = opts.tables ?? {
    onDemand: await loadOnDemand(),
    advisor: await loadAdvisor(),
    catalog: await loadCatalog(),
  };
  const writes = new SlackWriteQueue({
    onRateLimited: (method, ms) => log.warn({ method, retryAfterMs: ms }, "Slack rate limit: call delayed"),
  });
  const notifier = opts.notifier ?? notifierFromConfig(config, { queue: writes });

  const loader = new OnnxModelLoader();
  const modelRepo = new DbModelRepository(db, { dir: file.models.dir });
  const registry = new ModelRegistry({
    repo: opts.soleWriter ? new CachedModelRepository(modelRepo) : modelRepo,
    audit,
    clock,
    validate: (bytes) =>
      validateModel(bytes, { describe: (b) => loader.describe(b), loader, maxBytes: file.models.maxBytes }),
    describe: (b) => loader.describe(b),
    // promotions and rollbacks: announced in the channel like every global change, with who did it
    announce: (text) => notifier.announce(registryAnnouncement(text)),
    gate: new PromotionGate({ queries: new DbExperimentQueries(db), clock, settings: file.models.promotion }),
  });
  if (opts.seedDefaultModel !== false) {
    const seeded = await registry.ensureChampion(new Uint8Array(await readFile(defaultModelPath())), "spotwise");
    if (seeded) await health.ok("model", `champion ${seeded.name} v${seeded.version}`);
  }
  const activeModels = new ActiveModels(registry, timedModels(loader, metrics), health);
  const predictions = new DbPredictionRepository(db);
  const scoring = new ChampionChallenger({ models: activeModels, predictions, metrics, health });

  const sw = file.switch;
  const subnets = { ...Object.fromEntries(file.accounts.map((a) => [a.id, a.subnets ?? {}])), ...opts.subnets };
  for (const a of accounts) if (!subnets[a.accountId]) subnets[a.accountId] = {};
  const shadowHistory = new DbShadowHistory(db);
  const controlStore = new DbControlStore(db);
  const control: ControlService = new ControlService(
    opts.soleWriter ? new CachedControlStore(controlStore) : controlStore,
    audit,
    clock,
    {
      defaultMode: config.env.SPOTWISE_MODE,
      breakerThreshold: sw.breakerThreshold,
      breakerCooldownMs: sw.breakerCooldownMinutes * 60_000,
      dailyBudget: sw.dailyBudget,
      checklist: async () =>
        evaluateChecklist({
          now: clock.now(),
          shadowDays: sw.shadowPeriodDays,
          history: await shadowHistory.shadowHistory(0),
          dailyBudget: sw.dailyBudget,
          channel: config.env.SLACK_CHANNEL ?? null,
          channelHealth: await control.channelHealth(),
          breakers: (await control.status()).breakers,
        }),
    },
  );
  const sagaStore = new DbSagaStore(db);
  const runner = new SwitchSagaRunner({
    store: sagaStore,
    control,
    leases: infra.leases,
    // launches the saga makes are capacity observations of their pools
    ec2: new CapacityRecordingEc2Factory(opts.cloud.ec2, { store: market, clock, log }),
    audit: countingSwitches(audit, metrics),
    clock,
    settings: switchSettingsFrom(
      sw,
      Object.entries(subnets).map(([id, s]) => ({ id, subnets: s })),
    ),
    newId: randomUUID,
    targetGroups: opts.cloud.targetGroups,
    health: opts.cloud.health,
    notifier,
    ownerId: infra.replicaId,
  });
  databaseGauges(metrics, { control, sagas: sagaStore });
  const recommendations = new RecommendationService({
    repo: new DbRecommendationRepo(db),
    audit,
    clock,
    ttlMs: sw.approvalTtlMinutes * 60_000,
  });
  const publisher = new RecommendationPublisher(recommendations, notifier, {
    repostShare: file.slack.repostSavingShare,
    switchingOff: async () => switchingOffLine(await control.switchingState()),
    link: messageLink,
  });
  // pause, resume, mode, breakers: told to the channel with who did it; open messages follow the switching state
  const announcer = new Announcer({ notifier, control, publisher, log }).attach();
  const experiments = () => buildExperimentReport(db, registry, file.policy.riskCeiling);

  // catalog and candidate rules are fixed for the process: the compatible types of a base type are computed once
  const candidateTypes = new CompatibleTypes(tables.catalog, file.policy);
  const jobs = {
    scrape: new ScrapeJob({
      accounts,
      ec2: opts.cloud.ec2,
      scraper: new SpotPriceScraper({ store: market, clock, log }),
      fleet: infra.fleet,
      fleetTypes: new DbFleetTypes(db),
      types: candidateTypes,
      health,
      metrics,
      log,
      spotEvents: file.market.interruptionQueueUrl
        ? {
            queue: new SqsSpotEventQueue(
              createSqsClient({ region: sqsRegion(file.market.interruptionQueueUrl, config.env.AWS_REGION) }),
              file.market.interruptionQueueUrl,
            ),
            store: market,
          }
        : undefined,
    }),
    decide: new DecideJob({
      accounts,
      subnets,
      ec2: opts.cloud.ec2,
      fleet: infra.fleet,
      decisions: infra.decisions,
      market,
      tables,
      candidateTypes,
      scoring,
      control,
      publisher,
      recommendations,
      repostShare: file.slack.repostSavingShare,
      reofferBeforeExpiryMs: Math.min(3_600_000, (sw.approvalTtlMinutes * 60_000) / 2),
      policy: file.policy,
      switchingNow: () => sagaStore.countActive(),
      health,
      metrics,
      log,
      risk: opts.risk,
      planAdvice: async (x) => {
        const plan = await runner.plan(
          {
            instanceId: x.instanceId,
            accountId: x.accountId,
            region: x.from.region,
            targets: [...(x.to ? [x.to] : []), ...x.alternatives],
            requestedBy: "daemon:advice",
          },
          { advice: true },
        );
        return plan.ok ? { ok: true, notCarried: plan.notCarried } : { ok: false, reason: plan.reason };
      },
    }),
    label: new LabelJob({
      labeler: new OutcomeLabeler({ predictions, market, clock }),
      decisions: infra.decisions,
      market,
      onDemand: tables.onDemand,
      switchCostOdHours: file.policy.switchCostOdHours,
    }),
    digest: new DigestJob({ facts: new DigestQueries(db), market, control, experiments, notifier }),
    cleanup: new CleanupJob({
      runner,
      publisher,
      market,
      retentionMs,
      history: new DbHistoryRetention(db, file.retention),
    }),
    reconcile: new ReconcileJob({ runner }),
  } satisfies Record<JobName, Job>;

  const jobRunner = new JobRunner({ clock, log, tickLog: infra.tickLog, metrics, health });
  return {
    infra,
    accounts,
    market,
    tables,
    notifier,
    writes,
    announcer,
    registry,
    activeModels,
    scoring,
    control,
    runner,
    recommendations,
    publisher,
    jobs,
    jobList: Object.values(jobs),
    jobRunner,
    botServices: () =>
      botServicesFrom({
        recommendations,
        runner,
        registry,
        control,
        health,
        experimentReport: experiments,
        audit,
        fetchFile: slackFileFetcher({ token: config.env.SLACK_BOT_TOKEN ?? "" }),
        clock,
        accounts: accounts.map((a) => a.accountId),
        switches: { recent: (n) => recentSwitches(db, n) },
      }),
    async close() {
      await activeModels.close();
    },
  };
}

/**
 * A registry announcement (promotion, rollback) for the channel: its text carries user input (model names, a
 * forced promotion's reason), so it is escaped for Slack (no `<!channel>` from a reason), and then the actor
 * `slack:U…` becomes a mention.
 */
export function registryAnnouncement(text: string): string {
  return esc(text).replace(/\bslack:([UW][A-Z0-9]+)\b/g, "<@$1>");
}
