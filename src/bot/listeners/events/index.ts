import type { App } from "@slack/bolt";
import type { BotContext } from "../../context.js";
import { appHome } from "./app-home.js";
import { directMessage } from "./dm.js";
import { fileUpload } from "./file-upload.js";

export function register(app: App, ctx: BotContext): void {
  app.event("message", fileUpload(ctx));
  app.event("message", directMessage(ctx));
  app.event("app_home_opened", appHome(ctx));
}
