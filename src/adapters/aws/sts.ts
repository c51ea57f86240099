/**
 * Cross-account credentials: STS AssumeRole with the account's RoleArn and ExternalId, a session name carrying
 * the saga id (CloudTrail then shows which switch made each call), cached until shortly before expiry.
 * AccessDenied becomes a message that names the role and says what to fix.
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type STSClientConfig } from "@aws-sdk/client-sts";
import { CodedError } from "../../core/errors.js";
import { awsErrorName, mapAwsError, requestIdOf } from "./errors.js";
import { awsRequestHandler } from "./http.js";

export interface AssumedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface AssumeRoleInput {
  roleArn: string;
  externalId?: string;
  /** e.g. "spotwise-<saga id>"; sanitised to STS's 2–64 characters of [\w+=,.@-]. */
  sessionName: string;
}

export interface StsCacheOptions {
  client: STSClient;
  now?: () => number;
  /** Refresh this long before expiry (default 5 min). */
  refreshMarginMs?: number;
  durationSeconds?: number;
}

/** An STS client honouring AWS_ENDPOINT_URL_STS (passed in from the validated config). */
export function createStsClient(options: {
  region?: string;
  endpoint?: string;
  credentials?: STSClientConfig["credentials"];
}): STSClient {
  const config: STSClientConfig = {
    region: options.region ?? "us-east-1",
    maxAttempts: 3,
    requestHandler: awsRequestHandler(),
  };
  if (options.endpoint) config.endpoint = options.endpoint;
  if (options.credentials) config.credentials = options.credentials;
  return new STSClient(config);
}

/** The account (and ARN) of the credentials in use: STS GetCallerIdentity, which needs no permission. */
export async function callerIdentity(client: STSClient): Promise<{ accountId: string; arn: string }> {
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    if (!out.Account) throw new CodedError("aws_error", "sts:GetCallerIdentity: the response carried no account");
    return { accountId: out.Account, arn: out.Arn ?? "" };
  } catch (e) {
    throw mapAwsError(e, "sts:GetCallerIdentity");
  }
}

export function sessionNameOf(name: string): string {
  const clean = name.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
  return clean.length >= 2 ? clean : "spotwise";
}

const DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "InvalidClientTokenId"]);

export class StsCredentialCache {
  private readonly cache = new Map<string, Promise<AssumedCredentials>>();
  private readonly now: () => number;
  private readonly margin: number;

  constructor(private readonly opts: StsCacheOptions) {
    this.now = opts.now ?? Date.now;
    this.margin = opts.refreshMarginMs ?? 5 * 60_000;
  }

  /** Credentials for the role, from the cache while they are valid for longer than the refresh margin. */
  async credentialsFor(input: AssumeRoleInput): Promise<AssumedCredentials> {
    const sessionName = sessionNameOf(input.sessionName);
    const key = `${input.roleArn}|${input.externalId ?? ""}|${sessionName}`;
    this.prune();
    const cached = this.cache.get(key);
    if (cached) {
      const c = await cached.catch(() => null);
      if (c && c.expiration.getTime() - this.margin > this.now()) return c;
      if (this.cache.get(key) !== cached) return this.credentialsFor(input);
    }
    const pending = this.assume(input.roleArn, input.externalId, sessionName);
    this.cache.set(key, pending);
    try {
      return await pending;
    } catch (e) {
      if (this.cache.get(key) === pending) this.cache.delete(key);
      throw e;
    }
  }

  private prune(): void {
    if (this.cache.size < 256) return;
    // sessions per saga come and go: drop the oldest entries (insertion order)
    const drop = this.cache.size - 128;
    let n = 0;
    for (const k of this.cache.keys()) {
      if (n++ >= drop) break;
      this.cache.delete(k);
    }
  }

  private async assume(roleArn: string, externalId: string | undefined, sessionName: string) {
    try {
      const out = await this.opts.client.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          ExternalId: externalId,
          RoleSessionName: sessionName,
          DurationSeconds: this.opts.durationSeconds ?? 3600,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new CodedError("aws_error", `sts:AssumeRole ${roleArn}: the response carried no credentials`);
      }
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: new Date(c.Expiration),
      };
    } catch (e) {
      if (e instanceof CodedError) throw e;
      const name = awsErrorName(e);
      if (DENIED.has(name)) {
        throw new CodedError(
          "aws_access_denied",
          `cannot assume role ${roleArn} (${name}). Fix: the role's trust policy must allow sts:AssumeRole for spotwise's own principal${externalId ? " with the condition sts:ExternalId equal to the externalId configured for this account" : " (set accounts[].externalId, the template requires one)"}, and spotwise's policy must allow sts:AssumeRole on it; deploy/cross-account-role.yaml creates a matching role`,
          { awsError: name, requestId: requestIdOf(e), roleArn },
          { cause: e },
        );
      }
      throw mapAwsError(e, `sts:AssumeRole ${roleArn}`);
    }
  }
}
