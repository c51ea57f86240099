import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeSlack, SLACK_LIMITS } from "../../test/bot/fake-slack.js";
import { startHarness } from "../../test/bot/harness.js";
import { switchDecision } from "../../test/core/recommendation-fixtures.js";
import { simRunner } from "../../test/sim/harness.js";
import { testDatabase } from "../../test/support/services.js";
import type { Database } from "../adapters/db/orm.js";
import { SimCloud } from "../adapters/sim/cloud.js";
import { seedSimFleet } from "../adapters/sim/seed.js";
import { CodedError } from "../core/errors.js";
import { HealthService, MemoryHealthStore } from "../core/health/health.js";
import { MemoryModelRepository } from "../core/models/memory-model-repo.js";
import { ModelRegistry } from "../core/models/registry.js";
import { ManualClock } from "../core/ports/clock.js";
import { ACTION_APPROVE } from "./views/recommendation.js";
import { botServicesFrom, startSwitchWith } from "./wiring.js";

describe("Approve in Slack runs the real saga on the simulated cloud", () => {
  let db: Database & { dispose(): Promise<void> };
  const slack = new FakeSlack(SLACK_LIMITS);
  beforeAll(async () => {
    db = await testDatabase();
    await slack.start();
  });
  afterAll(async () => {
    await slack.stop();
    await db.dispose();
  });

  it("one click: replacement launched, old terminated, steps on the message, two thread replies, within 12 Web API calls", async () => {
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
      slack.reset();
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
      // the thread: started and done, nothing per step (steps go on the message itself)
      expect(thread).toEqual([
        expect.stringContaining("started (approved by <@UAPPROVER>)"),
        expect.stringMatching(/Done: `i-sim0001` replaced by `i-/),
      ]);
      expect(String(slack.callsTo("chat.update").at(-1)?.params.text)).toContain(
        ":white_check_mark: Approved by @UAPPROVER",
      );
      // the whole switch, double click included, within 12 Web API calls and without a single 429
      expect(slack.calls.filter((c) => c.method !== "auth.test").length).toBeLessThanOrEqual(12);
      expect(slack.rateLimited).toHaveLength(0);
      expect((await h.recs.get(id))?.status).toBe("done");
    } finally {
      await h.stop();
    }
  });

  it("through botServicesFrom: after /spot pause on the real control service, Approve is refused at click time and the recommendation stays open", async () => {
    const clock = new ManualClock(Date.now());
    const cloud = new SimCloud({ clock });
    const old = seedSimFleet(cloud)[0];
    const sim = simRunner({ cloud, mode: "approve" });
    const h = await startHarness({
      db,
      slack,
      clock,
      override: ({ recs }) =>
        botServicesFrom({
          recommendations: recs,
          runner: sim.runner,
          registry: new ModelRegistry({
            repo: new MemoryModelRepository(),
            audit: sim.audit,
            clock,
            validate: async () => {
              throw new CodedError("model_invalid", "no validator in this test");
            },
          }),
          control: sim.control,
          health: new HealthService(new MemoryHealthStore(), clock),
          experimentReport: async () => ({
            since: null,
            until: 0,
            labelled: 0,
            unknown: 0,
            pending: 0,
            riskCeiling: 0.5,
            decisionsCompared: 0,
            championId: null,
            models: [],
          }),
          audit: sim.audit,
          fetchFile: async () => new Uint8Array(),
          clock,
        }),
    });
    try {
      expect(String((await h.command("pause game day", "UAPPROVER")).text)).toContain("paused");
      expect(JSON.stringify(await h.command("status", "U1"))).toContain("*paused*: game day");
      expect(JSON.stringify(await h.command("experiments", "U1"))).toContain("no labelled predictions yet");
      const { id, ref } = await h.recommend(
        switchDecision(old.instanceId, {
          accountId: "sim",
          from: { region: "us-east-1", az: old.az, instanceType: old.instanceType },
          to: { region: "us-east-1", az: old.az, instanceType: "m5a.xlarge" },
          alternatives: [],
        }),
      );
      slack.reset();
      await h.click(ACTION_APPROVE, id, "UAPPROVER", { ref });
      await h.bot.idle();
      expect(cloud.callsOf("runInstances")).toHaveLength(0);
      expect(slack.callsTo("chat.postMessage").filter((c) => c.params.thread_ts === ref.ts)).toHaveLength(0);
      const refusal = String(slack.callsTo("chat.postEphemeral").at(-1)?.params.text);
      expect(refusal).toContain("Not approved: switching is paused by <@UAPPROVER> (game day)");
      expect(refusal).toContain("`/spot resume`");
      expect(refusal).toContain("stays open");
      expect((await h.recs.get(id))?.status).toBe("pending");
      // resumed, the same message can be approved
      await h.command("resume", "UAPPROVER");
      await h.click(ACTION_APPROVE, id, "UAPPROVER", { ref, actionTs: "9.9" });
      await h.bot.idle();
      expect(cloud.callsOf("runInstances")).toHaveLength(1);
    } finally {
      await h.stop();
    }
  });
});
