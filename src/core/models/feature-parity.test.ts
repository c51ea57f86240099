/**
 * Parity: the TypeScript capacity features (src/core/features/capacity.ts), trace labels and baselines
 * (src/core/models/traces.ts) agree with the Python trainer's (training/features.py, training/traces.py) on the
 * shared synthetic fixture training/fixtures/capacity-parity.json. Runs Debian's /usr/bin/python3.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CAPACITY_FEATURE_OFFSET, capacityFeatures } from "../features/capacity.js";
import { FEATURE_NAMES } from "../features/contract.js";
import type { CapacityPoint } from "../types.js";
import { traceBaselines, traceLabels } from "./traces.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const fixturePath = resolve(root, "training/fixtures/capacity-parity.json");

interface Fixture {
  series: { name: string; points: [number, 0 | 1][]; now: number[] }[];
}
interface PyResult {
  features: Record<string, (number | null)[]>;
  labels: number[];
  baselines: Record<string, (number | null)[]>;
}

const fixture = JSON.parse(readFileSync(fixturePath, "utf8")) as Fixture;
const python = JSON.parse(
  execFileSync("/usr/bin/python3", [resolve(root, "training/parity.py")], {
    input: readFileSync(fixturePath),
    maxBuffer: 64 * 1024 * 1024,
  }).toString("utf8"),
) as { results: PyResult[] };

function same(ts: number, py: number | null): boolean {
  if (py === null) return Number.isNaN(ts);
  return Math.abs(ts - py) <= 1e-5 * Math.max(1, Math.abs(py));
}

const capacityNames = FEATURE_NAMES.slice(CAPACITY_FEATURE_OFFSET, CAPACITY_FEATURE_OFFSET + 9);

describe("TypeScript and Python capacity features agree", () => {
  fixture.series.forEach((s, k) => {
    const points: CapacityPoint[] = s.points.map(([ts, available]) => ({ ts, available }));
    const py = python.results[k];

    it(`features of "${s.name}" at ${s.now.length} times`, () => {
      expect(Object.keys(py.features).sort()).toEqual([...capacityNames].sort());
      const mismatches: string[] = [];
      s.now.forEach((now, i) => {
        const f = capacityFeatures(points, now);
        capacityNames.forEach((name, j) => {
          if (!same(f[j], py.features[name][i]))
            mismatches.push(`${name} at now[${i}]: ts ${f[j]} py ${py.features[name][i]}`);
        });
      });
      expect(mismatches).toEqual([]);
    });

    it(`labels and baselines of "${s.name}"`, () => {
      expect(Array.from(traceLabels(points))).toEqual(py.labels);
      const b = traceBaselines(points);
      const bad: string[] = [];
      b.lostLastHour.forEach((v, i) => {
        if (!same(v, py.baselines.capacity_lost_last_hour[i])) bad.push(`lost_last_hour[${i}]`);
      });
      b.fracLost6h.forEach((v, i) => {
        if (!same(v, py.baselines.frac_capacity_lost_6h[i])) bad.push(`frac_6h[${i}]`);
      });
      expect(bad).toEqual([]);
    });
  });

  it("the fixture exercises every feature with varied values", () => {
    for (const name of capacityNames) {
      const values = new Set(python.results.flatMap((r) => r.features[name].filter((v) => v !== null)));
      expect(values.size, name).toBeGreaterThan(1);
    }
  });
});
