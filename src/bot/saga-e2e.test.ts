import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "../../test/support/services.js";
import type { Database } from "../adapters/db/orm.js";
import { SimCloud } from "../adapters/sim/cloud.js";
import { simRunner } from "../adapters/sim/harness.js";
import { seedSimFleet } from "../adapters/sim/seed.js";
import { ManualClock } from "../core/ports/clock.js";
import { switchDecision } from "../core/recommendations/test-fixtures.js";
import { FakeSlack } from "./testing/fake-slack.js";
import { startHarness } from "./testing/harness.js";
import { ACTION_APPROVE } from "./views/recommendation.js";
import { startSwitchWith } from "./wiring.js";

describe("Approve in Slack runs the real saga on the simulated cloud", () => {
  let db: Database & { dispose(): Promise<void> };
  const slack = new FakeSlack();
  beforeAll(async () => {
    db = await testDatabase();
    await slack.start();
  });
  afterAll(async () => {
    await slack.stop();
    await db.dispose();
  });

  it("one click: replacement launched, old terminated, every step in the thread, recommendation done", async () => {
    const clock = new ManualClock(Date.now());
    const cloud = new SimCloud({ clock });
    const old = seedSimFleet(cloud)[0];
    const sim = simRunner({ cloud, mode: "approve", settings: { healthCheckUrl: "http://{privateIp}/health" } });
    const h = await startHarness({
      db,
      slack,
      clock,
      override: ({ recs }) => ({ startSwitch: startSwitchWith({ runner: sim.runner, recommendations: recs, clock }) }),
    });
    try {
      const { id, ref } = await h.recommend(
        switchDecision(old.instanceId, {
          accountId: "sim",
          from: { region: "us-east-1", az: old.az, instanceType: old.instanceType },
          to: { region: "us-east-1", az: old.az, instanceType: "m5a.xlarge" },
          alternatives: [{ region: "us-east-1", az: old.az, instanceType: "m6i.xlarge" }],
        }),
      );
      await Promise.all([
        h.click(ACTION_APPROVE, id, "UAPPROVER", { ref, actionTs: "9.1" }),
        h.click(ACTION_APPROVE, id, "UAPPROVER", { ref, actionTs: "9.2" }),
      ]);
      await h.bot.idle();
      expect(cloud.callsOf("runInstances")).toHaveLength(1);
      expect(cloud.stateOf(cloud.instances.get(old.instanceId)!)).not.toBe("running");
      const thread = slack
        .callsTo("chat.postMessage")
        .filter((c) => c.params.thread_ts === ref.ts)
        .map((c) => String(c.params.text));
      expect(thread.some((t) => t.includes("run instances: ok"))).toBe(true);
      expect(thread.some((t) => t.includes("terminate old: ok"))).toBe(true);
      expect(thread.at(-1)).toMatch(/Done: `i-sim0001` replaced by `i-/);
      // "started" only moves the status line on the message; the thread gets each step's result.
      expect(thread.some((t) => t.includes(": started"))).toBe(false);
      expect(String(slack.callsTo("chat.update").at(-1)?.params.text)).toContain(
        ":white_check_mark: Approved by @UAPPROVER",
      );
      expect((await h.recs.get(id))?.status).toBe("done");
    } finally {
      await h.stop();
    }
  });
});
