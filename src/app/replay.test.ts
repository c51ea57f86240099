import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { BUNDLED, bundledPath, loadAdvisor, loadCatalog, loadOnDemand } from "../adapters/tables/index.js";
import { memoryIo } from "../cli/io.js";
import { runCli } from "../cli/program.js";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { buildFleet, type FleetSpec } from "../core/backtest/fleet.js";
import { buildPriceGrid, splitWindow } from "../core/backtest/grid.js";
import { simContext } from "../core/backtest/model.js";
import { advisorRiskScorer } from "../core/backtest/risk.js";
import { spotwisePolicy } from "../core/backtest/spotwise.js";
import { parsePriceFile } from "../core/market/import.js";
import { demoFleet } from "./demo.js";
import { cronEveryMinutes, runReplay } from "./replay.js";

const HOUR = 3_600_000;

/** The bundled GPU market (real AWS records, MIT; data/README.md), a fixed 3-day slice. */
async function slice() {
  const file = bundledPath(BUNDLED.demoPrices);
  const prices = parsePriceFile(await readFile(file, "utf8"), file).records;
  const from = Date.parse("2019-12-27T00:00:00Z");
  const to = from + 72 * HOUR;
  const fleet: FleetSpec[] = demoFleet(prices, from, 6).map((f, n) => ({
    ...f,
    instanceId: `i-parity${n}`,
    azFlexible: n % 2 === 0,
  }));
  const tables = {
    onDemand: await loadOnDemand(),
    advisor: await loadAdvisor(bundledPath(BUNDLED.advisor2021)),
    catalog: await loadCatalog(),
  };
  return { prices, from, to, fleet, tables };
}

describe("spotwise replay", () => {
  it("with advisor-only risk decides as the backtest does, hour by hour (parity on a fixed slice)", async () => {
    const { prices, from, to, fleet, tables } = await slice();
    const base = loadConfig({});
    // price now only (the backtest's mean runs on its hourly grid, the daemon's on the raw series); hourly ticks
    const config: Config = {
      ...base,
      file: {
        ...base.file,
        policy: { ...base.file.policy, meanWeight: 0, stayLevelHalfLifeHours: 0, minHoursInPool: 12 },
        schedule: { ...base.file.schedule, decide: "0 * * * *" },
      },
    };
    const replay = await runReplay({
      prices,
      tables,
      fleet,
      from,
      to,
      approve: "all",
      risk: "advisor",
      config,
      write: () => {},
      latencies: { imageMs: 0, bootMs: 0, statusChecksMs: 0, healthyMs: 0, terminateMs: 0 },
    });

    const w = splitWindow(prices, undefined, from, to);
    const grid = buildPriceGrid(w.window, { initial: w.initial });
    const { instances } = buildFleet(fleet, grid, tables, config.file.policy);
    const ctx = simContext(grid, instances, tables.advisor);
    const policy = spotwisePolicy(config.file.policy, advisorRiskScorer(tables.advisor), undefined, {
      advisor: tables.advisor,
      advisorOnly: true,
    });
    const backtest = await policy.run(ctx);

    expect(replay.detail.instanceIds).toEqual(instances.map((i) => i.instanceId));
    expect(replay.summary.hours).toBe(grid.hours);
    const moves = backtest.reduce(
      (n, s) => n + s.choice.filter((c, h) => c !== (h ? s.choice[h - 1] : s.initial)).length,
      0,
    );
    expect(moves).toBeGreaterThan(0);
    for (let i = 0; i < instances.length; i++) {
      const where = (c: number): string => (c < 0 ? "on-demand" : grid.ids[c]);
      expect(Array.from(replay.detail.schedules[i].choice, where), instances[i].instanceId).toEqual(
        Array.from(backtest[i].choice, where),
      );
    }
    expect(replay.summary.switches).toBe(moves);
    expect(replay.detail.sagas).toEqual({ done: moves, rolled_back: 0, failed: 0 });
    expect(replay.summary.lost_instances).toBe(0);
    // what the channel saw: one post per recommendation; each switch as an approver's click shows it, on the one
    // message ("switching…", then how it ended) and in its thread (started, done), and the summary counts it
    expect(replay.detail.recommendations).toBe(moves);
    expect(replay.summary.messages.updates).toBeGreaterThanOrEqual(2 * moves);
    expect(replay.summary.messages.thread_replies).toBe(2 * moves);
  }, 240_000);

  it("prints the documented --json shape and refuses bad options", async () => {
    const io = memoryIo({ SPOTWISE_CONFIG: "" });
    const file = bundledPath(BUNDLED.demoPrices);
    const code = await runCli(
      ["replay", "--prices", file, "--from", "2019-12-27T00:00Z", "--to", "2019-12-27T04:00Z", "--json"],
      io,
    );
    expect(io.err.join("")).toBe("");
    expect(code).toBe(0);
    const s = JSON.parse(io.out.join(""));
    expect(Object.keys(s)).toEqual([
      "hours",
      "instances",
      "switches",
      "switches_per_instance_week",
      "cost_usd",
      "stay_cost_usd",
      "oracle_cost_usd",
      "oracle_capture_pct",
      "lost_instances",
      "messages",
    ]);
    expect(Object.keys(s.messages)).toEqual(["posts", "updates", "thread_replies"]);
    expect(s.hours).toBeGreaterThan(0);
    expect(s.hours).toBeLessThanOrEqual(7);
    // a few hours cannot pay a switch back: only the oracle bound holds on so short a window
    expect(s.oracle_cost_usd).toBeLessThanOrEqual(s.cost_usd + 1e-6);
    expect(s.lost_instances).toBe(0);

    const bad = memoryIo({});
    expect(await runCli(["replay", "--prices", file, "--approve", "some"], bad)).toBe(2);
    expect(bad.err.join("")).toMatch(/--approve must be "all" or "none"/);
  }, 240_000);

  it("follows the configured decide schedule", () => {
    expect(cronEveryMinutes("*/15 * * * *")).toBe(15);
    expect(cronEveryMinutes("0 * * * *")).toBe(60);
    expect(() => cronEveryMinutes("0 9 * * 1")).toThrow(/schedule.decide/);
  });
});
