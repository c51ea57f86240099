import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryMarketStore } from "../../adapters/market/memory.js";
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

describe("spotwise prices import", () => {
  it("imports JSON and CSV files and prints counts per file", async () => {
    const io = memoryIo({});
    const code = await runCli(
      ["prices", "import", resolve(fixtures, "gpu-slice.csv"), resolve(fixtures, "gpu-slice.aws.json")],
      io,
    );
    expect(io.err).toEqual([]);
    expect(code).toBe(0);
    expect(io.out[0]).toMatch(
      /gpu-slice\.csv: 46 records \(csv\) in 5 pools, 46 new; 0 duplicate rows, 0 non-Linux rows skipped/,
    );
    // the JSON holds 19 of the same records: nothing new
    expect(io.out[1]).toMatch(/gpu-slice\.aws\.json: 19 records \(aws-json\) in 2 pools, 0 new/);
    expect(io.out[2]).toMatch(/no REDIS_URL/);
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
