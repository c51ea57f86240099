/**
 * The narrow target-group port on @aws-sdk/client-elastic-load-balancing-v2: which target groups an instance is
 * registered in (DescribeTargetGroups + DescribeTargetHealth), and moving it (RegisterTargets / DeregisterTargets).
 */
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type ElasticLoadBalancingV2ClientConfig,
  RegisterTargetsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { CodedError } from "../../core/errors.js";
import type { TargetGroupFactory, TargetGroupPort } from "../../core/switch/types.js";
import { callAws } from "./errors.js";
import type { FactoryAccount } from "./factory.js";
import { awsRequestHandler, type HttpTimeouts } from "./http.js";
import type { StsCredentialCache } from "./sts.js";

export function createElbClient(options: {
  region: string;
  credentials?: ElasticLoadBalancingV2ClientConfig["credentials"];
  endpoint?: string;
  timeouts?: HttpTimeouts;
}): ElasticLoadBalancingV2Client {
  const config: ElasticLoadBalancingV2ClientConfig = {
    region: options.region,
    retryMode: "adaptive",
    maxAttempts: 5,
    requestHandler: awsRequestHandler(options.timeouts),
  };
  if (options.credentials) config.credentials = options.credentials;
  if (options.endpoint) config.endpoint = options.endpoint;
  return new ElasticLoadBalancingV2Client(config);
}

export class SdkTargetGroupPort implements TargetGroupPort {
  constructor(
    private readonly client: ElasticLoadBalancingV2Client,
    readonly accountId: string,
    readonly region: string,
  ) {}

  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return callAws("elasticloadbalancing", this, operation, run);
  }

  async targetGroupsOf(instanceId: string): Promise<Array<{ targetGroupArn: string; port?: number }>> {
    const out: Array<{ targetGroupArn: string; port?: number }> = [];
    let marker: string | undefined;
    do {
      const page = await this.call("DescribeTargetGroups", () =>
        this.client.send(new DescribeTargetGroupsCommand({ Marker: marker, PageSize: 400 })),
      );
      for (const g of page.TargetGroups ?? []) {
        if (!g.TargetGroupArn || (g.TargetType && g.TargetType !== "instance")) continue;
        const arn = g.TargetGroupArn;
        const health = await this.call("DescribeTargetHealth", () =>
          this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
        );
        for (const t of health.TargetHealthDescriptions ?? []) {
          if (t.Target?.Id === instanceId) out.push({ targetGroupArn: arn, port: t.Target.Port });
        }
      }
      marker = page.NextMarker || undefined;
    } while (marker);
    return out;
  }

  async register(input: { targetGroupArn: string; instanceId: string; port?: number }) {
    const r = await this.call("RegisterTargets", () =>
      this.client.send(
        new RegisterTargetsCommand({
          TargetGroupArn: input.targetGroupArn,
          Targets: [{ Id: input.instanceId, Port: input.port }],
        }),
      ),
    );
    return { requestId: r.$metadata.requestId };
  }

  async deregister(input: { targetGroupArn: string; instanceId: string; port?: number }) {
    const r = await this.call("DeregisterTargets", () =>
      this.client.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: input.targetGroupArn,
          Targets: [{ Id: input.instanceId, Port: input.port }],
        }),
      ),
    );
    return { requestId: r.$metadata.requestId };
  }
}

/** Target-group ports per account, with the same STS-assumed credentials as the EC2 ports. */
export class AwsTargetGroupFactory implements TargetGroupFactory {
  constructor(
    private readonly opts: {
      accounts: FactoryAccount[];
      sts?: StsCredentialCache;
      /** AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 */
      endpoint?: string;
      defaultCredentials?: ElasticLoadBalancingV2ClientConfig["credentials"];
      makeClient?: typeof createElbClient;
    },
  ) {}

  async forAccount(accountId: string, region: string, sessionName = "spotwise"): Promise<TargetGroupPort> {
    const account = this.opts.accounts.find((a) => a.id === accountId);
    if (!account) throw new CodedError("not_found", `account ${accountId} is not configured`);
    const sts = this.opts.sts;
    const roleArn = account.roleArn;
    const credentials =
      roleArn && sts
        ? async () => {
            const c = await sts.credentialsFor({ roleArn, externalId: account.externalId, sessionName });
            return { ...c };
          }
        : this.opts.defaultCredentials;
    const make = this.opts.makeClient ?? createElbClient;
    return new SdkTargetGroupPort(make({ region, credentials, endpoint: this.opts.endpoint }), accountId, region);
  }
}
