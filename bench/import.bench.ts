/**
 * `prices import` at scale, each run in a child process so its peak RSS is its own: a generated 200,000-record
 * AWS CLI JSON file (a region's month) and a generated 1,000,000-row CSV, into real Redis (REDIS_URL, default
 * redis://127.0.0.1:6379; a fresh key prefix, removed afterwards). The same-run floor is a child that loads
 * the same modules and streams the same file counting its lines: reading it at all, and the runtime's RSS.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { writeSynthAwsJson, writeSynthCsv } from "../test/support/price-files.js";
import type { BenchResult } from "./types.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");

interface ChildResult {
  ms: number;
  maxRssMb: number;
  out: string;
}

function child(args: string[]): ChildResult {
  const out = execFileSync(process.execPath, ["--import", "tsx", join(here, "import-child.ts"), ...args], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 1 << 24,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const last = out.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as ChildResult;
}

async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 5000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "spotwise-import-bench-"));
  const results: BenchResult[] = [];
  try {
    const cases = [
      { name: "prices import, AWS CLI JSON, 200,000 records", file: join(dir, "month.json"), n: 200_000 },
      { name: "prices import, CSV, 1,000,000 rows", file: join(dir, "big.csv"), n: 1_000_000 },
    ];
    writeSynthAwsJson(cases[0].file, cases[0].n, { pools: 1_000 });
    writeSynthCsv(cases[1].file, cases[1].n, { pools: 2_000 });
    for (const c of cases) {
      const mb = statSync(c.file).size / 1024 / 1024;
      const floor = child(["floor", c.file]);
      const prefix = `spotwise-bench:${randomUUID()}:`;
      let imp: ChildResult;
      try {
        imp = child(["import", c.file, prefix]);
      } finally {
        await dropPrefix(prefix);
      }
      results.push(
        {
          name: `${c.name}: time`,
          value: imp.ms,
          unit: "ms",
          baseline: { name: "floor: stream the file, count lines", value: floor.ms },
          notes: `${mb.toFixed(0)} MB file; ${imp.out}`,
        },
        {
          name: `${c.name}: peak RSS`,
          value: imp.maxRssMb,
          unit: "MB",
          baseline: { name: "floor: same modules, file streamed", value: floor.maxRssMb },
        },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
