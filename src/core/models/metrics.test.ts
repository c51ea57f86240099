import { describe, expect, it } from "vitest";
import { FEATURE_COUNT, featureIndex } from "../features/contract.js";
import { AdvisorBucketHeuristic, advisorBucketHourlyRisk } from "./heuristic.js";
import { auc, brier, LOG_LOSS_EPS, logLoss } from "./metrics.js";
import { parseTraces, traceBaselines, traceLabels } from "./traces.js";

describe("metrics", () => {
  it("AUC is the rank statistic with ties averaged", () => {
    expect(auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
    expect(auc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(auc([1, 1], [0.1, 0.2])).toBeNaN();
  });
  it("Brier and clipped log loss", () => {
    expect(brier([0, 1], [0.2, 0.6])).toBeCloseTo((0.04 + 0.16) / 2, 12);
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(LOG_LOSS_EPS), 9);
    expect(logLoss([0, 1], [0.5, 0.5])).toBeCloseTo(Math.log(2), 12);
  });
});

describe("advisor-bucket heuristic", () => {
  it("turns the monthly bucket rate into a per-hour probability; unknown is the worst bucket", async () => {
    expect(advisorBucketHourlyRisk(0)).toBeCloseTo(1 - 0.975 ** (1 / 730), 12);
    expect(advisorBucketHourlyRisk(0)).toBeCloseTo(0.025 / 730, 6);
    expect(advisorBucketHourlyRisk(Number.NaN)).toBe(advisorBucketHourlyRisk(4));
    const x = new Float32Array(2 * FEATURE_COUNT).fill(Number.NaN);
    x[featureIndex("advisor_bucket")] = 1;
    const p = await new AdvisorBucketHeuristic().predict(x, 2, FEATURE_COUNT);
    expect(p[0]).toBeCloseTo(advisorBucketHourlyRisk(1), 9);
    expect(p[1]).toBeCloseTo(advisorBucketHourlyRisk(4), 9);
  });
});

describe("traces", () => {
  const csv = [
    "kind,nodes,trace_set,zone,resource,gap_seconds,tick,offset_seconds,value",
    ...[1, 1, 1, 0, 1, 1, 1, 1].map((v, i) => `availability,1-node,t,z,r,1200,${i},${i * 1200},${v}`),
    "availability,16-node,t,z,r,1200,0,0,16",
  ].join("\n");

  it("reads 1-node traces only and labels 'lost within the next hour'", () => {
    const traces = parseTraces(csv);
    expect(traces).toHaveLength(1);
    const labels = Array.from(traceLabels(traces[0].points));
    // ticks every 20 min: tick i is positive when ticks i+1..i+3 contain the 0 at tick 3; the last 3 ticks lack a full hour
    expect(labels).toEqual([1, 1, 1, 0, 0, -1, -1, -1]);
    const b = traceBaselines(traces[0].points);
    expect(Array.from(b.lostLastHour)).toEqual([0, 0, 0, 1, 1, 1, 0, 0]);
    expect(b.fracLost6h[4]).toBeCloseTo(1 / 5, 12);
  });

  it("refuses a file without the trace columns", () => {
    expect(() => parseTraces("a,b\n1,2")).toThrow(/traces file lacks column\(s\) kind, nodes/);
  });
});
