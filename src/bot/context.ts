import type { IncomingMessage, ServerResponse } from "node:http";
/** What every listener gets: the services, the config, the coordination stores and the helpers built on them. */
import type { WebClient } from "@slack/web-api";
import type { Logger } from "../adapters/log/logger.js";
import { SlackNotifier } from "../adapters/slack/notifier.js";
import type { Clock } from "../core/ports/clock.js";
import type { CacheStore, IdempotencyStore } from "../core/ports/kv.js";
import { ApproverCheck } from "./approvers.js";
import type { BotServices } from "./services.js";
import { TaskTracker } from "./tasks.js";

export interface BotConfig {
  /** xoxb-… (SLACK_BOT_TOKEN). */
  botToken: string;
  /** SLACK_SIGNING_SECRET: required for HTTP mode. */
  signingSecret?: string;
  /** xapp-… (SLACK_APP_TOKEN): Socket Mode when set. */
  appToken?: string;
  /** HTTP port (PORT); 0 picks a free one. */
  port: number;
  /** SLACK_API_URL: Web API base URL override. */
  apiUrl?: string;
  /** SLACK_CHANNEL: where recommendations and digests go. */
  channel?: string;
  /** SLACK_APPROVERS user ids. */
  approvers: string[];
  /** SLACK_APPROVER_GROUP user group id (S…). */
  approverGroup?: string;
  /** Accounts with accounts[].twoPersonRule. */
  twoPersonAccounts: string[];
  /** models.maxBytes: the largest model file accepted. */
  maxModelBytes: number;
}

export interface BotDeps {
  services: BotServices;
  config: BotConfig;
  kv: { idempotency: IdempotencyStore; cache: CacheStore };
  logger: Logger;
  clock: Clock;
  /** Call auth.test at startup to fail fast on a bad token (default true). */
  tokenVerification?: boolean;
  /** WebClient retries (default 3; tests use 0). */
  apiRetries?: number;
  /** HTTP mode: other routes on the receiver's port (the ops endpoints /healthz, /readyz, /metrics). */
  httpRoutes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export interface BotContext extends BotDeps {
  approvers: ApproverCheck;
  tasks: TaskTracker;
  /** Notifier bound to the app's WebClient, used for message updates and thread replies. */
  slack: (channel: string) => SlackNotifier;
}

export function createContext(deps: BotDeps, client: WebClient): BotContext {
  return {
    ...deps,
    approvers: new ApproverCheck({
      users: deps.config.approvers,
      group: deps.config.approverGroup,
      cache: deps.kv.cache,
      client,
      log: deps.logger,
    }),
    tasks: new TaskTracker(deps.logger),
    slack: (channel) => new SlackNotifier({ client, channel }),
  };
}

/** True the first time this key is seen (Slack retries, the same click on several replicas). */
export async function firstDelivery(ctx: BotContext, key: string, ttlMs = 60 * 60 * 1000): Promise<boolean> {
  const r = await ctx.kv.idempotency.claim(key, ttlMs);
  return r.claimed;
}
