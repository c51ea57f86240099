/** The bundled GPU spot market (MIT, data/) and how the demo and the sandbox pick their fleets from it. */
import { readFile } from "node:fs/promises";
import { BUNDLED, bundledPath } from "../adapters/tables/index.js";
import { parsePriceFile } from "../core/market/import.js";
import type { PriceRecord } from "../core/types.js";

/** The bundled GPU market (demo, sandbox). */
export async function bundledMarket(): Promise<PriceRecord[]> {
  const file = bundledPath(BUNDLED.demoPrices);
  return parsePriceFile(await readFile(file, "utf8"), file).records;
}

/** The price in effect at `t` of each pool, grouped by (region, type), for the types priced in two AZs or more. */
export function typesInSeveralAzs(prices: readonly PriceRecord[], t: number): PriceRecord[][] {
  const latest = new Map<string, PriceRecord>();
  for (const r of prices) if (r.ts <= t) latest.set(`${r.region}/${r.az}/${r.instanceType}`, r);
  const byType = new Map<string, PriceRecord[]>();
  for (const r of latest.values()) {
    const k = `${r.region}/${r.instanceType}`;
    byType.set(k, [...(byType.get(k) ?? []), r]);
  }
  return [...byType.values()].filter((rs) => rs.length >= 2);
}
