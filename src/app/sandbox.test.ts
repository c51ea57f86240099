/**
 * The sandbox end to end: `SPOTWISE_CLOUD=sim spotwise start` on the embedded defaults (PGlite, in-process
 * stores) with the Slack variables pointing at a local Web API; signed requests to its receiver approve the
 * recommendation it posted, the real switch saga runs on the simulated cloud, the message ends "done".
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeSlack } from "../../test/bot/fake-slack.js";
import { buttonPayload, interactionBody, postSigned } from "../../test/bot/signed.js";
import { recentSwitches } from "../adapters/db/switch-history.js";
import { BUNDLED, bundledPath } from "../adapters/tables/index.js";
import { ACTION_APPROVE } from "../bot/views/recommendation.js";
import { loadConfig } from "../config/load.js";
import { parsePriceFile } from "../core/market/import.js";
import { ManualClock } from "../core/ports/clock.js";
import { openSandbox, SANDBOX_HISTORY_DAYS, sandboxFleet } from "./sandbox.js";
import { type RunningService, startService } from "./service.js";

const SECRET = "sandbox-signing-secret";

describe("SPOTWISE_CLOUD=sim: the sandbox", () => {
  it("replays the bundled market shifted to now, with a seeded fleet in the dearest AZ of each type", async () => {
    const now = Date.UTC(2026, 10, 30, 12, 34);
    const sb = await openSandbox(loadConfig({}), new ManualClock(now));
    const file = bundledPath(BUNDLED.demoPrices);
    const first = parsePriceFile(readFileSync(file, "utf8"), file).records[0].ts;
    // two weeks of the market lie in the past, the rest is still to come
    expect(first + sb.shiftMs).toBeLessThanOrEqual(now - SANDBOX_HISTORY_DAYS * 86_400_000);
    expect(first + sb.shiftMs).toBeGreaterThan(now - SANDBOX_HISTORY_DAYS * 86_400_000 - 3_600_000);
    expect(sb.cloud.prices.some((p) => p.ts > now)).toBe(true);
    expect(sb.instanceIds).toHaveLength(6);
    expect(sb.accounts).toEqual([
      { accountId: "sim", name: "sandbox (simulated)", regions: expect.arrayContaining(["us-east-1"]) },
    ]);
    for (const id of sb.instanceIds) {
      const i = sb.cloud.instances.get(id);
      expect(i?.tags["spotwise:managed"]).toBe("true");
      expect(sb.subnets.sim[i?.az ?? ""]).toBe(`subnet-${i?.az}`);
    }
    // each seeded instance sits in a pool dearer than another AZ of its type right now
    expect(sandboxFleet(sb.cloud.prices, now, 6).map((r) => `${r.az}/${r.instanceType}`)).toEqual(
      sb.instanceIds.map((id) => `${sb.cloud.instances.get(id)?.az}/${sb.cloud.instances.get(id)?.instanceType}`),
    );
  });

  describe("spotwise start with the Slack variables set", () => {
    const slack = new FakeSlack();
    let service: RunningService;

    beforeAll(async () => {
      await slack.start();
      const dir = mkdtempSync(join(tmpdir(), "spotwise-sandbox-"));
      // the simulated cloud's latencies are counted in saga polls: a fast poll makes a fast round
      writeFileSync(join(dir, "spotwise.yaml"), "switch:\n  pollIntervalSeconds: 0.02\n");
      const env = {
        SPOTWISE_CLOUD: "sim",
        SPOTWISE_MODE: "approve",
        SPOTWISE_DATA_DIR: dir,
        SPOTWISE_CONFIG: join(dir, "spotwise.yaml"),
        PORT: "0",
        LOG_LEVEL: "silent",
        SLACK_BOT_TOKEN: "xoxb-test",
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        SLACK_CHANNEL: "C0SANDBOX",
        SLACK_APPROVERS: "UAPPROVER",
      };
      service = await startService(loadConfig(env), { daemon: true, bot: true, env });
    });
    afterAll(async () => {
      await service?.stop("test");
      await slack.stop();
    });

    it("posts recommendations for the seeded fleet; Approve runs the switch on the simulated cloud to done", async () => {
      const recPosts = () =>
        slack
          .callsTo("chat.postMessage")
          .filter(
            (c) => c.params.channel === "C0SANDBOX" && JSON.stringify(c.params.blocks ?? []).includes(ACTION_APPROVE),
          );
      // the start-up scrape reads two weeks of six regions, then decides: wait for its post
      for (let i = 0; i < 1200 && recPosts().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      const post = recPosts()[0];
      const blocks = JSON.stringify(post.params.blocks);
      expect(blocks).toContain("sandbox (simulated) (sim)");
      expect(blocks).toMatch(/i-sandbox\d{4}/);
      const actions = (
        post.params.blocks as Array<{ type: string; elements?: Array<{ action_id?: string; value?: string }> }>
      )
        .filter((b) => b.type === "actions")
        .flatMap((b) => b.elements ?? []);
      const id = actions.find((e) => e.action_id === ACTION_APPROVE)?.value ?? "";
      expect(id).not.toBe("");
      const recs = service.container.recommendations;
      // the daemon records the message's ts right after Slack answered the post
      for (let i = 0; i < 1200 && !(await recs.get(id))?.messageTs; i++) await new Promise((r) => setTimeout(r, 50));
      const ts = (await recs.get(id))?.messageTs ?? "";
      expect(ts).not.toBe("");

      const res = await postSigned(
        service.port() ?? 0,
        interactionBody(
          buttonPayload({
            actionId: ACTION_APPROVE,
            value: id,
            userId: "UAPPROVER",
            channel: "C0SANDBOX",
            messageTs: ts,
          }),
        ),
        { secret: SECRET },
      );
      expect(res.status).toBe(200);

      const ended = ["done", "rolled_back", "failed", "rejected", "expired"];
      for (let i = 0; i < 3000 && !ended.includes((await recs.get(id))?.status ?? ""); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const rec = await recs.get(id);
      expect(rec?.status).toBe("done");
      const [sw] = await recentSwitches(service.container.infra.db, 1);
      expect(sw).toMatchObject({ instanceId: rec?.instanceId, state: "done", requestedBy: "slack:UAPPROVER" });
      expect(sw.newInstanceId).toMatch(/^i-/);
      expect(sw.to).toEqual(rec?.decision.to);
      // the message in the channel tells how it ended
      await slack.waitFor(
        () =>
          slack
            .callsTo("chat.update")
            .some(
              (c) => c.params.ts === ts && /done|switched/i.test(`${c.params.text} ${JSON.stringify(c.params.blocks)}`),
            ),
        "the recommendation message updated to done",
      );
      // the last state of the message has no buttons left; its thread says started and done, no more
      const last = slack
        .callsTo("chat.update")
        .filter((c) => c.params.ts === ts)
        .at(-1);
      expect(JSON.stringify(last?.params.blocks)).not.toContain(ACTION_APPROVE);
      const replies = slack.callsTo("chat.postMessage").filter((c) => c.params.thread_ts === ts);
      expect(replies.map((c) => String(c.params.text))).toEqual([
        expect.stringMatching(/started \(approved by <@UAPPROVER>\)/),
        expect.stringContaining(`Done: \`${rec?.instanceId}\` replaced by \`${sw.newInstanceId}\``),
      ]);
      // the world moved: the next decide tick's fleet discovery finds the replacement running in the advised pool,
      // carrying the managed instance's lineage, and the old instance gone
      await service.container.jobRunner.run(service.container.jobs.decide);
      const fleet = await service.container.infra.fleet.list({ accountId: "sim" });
      const now = fleet.find((i) => i.instanceId === sw.newInstanceId);
      expect(now).toMatchObject({
        az: rec?.decision.to?.az,
        instanceType: rec?.decision.to?.instanceType,
        lifecycle: "spot",
      });
      expect(now?.managedId).toBe(rec?.managedId);
      expect(fleet.map((i) => i.instanceId)).not.toContain(rec?.instanceId);
    }, 180_000);
  });
});
