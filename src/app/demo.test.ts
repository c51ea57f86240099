import { describe, expect, it } from "vitest";
import { memoryIo } from "../cli/io.js";
import { runCli } from "../cli/program.js";
import { loadConfig } from "../config/load.js";
import { runDemo } from "./demo.js";

describe("spotwise demo: replay on the bundled GPU market", () => {
  it("shows SWITCH and STAY recommendations in shadow mode, measured like the backtest", async () => {
    const out: string[] = [];
    const s = await runDemo({
      days: 1,
      instances: 6,
      approve: "none",
      config: loadConfig({}),
      write: (t) => out.push(t),
    });
    const text = out.join("\n");
    expect(s.decisions.SWITCH).toBeGreaterThan(0);
    expect(s.decisions.STAY).toBeGreaterThan(0);
    expect(s.recommendations).toBeGreaterThan(0);
    expect(s.switches).toEqual({ done: 0, rolled_back: 0, failed: 0 });
    expect(text).toMatch(/== Switch i-demo\d+/);
    expect(text).toMatch(/Shadow mode: spotwise only recommends/);
    expect(s.model).toBe("default v1");
    // shadow mode changes nothing: the fleet pays what staying pays
    expect(s.replay.switches).toBe(0);
    expect(s.replay.cost_usd).toBe(s.replay.stay_cost_usd);
    expect(s.replay.messages.posts).toBeGreaterThanOrEqual(s.recommendations);
  }, 300_000);

  it("over 14 days at the default cadence runs every approved switch through the saga and needs no more switches than the oracle, plus two", async () => {
    // issue 11's criterion as a user runs it: `spotwise demo --days 14 --approve all`, decide every 15 min (22
    // switches for 6 instances when the model's launch score was priced as interruption risk; the oracle needs 4)
    const io = memoryIo({});
    expect(await runCli(["demo", "--days", "14", "--approve", "all", "--json"], io)).toBe(0);
    const s = JSON.parse(io.out.join(""));
    expect(s.decide_every_minutes).toBe(15);
    expect(s.instances).toBe(6);
    expect(s.replay.hours).toBeGreaterThanOrEqual(14 * 24 - 1);
    expect(s.switches.done).toBeGreaterThan(0);
    expect(s.switches.done).toBe(s.recommendations);
    expect(s.switches.rolled_back + s.switches.failed).toBe(0);
    expect(s.replay.switches).toBeLessThanOrEqual(s.oracle_switches + 2);
    expect(s.replay.cost_usd).toBeLessThan(s.replay.stay_cost_usd);
    expect(s.replay.lost_instances).toBe(0);
    expect(s.digest.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  }, 1_200_000);

  it("refuses bad options with one actionable line", async () => {
    const io = memoryIo({});
    expect(await runCli(["demo", "--approve", "some"], io)).toBe(2);
    expect(io.err.join("")).toMatch(/--approve must be "all" or "none"/);
  });
});
