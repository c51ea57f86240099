/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) and prints each
 * measurement next to its same-run baseline as a ratio. `--json` prints the results as JSON.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BenchResult, withRatio } from "./types.js";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes("--json");
const only = args.filter((a) => !a.startsWith("--"));
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts") || f.endsWith(".bench.js"))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

const all: Array<BenchResult & { suite: string }> = [];
let failed = 0;
for (const f of files) {
  const suite = f.replace(/\.bench\.[jt]s$/, "");
  try {
    const mod = (await import(pathToFileURL(join(here, f)).href)) as { run(): Promise<BenchResult[]> };
    for (const r of await mod.run()) all.push({ suite, ...withRatio(r) });
  } catch (e) {
    failed++;
    console.error(`bench ${suite} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

if (json) {
  console.log(JSON.stringify(all, null, 2));
} else {
  const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
  for (const r of all) {
    const base = r.baseline ? `  vs ${r.baseline.name} ${fmt(r.baseline.value)} ${r.unit}` : "";
    const ratio = r.ratio !== undefined ? `  ratio ${r.ratio.toFixed(2)}x` : "";
    console.log(`${r.suite.padEnd(10)} ${r.name.padEnd(48)} ${fmt(r.value).padStart(9)} ${r.unit}${base}${ratio}`);
    if (r.notes) console.log(`${"".padEnd(11)}${r.notes}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
