/** App Home: on app_home_opened (Home tab), publish the status, the open recommendations and the last switches. */
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from "@slack/bolt";
import type { BotContext } from "../../context.js";
import { statusParts } from "../../spot/status.js";
import { homeView } from "../../views/home.js";

type Args = SlackEventMiddlewareArgs<"app_home_opened"> & AllMiddlewareArgs;

/** Tracked: Bolt has acked the event already, the view is built and published in the background. */
export const appHome = (ctx: BotContext) => (args: Args) => ctx.tasks.track("app home", publish(ctx, args));

export async function buildHome(ctx: BotContext) {
  const [parts, recommendations, switches] = await Promise.all([
    statusParts(ctx),
    ctx.services.recommendations.list({ statuses: ["pending", "approved", "executing"], limit: 20 }),
    ctx.services.switches ? ctx.services.switches.recent(10) : Promise.resolve(null),
  ]);
  return homeView({
    components: parts.components,
    control: parts.control,
    statusExtra: parts.extra,
    recommendations,
    switches,
    now: ctx.clock.now(),
  });
}

async function publish(ctx: BotContext, { event, client }: Args): Promise<void> {
  if (event.tab !== "home") return;
  try {
    const view = await buildHome(ctx);
    await ctx.writes.run("views.publish", undefined, () => client.views.publish({ user_id: event.user, view }));
  } catch (e) {
    ctx.logger.warn({ err: e, user: event.user }, "App Home not published");
  }
}
