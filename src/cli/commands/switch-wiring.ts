/**
 * The saga runner of the CLI commands that change instances (`spotwise switch`, `spotwise resume`): the cloud
 * (AWS through the configured accounts, the caller's own account when none is configured, or the simulated
 * cloud), the database, the leases and the notifier, wired in one place.
 */
import { randomUUID } from "node:crypto";
import { callerIdentity, createStsClient } from "../../adapters/aws/sts.js";
import { DbControlStore } from "../../adapters/db/control-repo.js";
import { DbSagaStore } from "../../adapters/db/saga-repo.js";
import { createLogger } from "../../adapters/log/logger.js";
import { notifierFromConfig } from "../../adapters/slack/index.js";
import { awsCloud, simCloudPorts, staticCredentials } from "../../app/cloud.js";
import { type Infra, openInfra } from "../../app/infra.js";
import { openSandbox, SANDBOX_ACCOUNT } from "../../app/sandbox.js";
import type { Config } from "../../config/schema.js";
import { ControlService } from "../../core/control/service.js";
import { type Clock, ManualClock, systemClock } from "../../core/ports/clock.js";
import type { Ec2Factory } from "../../core/ports/ec2.js";
import { SwitchSagaRunner } from "../../core/switch/saga.js";
import { switchSettingsFrom } from "../../core/switch/settings.js";
import type { HealthChecker, TargetGroupFactory } from "../../core/switch/types.js";
import { CliExit } from "../io.js";

export interface CloudWiring {
  ec2: Ec2Factory;
  targetGroups?: TargetGroupFactory;
  health: HealthChecker;
  accountId: string;
  region: string;
  clock: Clock;
  /** Subnets per account and AZ besides the configured ones (the sandbox's). */
  subnets?: Record<string, Record<string, string>>;
  /** Printed before the plan: where this runs. */
  label: string;
}

/**
 * Picks the account and region. With accounts configured: --account, or the only one. With none: the account of
 * the caller's own credentials (STS GetCallerIdentity) in AWS_REGION, and it says so.
 */
export async function wireCloud(
  config: Config,
  args: { account?: string; region?: string; command: string; instanceId?: string },
  env: NodeJS.ProcessEnv,
): Promise<CloudWiring> {
  if (config.env.SPOTWISE_CLOUD === "sim") {
    // the sandbox's own seeded fleet (the one `start`, `daemon` and `decide` see), on simulated time: every
    // wait of the saga moves the simulated cloud's clock instantly
    const clock = new ManualClock(Date.now());
    const sandbox = await openSandbox(config, clock);
    const accountId = args.account ?? SANDBOX_ACCOUNT.accountId;
    const inst = args.instanceId ? sandbox.cloud.instances.get(args.instanceId) : undefined;
    const region = args.region ?? inst?.region ?? sandbox.accounts[0]?.regions[0] ?? "us-east-1";
    return {
      ...simCloudPorts(sandbox.cloud),
      accountId,
      region,
      clock,
      subnets: sandbox.subnets,
      label: `${accountId}/${region} (SPOTWISE_CLOUD=sim: the sandbox's simulated fleet ${sandbox.instanceIds.join(", ")})`,
    };
  }
  const accounts = config.file.accounts;
  if (accounts.length === 0) return callerAccount(config, args, env);
  const account = args.account
    ? accounts.find((a) => a.id === args.account)
    : accounts.length === 1
      ? accounts[0]
      : undefined;
  if (!account) {
    const known = accounts.map((a) => a.id).join(", ");
    throw new CliExit(
      2,
      args.account
        ? `spotwise ${args.command}: account ${args.account} is not configured (configured: ${known}); add it under accounts: in SPOTWISE_CONFIG`
        : `spotwise ${args.command}: pass --account (configured accounts: ${known})`,
    );
  }
  const region = args.region ?? account.regions[0] ?? (config.env.AWS_REGION as string);
  return {
    ...awsCloud(config, env),
    accountId: account.id,
    region,
    clock: systemClock,
    label: `${account.id}/${region}`,
  };
}

async function callerAccount(
  config: Config,
  args: { account?: string; region?: string; command: string },
  env: NodeJS.ProcessEnv,
): Promise<CloudWiring> {
  const region = args.region ?? config.env.AWS_REGION;
  if (!region) {
    throw new CliExit(
      2,
      `spotwise ${args.command}: no accounts are configured and AWS_REGION is not set; set AWS_REGION (or pass --region) to use your own credentials' account, or add accounts: to SPOTWISE_CONFIG`,
    );
  }
  const e = config.env;
  const credentials = staticCredentials(e);
  const me = await callerIdentity(createStsClient({ region, endpoint: e.AWS_ENDPOINT_URL_STS, credentials }));
  if (args.account && args.account !== me.accountId) {
    throw new CliExit(
      2,
      `spotwise ${args.command}: --account ${args.account} is not the account of your credentials (${me.accountId}) and no accounts are configured; add it under accounts: with a roleArn`,
    );
  }
  const own: Config = {
    ...config,
    file: { ...config.file, accounts: [{ id: me.accountId, regions: [region] } as Config["file"]["accounts"][number]] },
  };
  return {
    ...awsCloud(own, env),
    accountId: me.accountId,
    region,
    clock: systemClock,
    label: `${me.accountId}/${region} (no accounts configured: the account of your credentials, ${me.arn}, in ${args.region ? "--region" : "AWS_REGION"})`,
  };
}

export interface CliRunner {
  runner: SwitchSagaRunner;
  infra: Infra;
  close(): Promise<void>;
}

/** A saga runner over the database of `config` and the cloud of `w`. */
export async function openCliRunner(
  config: Config,
  w: Pick<CloudWiring, "ec2" | "targetGroups" | "health" | "clock" | "subnets">,
  write?: (text: string) => void,
) {
  const level = config.env.LOG_LEVEL === "debug" || config.env.LOG_LEVEL === "trace" ? config.env.LOG_LEVEL : "silent";
  const infra = await openInfra(config, { clock: w.clock, log: createLogger({ level }) });
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
    settings: switchSettingsFrom(sw, [
      ...config.file.accounts,
      ...Object.entries(w.subnets ?? {}).map(([id, subnets]) => ({ id, subnets })),
    ]),
    newId: randomUUID,
    targetGroups: w.targetGroups,
    health: w.health,
    notifier: notifierFromConfig(config, { write }),
    ownerId: infra.replicaId,
  });
  return { runner, infra, close: () => infra.close() } satisfies CliRunner;
}
