/**
 * One decide tick for 10,000 managed instances over 5,000 pools on real Redis and PostgreSQL: fleet
 * discovery (SimCloud), the market read, features, batch inference with models/default.onnx, the policy,
 * persistence of every decision and posting of each SWITCH as a recommendation (notifier dropped), shadow
 * mode. Reported against its floors measured in the same run: one onnxruntime batch over the same tensor
 * shape and one pipelined Redis read of the same history; plus where the tick's time went and peak RSS.
 * REDIS_URL (default redis://127.0.0.1:6379), DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres;
 * a fresh database is created next to it and dropped afterwards).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createLogger } from "../src/adapters/log/logger.js";
import { OnnxModelLoader } from "../src/adapters/onnx/runner.js";
import type { SimEc2Factory } from "../src/adapters/sim/factory.js";
import { ConsoleNotifier } from "../src/adapters/slack/console-notifier.js";
import { simCloudPorts } from "../src/app/cloud.js";
import { buildContainer } from "../src/app/container.js";
import { openInfra } from "../src/app/infra.js";
import { buildFeatureMatrix } from "../src/core/features/engine.js";
import { readFeatureSeries } from "../src/core/features/inputs.js";
import type { Decision } from "../src/core/types.js";
import { parsePoolId, poolId } from "../src/core/types.js";
import { DEFAULT_MODEL_PATH } from "../test/adapters/onnx-fixtures.js";
import { benchConfig, openDecideWorld } from "./decide-fixture.js";
import { type BenchResult, medianMs } from "./types.js";

const POOLS = 5_000;
const INSTANCES = 10_000;
const HOUR = 3_600_000;
/** The daemon's default decide schedule (every 15 minutes): the measured ticks follow it. */
const STEP = 15 * 60_000;
/** Ticks measured after the warm-up, STEP apart, the last at the world's `now`. */
const MEASURED_TICKS = 4;
const here = dirname(fileURLToPath(import.meta.url));
/** The measured tick's decisions as recorded by a reference run (BENCH_RECORD=1 rewrites it). */
const REFERENCE = join(here, "decide-reference.json");

/** What must not change when the tick gets faster: per instance the action, the target and the saving. */
function fingerprint(decisions: readonly Decision[]): { sha256: string; decisions: number } {
  const lines = decisions
    .map(
      (d) =>
        `${d.instanceId} ${d.action} ${d.to ? poolId(d.to) : "-"} ${d.savingPerHour.toFixed(6)} ${d.riskFrom.toFixed(6)} ${d.strategy}`,
    )
    .sort();
  return { sha256: createHash("sha256").update(lines.join("\n")).digest("hex"), decisions: lines.length };
}

function compareToReference(got: { sha256: string; decisions: number }): string {
  if (process.env.BENCH_RECORD === "1" || !existsSync(REFERENCE)) {
    writeFileSync(REFERENCE, `${JSON.stringify(got, null, 2)}\n`);
    return `recorded as the reference (${REFERENCE})`;
  }
  const ref = JSON.parse(readFileSync(REFERENCE, "utf8")) as { sha256: string; decisions: number };
  return ref.sha256 === got.sha256
    ? `identical to the reference (${got.decisions} decisions, sha256 ${got.sha256.slice(0, 12)})`
    : `DIFFERENT from the reference (${got.decisions} vs ${ref.decisions} decisions, sha256 ${got.sha256.slice(0, 12)} vs ${ref.sha256.slice(0, 12)})`;
}

interface DayResult {
  steadyMb: number;
  /** RSS right after the last tick and a full GC, before the idle time between ticks. */
  afterGcMb: number;
  /** RSS each second of that idle time. */
  idleRss: number[];
  idleMb: number;
  peakMb: number;
  heapMb: number;
  heapTotalMb: number;
  externalMb: number;
  ticks: number;
  stepMinutes: number;
  tickMs: number[];
}

/**
 * Node options of the daemon-day child: BENCH_DAEMON_NODE_ARGS (default none, as the Dockerfile starts the
 * daemon), e.g. "--max-old-space-size=192" to see the daemon under a heap cap.
 */
function daemonNodeArgs(): string[] {
  return (process.env.BENCH_DAEMON_NODE_ARGS ?? "").split(" ").filter(Boolean);
}

/**
 * The daemon alone in a child process over a simulated day on this world (bench/daemon-day.ts), run as the
 * product runs: compiled by tsc (into dist/, bench/tsconfig.daemon.json) and started by node, not through the tsx
 * loader (whose transpiled sources and source maps alone take ~130 MB of RSS).
 */
