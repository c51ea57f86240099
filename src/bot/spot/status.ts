import type { KnownBlock } from "@slack/types";
import type { BotContext } from "../context.js";
import type { ComponentStatus, ControlState } from "../services.js";
import { statusMessage } from "../views/status.js";
import type { SpotHandler } from "./types.js";

export interface StatusParts {
  components: ComponentStatus[];
  control: ControlState;
  /** Blocks shown after the components, in `/spot status` and App Home alike (the safety checklist goes here). */
  extra: KnownBlock[];
}

/** What `/spot status` and App Home show, read once. */
export async function statusParts(ctx: BotContext): Promise<StatusParts> {
  const [components, control] = await Promise.all([ctx.services.health.components(), ctx.services.control.state()]);
  return { components, control, extra: [] };
}

export const status: SpotHandler = async (ctx) => {
  const p = await statusParts(ctx);
  return statusMessage(p.components, p.control, ctx.clock.now(), p.extra);
};
