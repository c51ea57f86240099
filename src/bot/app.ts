/** The Slack bot: Socket Mode with SLACK_APP_TOKEN, otherwise HTTP on PORT at /slack/events (see docs/slack.md). */
import { App } from "@slack/bolt";
import { SlackRequestVerifier } from "../adapters/slack/verify.js";
import { CodedError } from "../core/errors.js";
import { boltLogger } from "./bolt-logger.js";
import { type BotContext, type BotDeps, createContext } from "./context.js";
import { ApprovalFlow } from "./flows/approval.js";
import * as actions from "./listeners/actions/index.js";
import * as commands from "./listeners/commands/index.js";
import * as events from "./listeners/events/index.js";
import * as views from "./listeners/views/index.js";
import { VerifyingReceiver } from "./receiver.js";

export interface BotApp {
  app: App;
  ctx: BotContext;
  mode: "socket" | "http";
  /** HTTP: listens on config.port (or `port`); Socket Mode: connects. */
  start(port?: number): Promise<void>;
  /**
   * Stops receiving, then waits up to `graceMs` (default 20 s) for running work. A switch still running after
   * that is not lost: the saga is crash-safe and resumes or rolls back on the next start.
   */
  stop(graceMs?: number): Promise<void>;
  /** The bound HTTP port (HTTP mode, after start). */
  port(): number | undefined;
  /** Resolves when background work (switches) has finished. */
  idle(): Promise<void>;
}

export function createBotApp(deps: BotDeps): BotApp {
  const { config } = deps;
  const logger = boltLogger(deps.logger);
  // the write queue paces every write; a 429 that still comes is waited out (Retry-After) by the client or the queue
  const clientOptions = { slackApiUrl: config.apiUrl, retryConfig: { retries: deps.apiRetries ?? 3 } };
  const common = {
    token: config.botToken,
    logger,
    clientOptions,
    tokenVerificationEnabled: deps.tokenVerification ?? true,
  };
  let receiver: VerifyingReceiver | undefined;
  let app: App;
  if (config.appToken) {
    app = new App({ ...common, appToken: config.appToken, socketMode: true });
  } else {
    if (!config.signingSecret) {
      throw new CodedError(
        "config_invalid",
        "SLACK_SIGNING_SECRET is required for HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)",
      );
    }
    const verifier = new SlackRequestVerifier({
      signingSecret: config.signingSecret,
      seen: deps.kv.idempotency,
      now: () => deps.clock.now(),
    });
    receiver = new VerifyingReceiver({ verifier, port: config.port, logger, routes: deps.httpRoutes });
    app = new App({ ...common, receiver });
  }
  const ctx = createContext(deps, app.client);
  const flow = new ApprovalFlow(ctx);
  actions.register(app, ctx, flow);
  commands.register(app, ctx);
  events.register(app, ctx);
  views.register(app, ctx, flow);
  app.error(async (e) => deps.logger.error({ err: e }, "unhandled Slack listener error"));
  return {
    app,
    ctx,
    mode: receiver ? "http" : "socket",
    start: async (port) => {
      await (receiver ? app.start(port ?? config.port) : app.start());
      ctx.tasks.run("recover approved", async () => {
        await flow.recoverApproved();
      });
    },
    stop: async (graceMs = 20_000) => {
      await app.stop();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      });
      await Promise.race([ctx.tasks.idle(), grace]);
      clearTimeout(timer);
    },
    port: () => receiver?.port(),
    idle: () => ctx.tasks.idle(),
  };
}
