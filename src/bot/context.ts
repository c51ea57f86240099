import type { IncomingMessage, ServerResponse } from "node:http";
/** What every listener gets: the services, the config, the coordination stores and the helpers built on them. */
import type { WebClient } from "@slack/web-api";
import type { Logger } from "../adapters/log/logger.js";
import { SlackNotifier } from "../adapters/slack/notifier.js";
import { SlackWriteQueue } from "../adapters/slack/write-queue.js";
import type { Clock } from "../core/ports/clock.js";
import type { CacheStore, IdempotencyStore } from "../core/ports/kv.js";
import { ADMIN_ROLE, APPROVER_ROLE, ApproverCheck, type RoleNames } from "./approvers.js";
import type { BotServices } from "./services.js";
import { TaskTracker } from "./tasks.js";
import { clip } from "./views/format.js";

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
  /** SLACK_ADMINS user ids: pause, resume, mode, breaker reset, model upload and promotion. */
  admins?: string[];
  /** SLACK_ADMIN_GROUP user group id (S…). */
  adminGroup?: string;
  /** Shortest spacing of two progress updates of a switch's message (default 5 s). */
  progressIntervalMs?: number;
  /** Most progress updates of one switch's message besides its first and last (default 6). */
  maxProgressUpdates?: number;
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
  /** The process's one rate-aware Slack write queue (shared with the daemon's notifier); one is made when absent. */
  writes?: SlackWriteQueue;
}

export interface BotContext extends BotDeps {
  approvers: ApproverCheck;
  admins: ApproverCheck;
  tasks: TaskTracker;
  writes: SlackWriteQueue;
  /** Notifier bound to the app's WebClient, used for message updates and thread replies. */
  slack: (channel: string) => SlackNotifier;
  /** An ephemeral message, through the write queue (failures are logged, never thrown). */
  ephemeral: (channel: string, user: string, text: string) => Promise<void>;
}

export function createContext(deps: BotDeps, client: WebClient): BotContext {
  const tasks = new TaskTracker(deps.logger);
  const writes = deps.writes ?? new SlackWriteQueue();
  const role = (users: readonly string[], group: string | undefined, names: RoleNames) =>
    new ApproverCheck({ users, group, cache: deps.kv.cache, client, log: deps.logger, names });
  return {
    ...deps,
    services: {
      ...deps.services,
      // downloads have their own lane: a slow one never holds up clicks or commands
      fetchFile: (url, maxBytes) => tasks.limited(() => deps.services.fetchFile(url, maxBytes), "download"),
    },
    approvers: role(deps.config.approvers, deps.config.approverGroup, APPROVER_ROLE),
    admins: role(deps.config.admins ?? [], deps.config.adminGroup, ADMIN_ROLE),
    tasks,
    writes,
    slack: (channel) => new SlackNotifier({ client, channel, queue: writes }),
    ephemeral: async (channel, user, text) => {
      await writes
        .run("chat.postEphemeral", channel, () => client.chat.postEphemeral({ channel, user, text: clip(text, 3000) }))
        .then(
          () => undefined,
          (err) => deps.logger.warn({ err, user }, "ephemeral message failed"),
        );
    },
  };
}

/** True the first time this key is seen (Slack retries, the same click on several replicas). */
export async function firstDelivery(ctx: BotContext, key: string, ttlMs = 60 * 60 * 1000): Promise<boolean> {
  const r = await ctx.kv.idempotency.claim(key, ttlMs);
  return r.claimed;
}
