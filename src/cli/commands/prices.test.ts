import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { SYNTH_T0, writeSynthAwsJson, writeSynthCsv } from "../../../test/support/price-files.js";
import { redisUrl } from "../../../test/support/services.js";
import { MemoryMarketStore } from "../../adapters/market/memory.js";
import { RedisMarketStore } from "../../adapters/market/redis.js";
import type { MarketStore } from "../../core/ports/market-store.js";
import { memoryIo } from "../io.js";
import { runCli } from "../program.js";
import { importFiles } from "./prices.js";

const fixtures = resolve(import.meta.dirname, "../../core/features/fixtures");
const dir = mkdtempSync(join(tmpdir(), "spotwise-prices-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const csv = readFileSync(resolve(fixtures, "gpu-slice.csv"), "utf8");
const lines = csv.trimEnd().split("\n");
const broken = join(dir, "broken.csv");
writeFileSync(broken, [...lines.slice(0, 3), lines[3].replace(/,[0-9.]+$/, ",NaN"), ...lines.slice(4)].join("\n"));

const longRetention = join(dir, "long-retention.yaml");
writeFileSync(longRetention, "market:\n  retentionDays: 36500\n");

describe("spotwise prices import", () => {
  it("imports JSON and CSV files and prints what was stored per file", async () => {
    const io = memoryIo({ SPOTWISE_CONFIG: longRetention });
    const code = await runCli(
      ["prices", "import", resolve(fixtures, "gpu-slice.csv"), resolve(fixtures, "gpu-slice.aws.json")],
      io,
    );
    expect(io.err).toEqual([]);
    expect(code).toBe(0);
    expect(io.out[0]).toBe(
      `${resolve(fixtures, "gpu-slice.csv")}: 46 records (csv) in 5 pools: 46 stored, 0 already stored; ` +
        "0 duplicate rows, 0 non-Linux rows skipped",
    );
    // the JSON holds 19 of the same records: nothing new
    expect(io.out[1]).toMatch(/gpu-slice\.aws\.json: 19 records \(aws-json\) in 2 pools: 0 stored, 19 already stored;/);
    expect(io.out[2]).toMatch(/no REDIS_URL/);
  });

  it("says how much of a file is older than the retention window (counted from now) and was not kept", async () => {
    const io = memoryIo({});
    expect(await runCli(["prices", "import", resolve(fixtures, "gpu-slice.csv")], io)).toBe(0);
    // 2020 data, 30 days kept: only the price in effect now of each of the 5 pools stays
    expect(io.out[0]).toMatch(
      /46 records \(csv\) in 5 pools: 5 stored, 0 already stored, 41 older than the 30-day retention not kept \(market\.retentionDays\)/,
    );
  });

  it("refuses a future-dated row and an absurd price with the line, storing nothing of the file", async () => {
    const store = new MemoryMarketStore({ retentionMs: 0 });
    const future = join(dir, "future.csv");
    writeFileSync(
      future,
      [...lines.slice(0, 20), lines[20].replace(/^[^,]+/, "2030-01-01T00:00:00Z"), ...lines.slice(21)].join("\n"),
    );
    const io = memoryIo({});
    expect((await importFiles([future], io, store)).failed).toBe(1);
    expect(io.err[0]).toMatch(
      /future\.csv: line 21: field "timestamp" is "2030-01-01T00:00:00Z", more than 60 minutes after now/,
    );
    const absurd = join(dir, "absurd.csv");
    writeFileSync(
      absurd,
      [...lines.slice(0, 9), lines[9].replace(/,[0-9.]+$/, ",1e308"), ...lines.slice(10)].join("\n"),
    );
    const cli = memoryIo({});
    expect(await runCli(["prices", "import", absurd], cli)).toBe(2);
    expect(cli.err[0]).toMatch(
      /absurd\.csv: line 10: field "price_usd_per_hour" is 1e\+308 USD\/h, above the ceiling of/,
    );
    expect(await store.listPools()).toEqual([]);
  });

  it("refuses a broken file whole with file, line and field, imports the others, exits 2", async () => {
    const store = new MemoryMarketStore({ retentionMs: 0 });
    const io = memoryIo({});
    const { failed } = await importFiles([broken, resolve(fixtures, "gpu-slice.aws.json")], io, store);
    expect(failed).toBe(1);
    expect(io.err[0]).toContain(`${broken}: line 4: field "price_usd_per_hour" is not a price in USD per hour: "NaN"`);
    expect((await store.listPools()).sort()).toEqual([
      "us-east-1/us-east-1b/p3.2xlarge",
      "us-east-1/us-east-1f/p3.2xlarge",
    ]);
    const cli = memoryIo({});
    expect(await runCli(["prices", "import", broken, join(dir, "missing.csv")], cli)).toBe(2);
    expect(cli.err.join("\n")).toMatch(/missing\.csv: cannot read/);
    expect(cli.err.at(-1)).toMatch(/2 of 2 file\(s\) refused/);
  });

  it("needs at least one file", async () => {
    const io = memoryIo({});
    expect(await runCli(["prices", "import"], io)).toBe(2);
  });
});

/** A bad line deep in a large file: named by its number, nothing of the file stored (in-process and Redis). */
const url = redisUrl();
const stores: Array<[string, () => Promise<{ store: MarketStore; close(): Promise<void> }>]> = [
  ["in-process", async () => ({ store: new MemoryMarketStore({ retentionMs: 0 }), close: async () => {} })],
];
if (url) {
  stores.push([
    "redis",
    async () => {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 });
      const prefix = `spotwise-test:${Math.random().toString(36).slice(2)}:`;
      return {
        store: new RedisMarketStore(redis, { prefix, retentionMs: 0 }),
        close: async () => {
          const keys = await redis.keys(`${prefix}*`);
          if (keys.length) await redis.del(...keys);
          redis.disconnect();
        },
      };
    },
  ]);
}

