import type { App } from "@slack/bolt";
import type { BotContext } from "../../context.js";
import { spot } from "./spot.js";

export function register(app: App, ctx: BotContext): void {
  app.command("/spot", spot(ctx));
}
