import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAST_LIMITS, FakeSlack } from "../../test/bot/fake-slack.js";
import { type Harness, SECRET, startHarness } from "../../test/bot/harness.js";
import { replicaKvFactory } from "../../test/bot/kv.js";
import { interactionBody, postSigned, viewSubmissionPayload } from "../../test/bot/signed.js";
import { testDatabase } from "../../test/support/services.js";
import type { Database } from "../adapters/db/orm.js";
import { CodedError } from "../core/errors.js";
import { ACTION_APPROVE, ACTION_REJECT, ACTION_SNOOZE } from "./views/recommendation.js";
import { REASON_BLOCK, REASON_INPUT, REJECT_VIEW } from "./views/reject-modal.js";

describe("recommendation buttons through the real Bolt receiver", () => {
  let db: Database & { dispose(): Promise<void> };
  const slack = new FakeSlack(FAST_LIMITS);
  let h: Harness;

  beforeAll(async () => {
    db = await testDatabase();
    await slack.start();
    slack.groups.set("SAPPROVERS", ["UGROUPIE"]);
    h = await startHarness({ db, slack, config: { approverGroup: "SAPPROVERS" } });
  });
  afterAll(async () => {
    await h.stop();
    await slack.stop();
    await db.dispose();
  });
  beforeEach(() => {
    slack.reset();
    h.services.log.switches.length = 0;
  });

  const texts = (method: string) => slack.callsTo(method).map((c) => String(c.params.text));
  const lastUpdateBlocks = () => JSON.stringify(slack.callsTo("chat.update").at(-1)?.params.blocks ?? []);

  it("posts the recommendation with Approve (confirm), Reject and Snooze buttons", async () => {
    await h.recommend();
    const post = slack.callsTo("chat.postMessage")[0];
    expect(post.params.channel).toBe("C0RECS");
    expect(post.token).toBe("xoxb-test");
    const blocks = JSON.stringify(post.params.blocks);
    for (const s of [ACTION_APPROVE, ACTION_REJECT, ACTION_SNOOZE, "Snooze 24 h", '"confirm"', "$22.63/month"]) {
      expect(blocks).toContain(s);
    }
  });

  it("members of the approver group may approve; the group is read once and cached (first group use in this suite)", async () => {
    const a = await h.recommend();
    const b = await h.recommend();
    await h.click(ACTION_APPROVE, a.id, "UGROUPIE", { ref: a.ref });
    await h.click(ACTION_REJECT, b.id, "UGROUPIE", { ref: b.ref });
    await h.bot.idle();
    await slack.waitFor(() => slack.callsTo("views.open").length === 1, "reject dialog for a group member");
    expect(h.services.log.switches.map((s) => s.approver)).toEqual(["UGROUPIE"]);
    expect(slack.callsTo("usergroups.users.list")).toHaveLength(1);
    expect(slack.callsTo("usergroups.users.list")[0].params.usergroup).toBe("SAPPROVERS");
  });

  it("approve: acks, runs exactly one switch, shows Approved by; the thread gets started and done only", async () => {
    const { id, ref } = await h.recommend();
    expect(await h.click(ACTION_APPROVE, id, "UAPPROVER", { ref })).toBe(200);
    await h.bot.idle();
    expect(h.services.log.switches).toEqual([{ recommendationId: id, approver: "UAPPROVER" }]);
    const thread = slack.callsTo("chat.postMessage").filter((c) => c.params.thread_ts === ref.ts);
    expect(thread.map((c) => c.params.text)).toEqual([
      expect.stringContaining("started (approved by <@UAPPROVER>)"),
      expect.stringContaining("Done: `"),
    ]);
    expect(JSON.stringify(slack.callsTo("chat.update")[0].params.blocks)).toContain("Approved by <@UAPPROVER>");
    expect(lastUpdateBlocks()).toContain("replaced by `i-0new`");
    expect(lastUpdateBlocks()).not.toContain(ACTION_APPROVE);
    expect((await h.recs.get(id))?.status).toBe("done");
  });

  it("double click by the same approver: exactly one switch, the second click is told it is already approved", async () => {
    const { id, ref } = await h.recommend();
    const codes = await Promise.all([
      h.click(ACTION_APPROVE, id, "UAPPROVER", { ref, actionTs: "1764000100.000001" }),
      h.click(ACTION_APPROVE, id, "UAPPROVER", { ref, actionTs: "1764000100.000002" }),
    ]);
    expect(codes).toEqual([200, 200]);
    await slack.waitFor(() => slack.callsTo("chat.postEphemeral").length === 1, "ephemeral");
    await h.bot.idle();
    expect(h.services.log.switches).toHaveLength(1);
    expect(texts("chat.postEphemeral")[0]).toContain("Already approved by <@UAPPROVER>");
  });

  it("a Slack retry of the same click (X-Slack-Retry-Num) does not run a second switch", async () => {
    const { id, ref } = await h.recommend();
    const actionTs = "1764000200.000001";
    expect(await h.click(ACTION_APPROVE, id, "UAPPROVER", { ref, actionTs })).toBe(200);
    expect(await h.click(ACTION_APPROVE, id, "UAPPROVER", { ref, actionTs, retryNum: 1 })).toBe(200);
    expect(await h.click(ACTION_APPROVE, id, "UAPPROVER", { ref, actionTs, retryNum: 2 })).toBe(200);
    await h.bot.idle();
    expect(h.services.log.switches).toHaveLength(1);
    // The retries were dropped before doing anything: no "already approved" noise either.
    expect(slack.callsTo("chat.postEphemeral")).toHaveLength(0);
  });

  it("unauthorized click: ephemeral refusal, audited, nothing changes", async () => {
    const { id, ref } = await h.recommend();
    expect(await h.click(ACTION_APPROVE, id, "UINTRUDER", { ref })).toBe(200);
    await slack.waitFor(() => slack.callsTo("chat.postEphemeral").length === 1, "refusal");
    const eph = slack.callsTo("chat.postEphemeral")[0].params;
    expect(eph.user).toBe("UINTRUDER");
    expect(String(eph.text)).toContain("Only approvers may approve");
    expect(h.audit.events.filter((e) => e.action === "slack.unauthorized_click").at(-1)).toMatchObject({
      actor: "slack:UINTRUDER",
      detail: { recommendationId: id, verb: "approve" },
    });
    expect((await h.recs.get(id))?.status).toBe("pending");
    expect(h.services.log.switches).toHaveLength(0);
  });

  it("reject: asks for a reason in a dialog, then shows who rejected and why; Approve is refused afterwards", async () => {
    const { id, ref } = await h.recommend();
    await h.click(ACTION_REJECT, id, "UAPPROVER", { ref });
    await slack.waitFor(() => slack.callsTo("views.open").length === 1, "dialog");
    const open = slack.callsTo("views.open")[0].params;
    expect(open.trigger_id).toBe("1.2.3");
    const view = JSON.parse(String(open.view)) as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(REJECT_VIEW);
    expect((await h.recs.get(id))?.status).toBe("pending");
    const submit = viewSubmissionPayload({
      view,
      userId: "UAPPROVER",
      values: { [REASON_BLOCK]: { [REASON_INPUT]: "batch job until Friday" } },
      viewId: "VREJ1",
    });
    expect((await postSigned(h.port, interactionBody(submit), { secret: SECRET })).status).toBe(200);
    await h.bot.idle();
    expect(lastUpdateBlocks()).toContain("Rejected by <@UAPPROVER>: batch job until Friday");
    expect(
      h.audit.events.find((e) => e.action === "recommendation.rejected" && e.detail?.recommendationId === id)?.detail,
    ).toMatchObject({ reason: "batch job until Friday" });
    await h.click(ACTION_APPROVE, id, "UAPPROVER2", { ref });
    await slack.waitFor(() => slack.callsTo("chat.postEphemeral").length === 1, "refusal");
    expect(texts("chat.postEphemeral")[0]).toContain("already rejected by <@UAPPROVER>");
    expect(h.services.log.switches).toHaveLength(0);
  });

  it("reject: when the dialog cannot open, it rejects at once without a reason", async () => {
    const { id, ref } = await h.recommend();
    slack.failures.set("views.open", "expired_trigger_id");
    try {
      await h.click(ACTION_REJECT, id, "UAPPROVER", { ref });
      await h.bot.idle();
    } finally {
      slack.failures.clear();
    }
    expect(lastUpdateBlocks()).toContain("Rejected by <@UAPPROVER>.");
    expect((await h.recs.get(id))?.status).toBe("rejected");
  });

  it("snooze: 24 h, shown on the message", async () => {
    const { id, ref } = await h.recommend();
    await h.click(ACTION_SNOOZE, id, "UAPPROVER", { ref });
    await slack.waitFor(() => slack.callsTo("chat.update").length === 1, "update");
    expect(lastUpdateBlocks()).toContain("Snoozed by <@UAPPROVER> until");
    const rec = await h.recs.get(id);
    expect(rec?.status).toBe("snoozed");
    expect(rec?.snoozedUntil).toBe(h.clock.now() + 24 * 3600_000);
  });

  it("expired buttons cannot approve: the message turns expired and the user is told", async () => {
    const { id, ref } = await h.recommend();
    h.clock.advance(4 * 3600_000 + 1);
    await h.click(ACTION_APPROVE, id, "UAPPROVER", { ref });
    await slack.waitFor(() => slack.callsTo("chat.postEphemeral").length === 1, "refusal");
    expect(texts("chat.postEphemeral")[0]).toContain("expired");
    expect(lastUpdateBlocks()).toContain("Expired at");
    expect((await h.recs.get(id))?.status).toBe("expired");
    expect(h.services.log.switches).toHaveLength(0);
  });

  it("a superseded recommendation cannot be approved", async () => {
    const first = await h.recommend();
    const rec = await h.recs.get(first.id);
    if (!rec) throw new Error("missing");
    await h.recommend({ ...rec.decision, savingPerMonth: 99 });
    await h.click(ACTION_APPROVE, first.id, "UAPPROVER", { ref: first.ref });
    await slack.waitFor(() => slack.callsTo("chat.postEphemeral").length === 1, "refusal");
    expect(texts("chat.postEphemeral")[0]).toContain("superseded");
    expect(h.services.log.switches).toHaveLength(0);
  });
});