describe.each(stores)("prices import of large files (%s store)", (_name, open) => {
  const csv = join(dir, "large.csv");
  const json = join(dir, "large.json");
  const conflict = join(dir, "conflict.csv");
  // 200,000 rows; row 187,654 (line 187,656) has a broken price
  writeSynthCsv(csv, 200_000, {
    bad: new Map([[187_654, "2021-03-02T00:00:00Z,us-east-1,us-east-1a,m5.large,Linux/UNIX,0.1x"]]),
  });
  // 30,000 records; record 28,001 (0-based 28,000) has a broken SpotPrice on line 7 + 7 × 28,000
  writeSynthAwsJson(json, 30_000, { bad: new Map([[28_000, "-0.5"]]) });
  // a valid file but for its last row, which contradicts row 1 (same pool and time, another price)
  writeSynthCsv(conflict, 50_000, {
    bad: new Map([
      [
        49_999,
        `${new Date(SYNTH_T0).toISOString().replace(".000Z", "Z")},us-east-1,us-east-1a,m5.large,Linux/UNIX,0.999`,
      ],
    ]),
  });

  it("names the line and stores nothing of the file", async () => {
    const { store, close } = await open();
    try {
      const io = memoryIo({});
      const { failed } = await importFiles([csv, json, conflict, resolve(fixtures, "gpu-slice.csv")], io, store);
      expect(failed).toBe(3);
      expect(io.err[0]).toBe(
        `spotwise: ${csv}: line 187656: field "price_usd_per_hour" is not a price in USD per hour: "0.1x"; nothing from this file was imported`,
      );
      expect(io.err[1]).toMatch(
        new RegExp(`${json}: line ${7 + 7 * 28_000}: field "SpotPrice" is not a price in USD per hour: "-0.5"`),
      );
      expect(io.err[2]).toMatch(
        /conflict\.csv: line 50001: field "price_usd_per_hour" contradicts line 2 \(same pool and time, price 0\.\d+ vs 0\.999\)/,
      );
      // only the good file reached the store
      expect((await store.listPools()).every((id) => id.endsWith("p3.2xlarge") || id.endsWith("p2.xlarge"))).toBe(true);
      expect(
        (await store.readPrices(["us-east-1/us-east-1a/m5.large"], 0)).get("us-east-1/us-east-1a/m5.large"),
      ).toEqual([]);
      expect(io.out).toHaveLength(1);
    } finally {
      await close();
    }
  }, 60_000);

  it("imports the same large files whole once they are fixed", async () => {
    const { store, close } = await open();
    try {
      const good = join(dir, "good.json");
      writeSynthAwsJson(good, 30_000);
      const io = memoryIo({});
      expect((await importFiles([good], io, store)).failed).toBe(0);
      expect(io.out[0]).toMatch(/good\.json: 30000 records \(aws-json\) in 500 pools: 30000 stored, 0 already stored;/);
      const pts =
        (await store.readPrices(["us-east-1/us-east-1a/m5.large"], 0)).get("us-east-1/us-east-1a/m5.large") ?? [];
      expect(pts).toHaveLength(60);
      expect(pts[0].ts).toBe(SYNTH_T0);
    } finally {
      await close();
    }
  }, 60_000);
});
