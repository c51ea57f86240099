import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { SECRET_URL_FORMS } from "../../../test/support/secret-urls.js";
import { createLogger, scrubText } from "./logger.js";

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: createLogger({ level: "debug", destination }), lines };
}

describe("logger", () => {
  it("redacts secret fields at any depth and keeps the rest", async () => {
    const { log, lines } = memoryLogger();
    log.info(
      {
        token: "xoxb-1234-abcd",
        slack: { signingSecret: "s3cr3t", channel: "C1" },
        aws: { credentials: { secretAccessKey: "wJalr" }, account: { externalId: "ext-42" } },
        SLACK_APP_TOKEN: "xapp-1-A",
      },
      "started",
    );
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(lines);
    for (const secret of ["xoxb-1234-abcd", "s3cr3t", "wJalr", "ext-42", "xapp-1-A"]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      level: "info",
      msg: "started",
      slack: { channel: "C1", signingSecret: "[REDACTED]" },
    });
  });

  it("masks tokens and access keys inside messages", async () => {
    const { log, lines } = memoryLogger();
    log.warn("auth failed for xoxb-999-zzz with key AKIAABCDEFGHIJKLMNOP");
    await new Promise((r) => setImmediate(r));
    expect(lines[0]?.msg).toBe("auth failed for xoxb-[REDACTED] with key AKIAA[REDACTED]");
    expect(scrubText("nothing here")).toBe("nothing here");
  });

  it.each(SECRET_URL_FORMS)("masks the password of $url in messages, fields and errors", async ({ url, secret }) => {
    const { log, lines } = memoryLogger();
    log.info({ database: url, nested: { urls: [url] } }, `connecting to ${url}`);
    log.error({ err: new Error(`connect ECONNREFUSED ${url}`) }, "cannot connect");
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(lines);
    expect(text).not.toContain(secret);
    expect(text).toContain("****");
    expect(lines[1]).toMatchObject({ err: { type: "Error", message: expect.stringContaining("ECONNREFUSED") } });
  });
});
