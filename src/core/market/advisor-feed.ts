/**
 * The public Spot Instance Advisor feed (spot-advisor-data.json):
 * {"ranges": [{"index": 0, "label": "<5%", ...}], "spot_advisor": {region: {"Linux": {type: {"r": rangeIndex, "s": savings}}}}}.
 * Parsed with zod into the same AdvisorTable as the bundled CSV; a refresh that fails keeps the bundled snapshot.
 */
import { z } from "zod";
import { CodedError, errorMessage } from "../errors.js";
import type { InterruptionBucket } from "../types.js";
import { ADVISOR_BUCKET_LABELS } from "../types.js";
import type { MarketLogger } from "./log.js";
import { type AdvisorTable, tableKey } from "./tables.js";

const Range = z.object({ index: z.number().int(), label: z.string() });
const Entry = z.object({ r: z.number().int(), s: z.number() });
export const AdvisorFeed = z.object({
  ranges: z.array(Range).min(1),
  spot_advisor: z.record(z.string(), z.record(z.string(), z.record(z.string(), Entry))),
});

export function parseAdvisorFeed(data: unknown, source = "spot-advisor-data.json"): AdvisorTable {
  const r = AdvisorFeed.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new CodedError(
      "invalid_input",
      `${source}: not a Spot Advisor feed: ${i?.path.join(".") || "(root)"}: ${i?.message ?? "invalid"}`,
    );
  }
  const bucketOfRange = new Map<number, InterruptionBucket>();
  for (const range of r.data.ranges) {
    const b = ADVISOR_BUCKET_LABELS.indexOf(range.label as (typeof ADVISOR_BUCKET_LABELS)[number]);
    if (b >= 0) bucketOfRange.set(range.index, b as InterruptionBucket);
  }
  const out: AdvisorTable = new Map();
  for (const [region, byOs] of Object.entries(r.data.spot_advisor)) {
    for (const [instanceType, e] of Object.entries(byOs.Linux ?? {})) {
      const bucket = bucketOfRange.get(e.r);
      if (bucket === undefined) continue; // unknown range: leave the type out rather than guess
      out.set(tableKey(region, instanceType), { region, instanceType, bucket, savingsPct: e.s });
    }
  }
  return out;
}

export interface AdvisorResult {
  table: AdvisorTable;
  source: "feed" | "bundled";
}

/** Fetches the feed through `fetchJson`; on any failure logs once and returns the bundled table. */
export async function loadAdvisorWithFallback(deps: {
  url: string;
  fetchJson: (url: string) => Promise<unknown>;
  fallback: () => Promise<AdvisorTable>;
  log: MarketLogger;
}): Promise<AdvisorResult> {
  try {
    const table = parseAdvisorFeed(await deps.fetchJson(deps.url), deps.url);
    if (table.size === 0) throw new Error("the feed has no Linux entries");
    return { table, source: "feed" };
  } catch (e) {
    deps.log.warn(
      { url: deps.url, error: errorMessage(e) },
      "spot advisor feed unavailable; using the bundled snapshot",
    );
    return { table: await deps.fallback(), source: "bundled" };
  }
}
