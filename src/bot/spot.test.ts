import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAST_LIMITS, FakeSlack } from "../../test/bot/fake-slack.js";
import { type Harness, SECRET, startHarness } from "../../test/bot/harness.js";
import { eventBody, postSigned } from "../../test/bot/signed.js";
import { testDatabase } from "../../test/support/services.js";
import type { Database } from "../adapters/db/orm.js";
import { slackFileFetcher } from "../adapters/slack/files.js";

const ONNX_LIKE = Buffer.from([0x08, 0x07, 0x12, 0x04, 0x74, 0x65, 0x73, 0x74]);

describe("/spot through the real Bolt receiver", () => {
  let db: Database & { dispose(): Promise<void> };
  const slack = new FakeSlack(FAST_LIMITS);
  let h: Harness;

  beforeAll(async () => {
    db = await testDatabase();
    await slack.start();
    slack.files.set("gbt-v4.onnx", ONNX_LIKE);
    slack.files.set("forced-1.onnx", ONNX_LIKE);
    slack.files.set("forced-2.onnx", ONNX_LIKE);
    slack.files.set("notes.txt", Buffer.from("hello, not a model"));
    h = await startHarness({
      db,
      slack,
      fetchFile: slackFileFetcher({ token: "xoxb-test", allowedOrigins: [slack.base] }),
    });
  });
  afterAll(async () => {
    await h.stop();
    await slack.stop();
    await db.dispose();
  });
  beforeEach(() => slack.reset());

  const text = (r: Record<string, unknown>) => String(r.text) + JSON.stringify(r.blocks ?? []);

  it("help, empty input and unknown input answer with the command list, ephemerally", async () => {
    for (const input of ["help", "", "frobnicate now"]) {
      const r = await h.command(input, "U1");
      expect(r.response_type).toBe("ephemeral");
      expect(text(r)).toContain("/spot models promote NAME");
      expect(text(r)).toContain("/spot mode shadow|approve");
    }
    expect(text(await h.command("frobnicate now", "U1"))).toContain("I don't know `/spot frobnicate now`");
    expect(text(await h.command("", "U1"))).not.toContain("I don't know");
  });

  it("unknown input is escaped and cut; the help renders without nested code spans", async () => {
    const garbage = `<!channel> \`x\` ${"z".repeat(3000)}`;
    const r = await h.command(garbage, "U1");
    const blocks = r.blocks as Array<{ text: { text: string } }>;
    expect(blocks[0].text.text.length).toBeLessThanOrEqual(3000);
    expect(blocks[0].text.text).toContain("I don't know `/spot &lt;!channel&gt;  x  zzz");
    expect(blocks[0].text.text).not.toContain("<!channel>");
    expect(blocks[0].text.text).not.toContain("z".repeat(100));
    // every line has an even number of backticks: no code span swallows the next one
    for (const line of blocks[0].text.text.split("\n")) expect((line.match(/`/g) ?? []).length % 2).toBe(0);
    expect(blocks[0].text.text).toContain("DM me an `.onnx` file with the comment `upload NAME`");
  });

  it("status lists the 8 components with their last good time and the mode", async () => {
    const r = text(await h.command("status", "U1"));
    for (const c of [
      "database",
      "redis",
      "aws 123456789012",
      "scraper",
      "model",
      "scheduler",
      "slack",
      "circuit breakers",
    ]) {
      expect(r).toContain(`*${c}*`);
    }
    expect(r).toContain("last ok 10 min ago");
    expect(r).toContain("spotwise status: degraded");
    expect(r).toContain("mode *approve*");
  });

  it("recommendations lists the open ones", async () => {
    expect(text(await h.command("recommendations", "U1"))).toContain("No open recommendations");
    await h.recommend();
    const r = text(await h.command("recommendations", "U1"));
    expect(r).toContain("Open recommendations* (1)");
    expect(r).toContain("m5.large in us-east-1a → m5a.large in us-east-1b, $22.63/month · pending");
  });

  it("models list and show are open to everyone; show of an unknown model says how to find one", async () => {
    expect(text(await h.command("models", "U1"))).toContain("*baseline* v1 · champion");
    expect(text(await h.command("models list", "U1"))).toContain("*baseline* v1 · champion");
    expect(text(await h.command("models show baseline", "U1"))).toContain("feature contract v1");
    expect(text(await h.command("models show nope", "U1"))).toContain('no model "nope": see `/spot models list`');
    expect(text(await h.command("models show", "U1"))).toContain("Usage: `/spot models show NAME`");
  });

  it("model changes need an admin: refused and audited for others", async () => {
    const r = text(await h.command("models promote baseline", "UNOBODY"));
    expect(r).toContain("Only admins may promote models");
    expect(h.audit.events.at(-1)).toMatchObject({ actor: "slack:UNOBODY", action: "slack.unauthorized_command" });
    expect(h.services.log.models).toEqual([]);
  });

  it("models upload URL: a valid file becomes a candidate, promote and rollback work, reject records the reason", async () => {
    const up = text(await h.command(`models upload ${slack.base}/files/gbt-v4.onnx`, "UAPPROVER"));
    expect(up).toContain("Added as a *candidate*");
    expect(up).toContain("*gbt-v4* v1 · *candidate*");
    expect(text(await h.command("models promote gbt-v4", "UAPPROVER"))).toContain("Promoted to champion");
    expect(text(await h.command("models rollback", "UAPPROVER"))).toContain("*baseline* v1 · *champion*");
    expect(text(await h.command("models reject gbt-v4 worse on AUC", "UAPPROVER"))).toContain(
      "Rejected by <@UAPPROVER>",
    );
    expect(h.services.log.models).toEqual([
      "add gbt-v4 by slack:UAPPROVER",
      "promote gbt-v4 by slack:UAPPROVER",
      "rollback by slack:UAPPROVER",
      "reject gbt-v4 by slack:UAPPROVER: worse on AUC",
    ]);
  });

  it("models promote NAME --force REASON overrides the gate for admins only, with a reason", async () => {
    await h.command(`models upload ${slack.base}/files/forced-1.onnx`, "UAPPROVER");
    const nobody = text(await h.command("models promote forced-1 --force trust me", "UNOBODY"));
    expect(nobody).toContain("Only admins may override the promotion gate");
    expect(text(await h.command("models promote forced-1 --force", "UAPPROVER"))).toContain(
      "Overriding the promotion gate needs a reason",
    );
    expect(text(await h.command("models promote forced-1 now", "UAPPROVER"))).toContain(
      "Usage: `/spot models promote NAME [--force REASON]`",
    );
    const forced = text(
      await h.command("models promote forced-1 --force weekend outage, shadow data is thin", "UAPPROVER"),
    );
    expect(forced).toContain("past the promotion gate. Reason: weekend outage, shadow data is thin");
    expect(h.services.log.models.at(-1)).toBe(
      "promote forced-1 by slack:UAPPROVER forced: weekend outage, shadow data is thin",
    );
  });

  it("models upload URL: an invalid file, a foreign host and a bad name are refused with the reason", async () => {
    expect(text(await h.command(`models upload ${slack.base}/files/notes.txt`, "UAPPROVER"))).toContain(
      "not an ONNX model",
    );
    expect(text(await h.command("models upload https://evil.example.com/m.onnx", "UAPPROVER"))).toContain(
      "refusing to send the bot token to https://evil.example.com",
    );
    // the token never goes over plain HTTP, not even to files.slack.com
    expect(text(await h.command("models upload http://files.slack.com/files-pri/T1-F1/m.onnx", "UAPPROVER"))).toContain(
      "refusing to send the bot token to http://files.slack.com",
    );
    expect(text(await h.command(`models upload ${slack.base}/files/gbt-v4.onnx b@d!`, "UAPPROVER"))).toContain(
      "Model name `b@d!` is not valid",
    );
    expect(text(await h.command("models frob", "UAPPROVER"))).toContain("Unknown `/spot models frob`");
  });

  it("models: user text echoed back is escaped and cut to Slack's limits", async () => {
    const logged = h.services.log.models.length;
    const long = `<!channel>${"y".repeat(3000)}`;
    for (const input of [`models ${long}`, `models show ${long}`, `models promote ${long}`]) {
      const r = await h.command(input, "UAPPROVER");
      const shown = (r.blocks as Array<{ text: { text: string } }>)[0].text.text;
      expect(shown, input.slice(0, 20)).not.toContain("<!channel>");
      expect(shown).toContain("&lt;!channel&gt;yyy");
      expect(shown).not.toContain("y".repeat(100));
      expect(shown.length).toBeLessThanOrEqual(300);
    }
    expect(text(await h.command("models frob<@U1>", "UAPPROVER"))).toContain("Unknown `/spot models frob&lt;@U1&gt;`");
    expect(text(await h.command("models show <!here>", "U1"))).toContain(
      "no model `&lt;!here&gt;`: see `/spot models list`",
    );
    expect(h.services.log.models).toHaveLength(logged);
    const bad = text(await h.command(`models upload ${slack.base}/files/gbt-v4.onnx <!here>`, "UAPPROVER"));
    expect(bad).toContain("Model name `&lt;!here&gt;` is not valid");
    await h.command(`models upload ${slack.base}/files/forced-2.onnx`, "UAPPROVER");
    const forced = text(await h.command(`models promote forced-2 --force <!channel> ${"r".repeat(900)}`, "UAPPROVER"));
    expect(forced).toContain("past the promotion gate. Reason: &lt;!channel&gt; rrr");
    expect(forced).not.toContain("<!channel>");
    expect(forced).not.toContain("r".repeat(600));
  });

  it("experiments [report]", async () => {
    for (const input of ["experiments", "experiments report"]) {
      const r = text(await h.command(input, "U1"));
      expect(r).toContain("Model experiments");
      expect(r).toContain("no candidate beats the champion yet");
    }
    expect(text(await h.command("experiments frob", "U1"))).toContain("use `/spot experiments report`");
  });

  it("pause [reason] / resume / mode: admins only, applied and echoed", async () => {
    expect(text(await h.command("pause", "UNOBODY"))).toContain("Only admins may pause spotwise");
    expect(text(await h.command("pause AWS maintenance window", "UAPPROVER"))).toContain(
      "*paused* by <@UAPPROVER>: AWS maintenance window",
    );
    expect(text(await h.command("status", "U1"))).toContain("*paused*: AWS maintenance window");
    expect(text(await h.command("resume", "UAPPROVER"))).toContain("*resumed*");
    expect(text(await h.command("mode shadow", "UAPPROVER"))).toContain("Mode is now *shadow*");
    expect(text(await h.command("mode", "UAPPROVER"))).toContain("Usage: `/spot mode shadow|approve` (now: shadow)");
    expect(text(await h.command("mode approve", "UAPPROVER"))).toContain("Mode is now *approve*");
    expect(h.services.log.control).toEqual([
      "pause slack:UAPPROVER AWS maintenance window",
      "resume slack:UAPPROVER",
      "mode shadow slack:UAPPROVER",
      "mode approve slack:UAPPROVER",
    ]);
  });

  it("a failing service still answers the user", async () => {
    const original = h.services.health.components;
    h.services.health.components = async () => {
      throw new Error("database unreachable");
    };
    try {
      expect(text(await h.command("status", "U1"))).toContain("internal error: database unreachable");
    } finally {
      h.services.health.components = original;
    }
  });

  describe("model upload by a file shared in a DM with `upload NAME`", () => {
    const share = (file: string, comment: string, eventId: string, user = "UAPPROVER", retryNum?: number) =>
      postSigned(
        h.port,
        eventBody(
          {
            type: "message",
            subtype: "file_share",
            channel: "D0DM",
            channel_type: "im",
            user,
            text: comment,
            ts: `1764000300.${eventId.slice(-6).padStart(6, "0")}`,
            files: [{ id: `F${eventId}`, name: file, url_private: `${slack.base}/files/${file}` }],
          },
          eventId,
        ),
        {
          secret: SECRET,
          contentType: "application/json",
          retryNum,
          timestampSec: Math.floor(Date.now() / 1000) + (retryNum ?? 0),
        },
      );
    const replies = () => slack.callsTo("chat.postMessage").filter((c) => c.params.channel === "D0DM");

    it("a valid file is fetched with the bot token and added as a candidate, once even if Slack retries", async () => {
      expect((await share("gbt-v4.onnx", "upload gbt-v5", "Ev000001")).status).toBe(200);
      await slack.waitFor(() => replies().length === 1, "upload answer");
      expect(String(replies()[0].params.text)).toContain("gbt-v5");
      expect(JSON.stringify(replies()[0].params.blocks)).toContain("Added as a *candidate*");
      // Retry of the same event: new signature, same event_id.
      expect((await share("gbt-v4.onnx", "upload gbt-v5", "Ev000001", "UAPPROVER", 1)).status).toBe(200);
      await h.bot.idle();
      expect(h.services.log.models.filter((m) => m.startsWith("add gbt-v5"))).toHaveLength(1);
    });

    it("an invalid file is refused in the thread with the reason", async () => {
      await share("notes.txt", "upload notes", "Ev000002");
      await slack.waitFor(() => replies().length === 1, "refusal");
      expect(String(replies()[0].params.text)).toContain("Model not added: not an ONNX model");
    });

    it("a file without the `upload NAME` comment gets instructions; a non-approver is refused", async () => {
      await share("gbt-v4.onnx", "here you go", "Ev000003");
      await slack.waitFor(() => replies().length === 1, "instructions");
      expect(String(replies()[0].params.text)).toContain("comment `upload NAME`");
      await share("gbt-v4.onnx", "upload sneaky", "Ev000004", "UNOBODY");
      await slack.waitFor(() => replies().length === 2, "refusal");
      expect(String(replies()[1].params.text)).toContain("Only admins may upload models");
    });
  });
});
