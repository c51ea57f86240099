/**
 * Ec2Factory for real AWS (and any EC2-compatible endpoint): one SdkEc2Port per account, region and session,
 * with credentials from STS AssumeRole (RoleArn + ExternalId) when the account has a role, else the default
 * credential chain. Honours AWS_ENDPOINT_URL_EC2 through `endpoint`.
 */
import type { EC2Client } from "@aws-sdk/client-ec2";
import { CodedError } from "../../core/errors.js";
import type { Ec2Factory, Ec2Port } from "../../core/ports/ec2.js";
import { createEc2Client, type Ec2ClientOptions, SdkEc2Port } from "./ec2.js";
import type { StsCredentialCache } from "./sts.js";

export interface FactoryAccount {
  id: string;
  regions: string[];
  roleArn?: string;
  externalId?: string;
}

export interface AwsEc2FactoryOptions {
  accounts: FactoryAccount[];
  /** Needed when any account has a roleArn. */
  sts?: StsCredentialCache;
  /** AWS_ENDPOINT_URL_EC2 */
  endpoint?: string;
  /** For accounts without a role: static keys from the config, else the SDK's default credential chain. */
  defaultCredentials?: Ec2ClientOptions["credentials"];
  makeClient?: (options: Ec2ClientOptions) => EC2Client;
}

export class AwsEc2Factory implements Ec2Factory {
  private readonly ports = new Map<string, Ec2Port>();

  constructor(private readonly opts: AwsEc2FactoryOptions) {}

  async forAccount(accountId: string, region: string, sessionName = "spotwise"): Promise<Ec2Port> {
    const account = this.opts.accounts.find((a) => a.id === accountId);
    if (!account) {
      const known = this.opts.accounts.map((a) => a.id).join(", ") || "none";
      throw new CodedError(
        "not_found",
        `account ${accountId} is not configured (configured: ${known}); add it under accounts: in SPOTWISE_CONFIG`,
      );
    }
    if (!account.regions.includes(region)) {
      throw new CodedError(
        "invalid_input",
        `region ${region} is not enabled for account ${accountId} (enabled: ${account.regions.join(", ")}); add it to accounts[].regions`,
      );
    }
    const key = `${accountId}|${region}|${account.roleArn ? sessionName : ""}`;
    const cached = this.ports.get(key);
    if (cached) return cached;
    const credentials = account.roleArn ? this.assumedProvider(account, sessionName) : this.opts.defaultCredentials;
    const make = this.opts.makeClient ?? createEc2Client;
    const port = new SdkEc2Port(make({ region, credentials, endpoint: this.opts.endpoint }), accountId, region);
    if (this.ports.size >= 256) this.ports.delete(this.ports.keys().next().value as string);
    this.ports.set(key, port);
    return port;
  }

  /** An SDK credential provider backed by the STS cache: called on every request, refreshed before expiry. */
  private assumedProvider(account: FactoryAccount, sessionName: string) {
    const sts = this.opts.sts;
    if (!sts) {
      throw new CodedError("config_invalid", `account ${account.id} has a roleArn but no STS client was configured`);
    }
    const roleArn = account.roleArn as string;
    return async () => {
      const c = await sts.credentialsFor({ roleArn, externalId: account.externalId, sessionName });
      return {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        sessionToken: c.sessionToken,
        expiration: c.expiration,
      };
    };
  }
}
