/**
 * Capacity traces in the format of ../shared/data/aux/spot-traces.csv (kind,nodes,trace_set,zone,resource,
 * gap_seconds,tick,offset_seconds,value): the 1-node traces, value 0 = no capacity at that tick. Labels and the
 * two baselines, as in training/traces.py.
 */
import { z } from "zod";
import { CodedError } from "../errors.js";
import type { CapacityPoint } from "../types.js";

export const HOUR_MS = 3_600_000;
export const TRACE_HORIZON_MS = HOUR_MS;
const HEADER = ["kind", "nodes", "trace_set", "zone", "resource", "gap_seconds", "tick", "offset_seconds", "value"];

export interface Trace {
  key: string;
  points: CapacityPoint[];
}

const Row = z.object({
  kind: z.string().min(1),
  nodes: z.string().min(1),
  trace_set: z.string(),
  zone: z.string(),
  resource: z.string(),
  offset_seconds: z.coerce.number().finite(),
  value: z.coerce.number().finite().min(0),
});

/** The 1-node traces of the CSV text, each sorted by time (ts = offset_seconds in ms). */
export function parseTraces(csv: string): Trace[] {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines[0]?.split(",").map((h) => h.trim()) ?? [];
  const missing = HEADER.filter((h) => !header.includes(h));
  if (missing.length) {
    throw new CodedError(
      "invalid_input",
      `traces file lacks column(s) ${missing.join(", ")}: expected ${HEADER.join(",")}`,
    );
  }
  const idx = Object.fromEntries(header.map((h, i) => [h, i]));
  const series = new Map<string, CapacityPoint[]>();
  for (let n = 1; n < lines.length; n++) {
    const cells = lines[n].split(",");
    const parsed = Row.safeParse(Object.fromEntries(HEADER.map((h) => [h, cells[idx[h]]])));
    if (!parsed.success) {
      throw new CodedError("invalid_input", `traces line ${n + 1} is malformed: ${parsed.error.issues[0]?.message}`);
    }
    const r = parsed.data;
    if (r.nodes !== "1-node") continue;
    const key = `${r.kind}|${r.trace_set}|${r.zone}|${r.resource}`;
    let pts = series.get(key);
    if (!pts) {
      pts = [];
      series.set(key, pts);
    }
    pts.push({ ts: r.offset_seconds * 1000, available: r.value > 0 ? 1 : 0 });
  }
  return [...series.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, points]) => ({ key, points: points.sort((a, b) => a.ts - b.ts) }));
}

/** Per tick: 1 when any tick in (t, t+1h] has value 0, 0 otherwise, -1 when the next hour is not fully observed. */
export function traceLabels(points: readonly CapacityPoint[]): Int8Array {
  const n = points.length;
  const out = new Int8Array(n);
  const last = n ? points[n - 1].ts : 0;
  const zeros = zeroPrefix(points);
  let hi = 0;
  for (let i = 0; i < n; i++) {
    if (hi < i) hi = i;
    while (hi + 1 < n && points[hi + 1].ts <= points[i].ts + TRACE_HORIZON_MS) hi++;
    // zeros among ticks (i, hi]
    out[i] = points[i].ts + TRACE_HORIZON_MS > last ? -1 : zeros[hi + 1] - zeros[i + 1] > 0 ? 1 : 0;
  }
  return out;
}

function zeroPrefix(points: readonly CapacityPoint[]): Int32Array {
  const zeros = new Int32Array(points.length + 1);
  for (let i = 0; i < points.length; i++) zeros[i + 1] = zeros[i] + (points[i].available === 0 ? 1 : 0);
  return zeros;
}

/** Baselines per tick: any value 0 in (t-1h, t]; share of ticks with value 0 in (t-6h, t]. */
export function traceBaselines(points: readonly CapacityPoint[]): {
  lostLastHour: Float64Array;
  fracLost6h: Float64Array;
} {
  const n = points.length;
  const lostLastHour = new Float64Array(n);
  const fracLost6h = new Float64Array(n);
  const zeros = zeroPrefix(points);
  let lo1 = 0;
  let lo6 = 0;
  for (let i = 0; i < n; i++) {
    const t = points[i].ts;
    while (points[lo1].ts <= t - HOUR_MS) lo1++;
    while (points[lo6].ts <= t - 6 * HOUR_MS) lo6++;
    lostLastHour[i] = zeros[i + 1] - zeros[lo1] > 0 ? 1 : 0;
    fracLost6h[i] = (zeros[i + 1] - zeros[lo6]) / (i + 1 - lo6);
  }
  return { lostLastHour, fracLost6h };
}
