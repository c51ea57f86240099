import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";

const Manifest = z.object({
  features: z.object({
    bot_user: z.object({ display_name: z.string() }),
    slash_commands: z.array(z.object({ command: z.string(), url: z.string().url() })),
  }),
  oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()) }) }),
  settings: z.object({
    event_subscriptions: z.object({ request_url: z.string().url(), bot_events: z.array(z.string()) }),
    interactivity: z.object({ is_enabled: z.boolean(), request_url: z.string().url() }),
    socket_mode_enabled: z.boolean(),
  }),
});

/** Every Web API method the bot calls, with the scope Slack requires for it. */
const SCOPE_OF: Record<string, string> = {
  "chat.postMessage": "chat:write",
  "chat.update": "chat:write",
  "chat.postEphemeral": "chat:write",
  "usergroups.users.list": "usergroups:read",
  "files.getUploadURLExternal": "files:write",
  "files.completeUploadExternal": "files:write",
  "url_private download": "files:read",
  "message.im events": "im:history",
  "/spot": "commands",
};

describe("slack/manifest.yaml", () => {
  const m = Manifest.parse(parse(readFileSync(new URL("../../slack/manifest.yaml", import.meta.url), "utf8")));

  it("declares /spot, interactivity and DM events on /slack/events", () => {
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(["/spot"]);
    for (const url of [
      m.features.slash_commands[0].url,
      m.settings.interactivity.request_url,
      m.settings.event_subscriptions.request_url,
    ]) {
      expect(new URL(url).pathname).toBe("/slack/events");
    }
    expect(m.settings.interactivity.is_enabled).toBe(true);
    expect(m.settings.event_subscriptions.bot_events).toContain("message.im");
  });

  it("grants a scope for every call the bot makes, and no more", () => {
    expect([...new Set(Object.values(SCOPE_OF))].sort()).toEqual([...m.oauth_config.scopes.bot].sort());
  });
});