function daemonDay(world: { prefix: string; dbUrl: string; now: number }, instances: number): DayResult {
  const root = resolve(here, "..");
  execFileSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", join(here, "tsconfig.daemon.json")],
    { cwd: root, stdio: ["ignore", "inherit", "inherit"] },
  );
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", ...daemonNodeArgs(), join(root, "dist/bench/daemon-day.js")],
    {
      cwd: resolve(here, ".."),
      encoding: "utf8",
      maxBuffer: 1 << 24,
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        ...process.env,
        BENCH_PREFIX: world.prefix,
        BENCH_DB_URL: world.dbUrl,
        // the day ends two hours before the measured tick, which then runs on a day of history
        BENCH_END: String(world.now - 2 * HOUR),
        BENCH_INSTANCES: String(instances),
      },
    },
  );
  return JSON.parse(out.trim().split("\n").at(-1) ?? "") as DayResult;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Time spent in async methods of an object, summed per label (concurrent calls overlap). */
class Phases {
  readonly ms = new Map<string, number>();
  readonly calls = new Map<string, number>();
  wrap<T extends object>(label: string, obj: T, methods: Array<keyof T & string>): T {
    for (const m of methods) {
      const fn = obj[m] as unknown as (...a: unknown[]) => Promise<unknown>;
      const bound = fn.bind(obj);
      Object.defineProperty(obj, m, {
        configurable: true,
        value: async (...a: unknown[]) => {
          const t = performance.now();
          try {
            return await bound(...a);
          } finally {
            const key = `${label}.${m}`;
            this.ms.set(key, (this.ms.get(key) ?? 0) + performance.now() - t);
            this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
          }
        },
      });
    }
    return obj;
  }
  reset(): void {
    this.ms.clear();
    this.calls.clear();
  }
  summary(): string {
    const parts = [...this.ms.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v.toFixed(0)} ms/${this.calls.get(k)}x`);
    return `${parts.join(", ")} (time inside each call: calls running at once overlap, and share the one thread)`;
  }
}

export async function run(): Promise<BenchResult[]> {
  const world = await openDecideWorld({ pools: POOLS, instances: INSTANCES });
  const quiet = createLogger({ level: "silent", destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const phases = new Phases();
  try {
    const day = daemonDay(world, INSTANCES);
    const config = benchConfig(world.regions, world.azs);
    const infra = await openInfra(config, { clock: world.clock, log: quiet, db: world.db });
    let saved: Decision[] = [];
    const saveTick = infra.decisions.saveTick.bind(infra.decisions);
    infra.decisions.saveTick = async (tickAt, mode, decisions) => {
      saved = decisions;
      return saveTick(tickAt, mode, decisions);
    };
    phases.wrap("fleet", infra.fleet, ["sync"]);
    phases.wrap("decisions", infra.decisions, ["history", "saveTick"]);
    phases.wrap("market", world.market, ["listPools", "readPrices", "readCapacity"]);
    const ports = simCloudPorts(world.cloud);
    phases.wrap("ec2", ports.ec2 as SimEc2Factory, ["forAccount"]);
    const c = await buildContainer(infra, {
      cloud: ports,
      market: world.market,
      notifier: new ConsoleNotifier({ write: () => {} }),
    });
    phases.wrap("scoring", c.scoring, ["scoreTick"]);
    phases.wrap("recommendations", c.recommendations, ["standing", "rearm"]);
    phases.wrap("publisher", c.publisher, ["publish"]);
    try {
      // warm-up: loads the model, fills the fleet table, posts the first recommendations
      const setupRssMb = process.resourceUsage().maxRSS / 1024;
      world.clock.set(world.now - MEASURED_TICKS * STEP);
      const warm = await c.jobs.decide.tick(world.now - MEASURED_TICKS * STEP);
      // then the daemon's schedule for an hour: a tick every 15 minutes, the last at `now` (its decisions are
      // checked against the reference); every fourth plans its unswitchable advice again (PLAN_REUSE_MS)
      const tickMsAll: number[] = [];
      let stats: Record<string, unknown> = {};
      let where = "";
      for (let k = MEASURED_TICKS - 1; k >= 0; k--) {
        const at = world.now - k * STEP;
        world.clock.set(at);
        phases.reset();
        const t = performance.now();
        stats = await c.jobs.decide.tick(at);
        tickMsAll.push(performance.now() - t);
        where = phases.summary();
      }
      const tickMs = median(tickMsAll);
      const reference = compareToReference(fingerprint(saved));
      if (stats.instances !== INSTANCES) {
        throw new Error(
          `decide saw ${String(stats.instances)} instances, expected ${INSTANCES}: ${JSON.stringify(stats)}`,
        );
      }
      const rows = Number(stats.pools);

      // floors over the same pools: the pipelined history read and one ORT batch over a tensor of that shape
      const ids = (await Promise.all(world.regions.map((r) => world.market.listPools(r)))).flat();
      const readMs = await medianMs(() => readFeatureSeries(world.market, ids, world.now), 5, 1);
      const series = await readFeatureSeries(world.market, ids, world.now);
      const features = buildFeatureMatrix({
        now: world.now,
        pools: ids.map(parsePoolId),
        prices: series.prices,
        capacity: series.capacity,
        onDemand: c.tables.onDemand,
        advisor: c.tables.advisor,
      });
      const x = new Float32Array(rows * features.cols);
      for (let r = 0; r < rows; r++) {
        const src = r % features.rows;
        x.set(features.matrix.subarray(src * features.cols, (src + 1) * features.cols), r * features.cols);
      }
      const runner = await new OnnxModelLoader().load({
        modelId: "bench",
        name: "default",
        bytes: new Uint8Array(readFileSync(DEFAULT_MODEL_PATH)),
      });
      let ortMs: number;
      try {
        ortMs = await medianMs(() => runner.predict(x, rows, features.cols), 5, 2);
      } finally {
        await runner.close();
      }
      const floor = readMs + ortMs;
      const maxRssMb = process.resourceUsage().maxRSS / 1024;
      const outcome =
        `${stats.switch} SWITCH, ${stats.stay} STAY, ${stats.ondemand} ONDEMAND, ${stats.recommendations} new ` +
        `recommendations (warm-up tick posted ${warm.recommendations}), model ${String(stats.model)}`;
      return [
        {
          name: `decide tick, ${INSTANCES} instances / ${rows} pools (median of ${MEASURED_TICKS})`,
          value: tickMs,
          unit: "ms",
          baseline: { name: "floor: Redis read + ORT batch", value: floor },
          notes:
            `${outcome}; every other instance az-flexible; ${POOLS} pools = ${world.realSeries} real us-east-1 2021 series replayed under ` +
            `${world.regions.join(", ")} (${world.points} points); Redis ${world.redisUrl}, PostgreSQL ${world.databaseUrl}` +
            `\n${"".padEnd(11)}the ${MEASURED_TICKS} ticks, 15 minutes apart after the warm-up: ${tickMsAll.map((v) => v.toFixed(0)).join(", ")} ms; ` +
            `phases of the last (ms): ${JSON.stringify(stats.ms)}` +
            `\n${"".padEnd(11)}where the last tick went: ${where}` +
            `\n${"".padEnd(11)}decisions: ${reference}`,
        },
        {
          name: `floor: one pipelined Redis read, ${ids.length} pools`,
          value: readMs,
          unit: "ms",
          notes: "readFeatureSeries (prices + capacity, 30 days) on the same RedisMarketStore",
        },
        {
          name: `floor: one ORT batch [${rows}, ${features.cols}]`,
          value: ortMs,
          unit: "ms",
          notes: "OnnxModelLoader over models/default.onnx, the same pools' feature rows",
        },
        {
          name: `daemon steady-state RSS, ${INSTANCES} instances, after a simulated day`,
          value: day.steadyMb,
          unit: "MB",
          baseline: { name: "the same daemon before its first tick", value: day.idleMb },
          notes:
            `child process, after ${day.ticks} decide ticks ${day.stepMinutes} min apart (+ hourly cleanup), a full GC ` +
            `(RSS then ${day.afterGcMb.toFixed(0)} MB) and ${day.idleRss.length} s idle, as between two ticks (the memory ` +
            `reducer gives the ticks' heap back); ` +
            `its peak RSS ${day.peakMb.toFixed(0)} MB, heap ${day.heapMb.toFixed(0)} MB used of ${day.heapTotalMb.toFixed(0)} MB, ` +
            `external ${day.externalMb.toFixed(0)} MB; compiled (dist/bench/daemon-day.js), as the product runs, node options ` +
            `${daemonNodeArgs().join(" ") || "none"}; ` +
            `tick median ${[...day.tickMs].sort((a, b) => a - b)[Math.floor(day.tickMs.length / 2)].toFixed(0)} ms`,
        },
        {
          name: "decide peak RSS (whole bench process)",
          value: maxRssMb,
          unit: "MB",
          notes: `peak before the first tick (fixture, ORM, Redis load): ${setupRssMb.toFixed(0)} MB`,
        },
      ];
    } finally {
      await c.close();
      await infra.close();
    }
  } finally {
    await world.dispose();
  }
}
