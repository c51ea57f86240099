import type { App } from "@slack/bolt";
import type { BotContext } from "../../context.js";
import { fileUpload } from "./file-upload.js";

export function register(app: App, ctx: BotContext): void {
  app.event("message", fileUpload(ctx));
}
