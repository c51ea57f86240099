/**
 * Writes the acceptance fleets of issue 11 to bench/fleets/<series>.csv: `n` instances of varied types per price
 * series (types with an on-demand price and at least two priced AZs at the window start), every other one
 * AZ-flexible, one in three starting in the dearest AZ of its type, the others in the cheapest or a middle one.
 * Deterministic: the same series gives the same fleet. Only types and AZ names are written (no price data).
 *   npx tsx bench/make-fleets.ts ../shared/data/prices-sa-east-1-2019-12-31_2020-04-30.csv sa-east-1 60
 *   npx tsx bench/make-fleets.ts ../shared/data/prices-gpu-p2p3-6regions-2019-12-20_2020-01-31.csv gpu 50 2019-12-27T00:00Z
 */
import { readFile, writeFile } from "node:fs/promises";
import { loadOnDemand } from "../src/adapters/tables/index.js";
import { buildPriceGrid } from "../src/core/backtest/grid.js";
import { parsePriceFile } from "../src/core/market/import.js";
import { tableKey } from "../src/core/market/tables.js";

const [file, name, count, fromIso] = process.argv.slice(2);
const n = Number(count ?? 60);
const prices = parsePriceFile(await readFile(file, "utf8"), file).records;
const grid = buildPriceGrid(prices);
const onDemand = await loadOnDemand();
// the hour the fleet is placed at: the replay's --from when given (default: the window start)
const h0 = fromIso ? Math.max(0, Math.ceil((Date.parse(fromIso) - grid.start) / 3_600_000)) : 0;
const byType = new Map<string, { az: string; price: number }[]>();
grid.pools.forEach((p, i) => {
  const v = grid.price[i * grid.hours + h0];
  if (Number.isNaN(v) || !onDemand.has(tableKey(p.region, p.instanceType))) return;
  const k = `${p.region}|${p.instanceType}`;
  byType.set(k, [...(byType.get(k) ?? []), { az: p.az, price: v }]);
});
const types = [...byType.entries()].filter(([, azs]) => azs.length >= 2).sort((a, b) => (a[0] < b[0] ? -1 : 1));
const rows = ["instance_id,region,az,instance_type,az_flexible"];
for (let i = 0; i < n && types.length > 0; i++) {
  // spread over the type list, round-robin when there are fewer types than instances
  const [k, azs] = types[Math.floor((i * types.length) / n) % types.length];
  const [region, type] = k.split("|");
  const sorted = [...azs].sort((a, b) => a.price - b.price || (a.az < b.az ? -1 : 1));
  const az =
    i % 3 === 0 ? sorted[sorted.length - 1].az : i % 3 === 1 ? sorted[0].az : sorted[Math.floor(sorted.length / 2)].az;
  rows.push(`r-${name}-${String(i + 1).padStart(3, "0")},${region},${az},${type},${i % 2 === 0}`);
}
await writeFile(`bench/fleets/${name}.csv`, `${rows.join("\n")}\n`);
console.log(
  `bench/fleets/${name}.csv: ${rows.length - 1} instances of ${new Set(rows.slice(1).map((r) => r.split(",")[3])).size} types`,
);
