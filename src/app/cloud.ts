/** The cloud a process talks to: AWS through STS-assumed roles, or the simulated cloud. */
import { AwsTargetGroupFactory } from "../adapters/aws/elb.js";
import { AwsEc2Factory } from "../adapters/aws/factory.js";
import { createStsClient, StsCredentialCache } from "../adapters/aws/sts.js";
import type { SimCloud } from "../adapters/sim/cloud.js";
import { SimEc2Factory, SimHealthChecker, SimTargetGroupFactory } from "../adapters/sim/factory.js";
import type { Config } from "../config/schema.js";
import type { Clock } from "../core/ports/clock.js";
import type { Ec2Factory } from "../core/ports/ec2.js";
import { HttpHealthChecker } from "../core/switch/http-health.js";
import type { HealthChecker, TargetGroupFactory } from "../core/switch/types.js";
import type { AccountRef } from "../core/types.js";
import { openSandbox, type Sandbox } from "./sandbox.js";

export interface CloudPorts {
  ec2: Ec2Factory;
  targetGroups?: TargetGroupFactory;
  health: HealthChecker;
}

/** Static credentials from the environment, when both key parts are set; otherwise the SDK's default chain. */
export function staticCredentials(e: Config["env"]) {
  return e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
    ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, sessionToken: e.AWS_SESSION_TOKEN }
    : undefined;
}

export function awsCloud(config: Config, env: NodeJS.ProcessEnv): CloudPorts {
  const e = config.env;
  const accounts = config.file.accounts;
  const credentials = staticCredentials(e);
  const region = e.AWS_REGION ?? accounts[0]?.regions[0] ?? "us-east-1";
  const sts = new StsCredentialCache({
    client: createStsClient({ region, endpoint: e.AWS_ENDPOINT_URL_STS, credentials }),
  });
  // an EC2-compatible endpoint rarely speaks ELBv2: target groups are carried only when ELB is reachable too
  const elbEndpoint = env.AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2?.trim() || undefined;
  return {
    ec2: new AwsEc2Factory({ accounts, sts, endpoint: e.AWS_ENDPOINT_URL_EC2, defaultCredentials: credentials }),
    targetGroups:
      !e.AWS_ENDPOINT_URL_EC2 || elbEndpoint
        ? new AwsTargetGroupFactory({ accounts, sts, endpoint: elbEndpoint, defaultCredentials: credentials })
        : undefined,
    health: new HttpHealthChecker(),
  };
}

export function simCloudPorts(cloud: SimCloud): CloudPorts {
  return {
    ec2: new SimEc2Factory(cloud),
    targetGroups: new SimTargetGroupFactory(cloud),
    health: new SimHealthChecker(cloud),
  };
}

/** What a process talks to, per SPOTWISE_CLOUD: AWS with the configured accounts, or the sandbox (sandbox.ts). */
export interface CloudSetup {
  cloud: CloudPorts;
  /** Accounts to manage instead of the configured ones (the sandbox account). */
  accounts?: AccountRef[];
  /** Subnets per account and AZ instead of the configured ones. */
  subnets?: Record<string, Record<string, string>>;
  sandbox?: Sandbox;
}

export async function cloudSetup(config: Config, env: NodeJS.ProcessEnv, clock: Clock): Promise<CloudSetup> {
  if (config.env.SPOTWISE_CLOUD !== "sim") return { cloud: awsCloud(config, env) };
  const sandbox = await openSandbox(config, clock);
  return { cloud: simCloudPorts(sandbox.cloud), accounts: sandbox.accounts, subnets: sandbox.subnets, sandbox };
}