describe("approval edge cases", () => {
  let db: Database & { dispose(): Promise<void> };
  const slack = new FakeSlack(FAST_LIMITS);

  beforeAll(async () => {
    db = await testDatabase();
    await slack.start();
  });
  afterAll(async () => {
    await slack.stop();
    await db.dispose();
  });
  beforeEach(() => slack.reset());

  it("two-person rule: the first approval waits, the same person cannot confirm, a second approver starts it", async () => {
    const h = await startHarness({ db, slack, config: { twoPersonAccounts: ["123456789012"] } });
    try {
      const { id, ref } = await h.recommend();
      await h.click(ACTION_APPROVE, id, "UAPPROVER", { ref, actionTs: "1.1" });
      await slack.waitFor(() => slack.callsTo("chat.postEphemeral").length === 1, "first ephemeral");
      expect(JSON.stringify(slack.callsTo("chat.update")[0].params.blocks)).toContain("needs a second approver");
      await h.click(ACTION_APPROVE, id, "UAPPROVER", { ref, actionTs: "1.2" });
      await slack.waitFor(() => slack.callsTo("chat.postEphemeral").length === 2, "second ephemeral");
      expect(String(slack.callsTo("chat.postEphemeral")[1].params.text)).toContain("*different* approver");
      expect(h.services.log.switches).toHaveLength(0);
      await h.click(ACTION_APPROVE, id, "UAPPROVER2", { ref, actionTs: "1.3" });
      await h.bot.idle();
      expect(h.services.log.switches).toHaveLength(1);
      expect(JSON.stringify(slack.callsTo("chat.update").at(-1)?.params.blocks)).toContain(
        "Approved by <@UAPPROVER> and <@UAPPROVER2>",
      );
    } finally {
      await h.stop();
    }
  });

  it("several replicas: the same click delivered to both, and two approvers on two replicas, give one switch", async () => {
    const stores = replicaKvFactory();
    const [ka, kb] = [stores.replica(), stores.replica()];
    const a = await startHarness({ db, slack, kv: ka.kv });
    const b = await startHarness({ db, slack, kv: kb.kv, clock: a.clock, audit: a.audit });
    try {
      const one = await a.recommend();
      await Promise.all([
        a.click(ACTION_APPROVE, one.id, "UAPPROVER", { ref: one.ref, actionTs: "2.1" }),
        b.click(ACTION_APPROVE, one.id, "UAPPROVER", { ref: one.ref, actionTs: "2.1", retryNum: 1 }),
      ]);
      const two = await a.recommend();
      await Promise.all([
        a.click(ACTION_APPROVE, two.id, "UAPPROVER", { ref: two.ref, actionTs: "3.1" }),
        b.click(ACTION_APPROVE, two.id, "UAPPROVER2", { ref: two.ref, actionTs: "3.2" }),
      ]);
      await slack.waitFor(() => slack.callsTo("chat.postEphemeral").length === 1, "loser told");
      await Promise.all([a.bot.idle(), b.bot.idle()]);
      const all = [...a.services.log.switches, ...b.services.log.switches].map((s) => s.recommendationId).sort();
      expect(all).toEqual([one.id, two.id].sort());
    } finally {
      await a.stop();
      await b.stop();
      await ka.close();
      await kb.close();
    }
  });

  it("an approval whose switch never started (crash) is run once when a replica starts", async () => {
    const first = await startHarness({ db, slack });
    const { id } = await first.recommend();
    expect((await first.recs.approve(id, "UAPPROVER")).kind).toBe("approved");
    await first.stop();
    const [a, b] = await Promise.all([
      startHarness({ db, slack, clock: first.clock }),
      startHarness({ db, slack, clock: first.clock }),
    ]);
    try {
      await Promise.all([a.bot.idle(), b.bot.idle()]);
      const runs = [...a.services.log.switches, ...b.services.log.switches].filter((x) => x.recommendationId === id);
      expect(runs).toEqual([{ recommendationId: id, approver: "UAPPROVER" }]);
      expect((await a.recs.get(id))?.status).toBe("done");
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("Slack failing during the switch does not stop it: the outcome is still recorded", async () => {
    const h = await startHarness({ db, slack });
    try {
      const { id, ref } = await h.recommend();
      slack.failures.set("chat.postMessage", "service_unavailable");
      slack.failures.set("chat.update", "service_unavailable");
      await h.click(ACTION_APPROVE, id, "UAPPROVER", { ref });
      await h.bot.idle();
      expect(h.services.log.switches).toHaveLength(1);
      expect((await h.recs.get(id))?.status).toBe("done");
    } finally {
      slack.failures.clear();
      await h.stop();
    }
  });

  it("a rollback ends the thread with the reason; a refusal by the saga is reported, not swallowed", async () => {
    const h = await startHarness({
      db,
      slack,
      saga: {
        steps: [
          { step: "launch", status: "ok", detail: "i-0new" },
          { step: "wait-healthy", status: "failed", detail: "health check timed out" },
          { step: "rollback", status: "ok" },
        ],
        outcome: { status: "rolled_back", reason: "replacement never became healthy" },
      },
    });
    try {
      const { id, ref } = await h.recommend();
      await h.click(ACTION_APPROVE, id, "UAPPROVER", { ref });
      await h.bot.idle();
      const thread = slack.callsTo("chat.postMessage").filter((c) => c.params.thread_ts === ref.ts);
      expect(String(thread.at(-1)?.params.text)).toContain("Rolled back: replacement never became healthy");
      expect((await h.recs.get(id))?.status).toBe("rolled_back");
    } finally {
      await h.stop();
    }
    slack.reset();
    const paused = await startHarness({
      db,
      slack,
      saga: { refuse: new CodedError("paused", "spotwise is paused (maintenance): /spot resume to continue") },
    });
    try {
      const { id, ref } = await paused.recommend();
      await paused.click(ACTION_APPROVE, id, "UAPPROVER", { ref });
      await paused.bot.idle();
      const thread = slack.callsTo("chat.postMessage").filter((c) => c.params.thread_ts === ref.ts);
      expect(String(thread.at(-1)?.params.text)).toContain("Switch not run: spotwise is paused (maintenance)");
      expect((await paused.recs.get(id))?.status).toBe("failed");
    } finally {
      await paused.stop();
    }
  });
});
