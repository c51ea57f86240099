import { statusMessage } from "../views/status.js";
import type { SpotHandler } from "./types.js";

export const status: SpotHandler = async (ctx) => {
  const [components, control] = await Promise.all([ctx.services.health.components(), ctx.services.control.state()]);
  return statusMessage(components, control, ctx.clock.now());
};
