import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { isCodedError } from "../errors.js";
import { printable } from "../printable.js";
import type { PriceRecord } from "../types.js";
import { type PriceChecks, parsePriceFile, priceCeiling, readPriceStream } from "./import.js";
import { tableKey } from "./tables.js";

const fixtures = resolve(import.meta.dirname, "../features/fixtures");
const csvText = readFileSync(resolve(fixtures, "gpu-slice.csv"), "utf8");
const jsonText = readFileSync(resolve(fixtures, "gpu-slice.aws.json"), "utf8");
const NOW = Date.parse("2026-11-30T12:00:00Z");

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function* bytes(text: string, size: number): AsyncGenerator<Uint8Array> {
  const b = Buffer.from(text, "utf8");
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

const key = (r: PriceRecord) => `${r.az}/${r.instanceType}@${r.ts}`;
const sorted = (rs: PriceRecord[]) => [...rs].sort((a, b) => key(a).localeCompare(key(b)));

async function streamed(text: string, size: number, checks: Partial<PriceChecks> = {}): Promise<PriceRecord[]> {
  const read = await readPriceStream(chunked(text, size), "f", { now: NOW, ...checks });
  return [...read.columns.batches(7)].flat();
}

async function refusedStream(text: string, checks: Partial<PriceChecks> = {}, size = 64) {
  try {
    await readPriceStream(chunked(text, size), "f", { now: NOW, ...checks });
  } catch (e) {
    if (!isCodedError(e, "invalid_input")) throw e;
    return { message: e.message, line: e.detail?.line, field: e.detail?.field };
  }
  throw new Error("expected the file to be refused");
}

describe("streaming price import", () => {
  it("reads CSV and AWS JSON cut into chunks of any size exactly like the whole text", async () => {
    const wholeCsv = sorted(parsePriceFile(csvText, "f").records);
    const wholeJson = sorted(parsePriceFile(jsonText, "f").records);
    expect(wholeCsv).toHaveLength(46);
    expect(wholeJson).toHaveLength(19);
    for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
      expect(sorted(await streamed(csvText, size))).toEqual(wholeCsv);
      expect(sorted(await streamed(jsonText, size))).toEqual(wholeJson);
    }
    // bytes split inside a multi-byte character (a BOM, CRLF lines) still decode
    const crlf = `\ufeff${csvText.replace(/\n/g, "\r\n")}`;
    for (const size of [1, 5]) {
      const read = await readPriceStream(bytes(crlf, size), "f", { now: NOW });
      expect(sorted([...read.columns.batches(100)].flat())).toEqual(wholeCsv);
    }
  });

  it("counts and drops exact repeats, and writes each pool in time order", async () => {
    const lines = csvText.trimEnd().split("\n");
    const text = [...lines, lines[3], lines[9], lines[3]].join("\n");
    const read = await readPriceStream(chunked(text, 10), "f", { now: NOW });
    expect(read.duplicates).toBe(3);
    expect(read.columns.records).toBe(46);
    const out = [...read.columns.batches(1000)].flat();
    for (let i = 1; i < out.length; i++) {
      if (key(out[i]).split("@")[0] === key(out[i - 1]).split("@")[0]) expect(out[i].ts).toBeGreaterThan(out[i - 1].ts);
    }
    // AWS order (newest first) comes out oldest first too
    const json = [...(await readPriceStream(chunked(jsonText, 50), "f", { now: NOW })).columns.batches(100)].flat();
    expect(json.filter((r) => r.az === "us-east-1b").map((r) => r.ts)).toEqual(
      json
        .filter((r) => r.az === "us-east-1b")
        .map((r) => r.ts)
        .sort((a, b) => a - b),
    );
  });

  it("refuses a contradiction naming both lines, whatever the order of the file", async () => {
    const lines = csvText.trimEnd().split("\n");
    const conflict = [...lines, lines[1].replace(/,[0-9.]+$/, ",9.999000")].join("\n");
    const c = await refusedStream(conflict);
    expect(c).toMatchObject({ line: lines.length + 1, field: "price_usd_per_hour" });
    expect(c.message).toContain("contradicts line 2 (same pool and time, price 1.0767 vs 9.999)");
    expect(c.message).toContain("nothing from this file was imported");
  });

  it("names the line of the bad field in AWS JSON, and the line of a syntax error", async () => {
    const lines = jsonText.split("\n");
    const at = lines.findIndex((l, i) => i > 20 && l.includes('"SpotPrice"'));
    const bad = [...lines];
    bad[at] = bad[at].replace(/"[0-9.]+"/, '"n/a"');
    expect(await refusedStream(bad.join("\n"))).toMatchObject({ line: at + 1, field: "SpotPrice" });
    const syntax = jsonText.replace('"InstanceType": "p3.2xlarge",', '"InstanceType": "p3.2xlarge"');
    expect(await refusedStream(syntax, {}, 5)).toMatchObject({ line: 6, field: "(json)" });
    const cut = await refusedStream(jsonText.slice(0, jsonText.indexOf("},") + 2));
    expect(cut.message).toMatch(/ends before the JSON is complete/);
    const trailing = await refusedStream(jsonText.replace(/\}\s*\]/, "},\n]"));
    expect(trailing.message).toMatch(/trailing comma/);
    expect((await refusedStream('{"NextToken": "x"}')).field).toBe("SpotPriceHistory");
    expect((await refusedStream('{"SpotPriceHistory": [1]}')).message).toMatch(
      /record 1 of SpotPriceHistory is not an object/,
    );
    const missing = jsonText.replace(/"ProductDescription": "Linux\/UNIX",\n/, "");
    expect(await refusedStream(missing)).toMatchObject({ field: "ProductDescription", line: 3 });
  });

  it("refuses a time more than an hour in the future, with the line", async () => {
    const lines = csvText.trimEnd().split("\n");
    const future = [...lines];
    future[30] = future[30].replace(/^[^,]+/, "2030-01-01T00:00:00Z");
    const f = await refusedStream(future.join("\n"));
    expect(f).toMatchObject({ line: 31, field: "timestamp" });
    expect(f.message).toContain('"2030-01-01T00:00:00Z", more than 60 minutes after now (2026-11-30T12:00:00.000Z)');
    // within the hour is fine (clocks drift), and whole-text parsing applies the same rule
    const soon = [...lines];
    soon[30] = soon[30].replace(/^[^,]+/, "2026-11-30T12:59:00Z");
    expect(await streamed(soon.join("\n"), 100)).toHaveLength(46);
    expect(() => parsePriceFile(future.join("\n"), "f", { now: NOW })).toThrow(/line 31: field "timestamp"/);
    const json = jsonText.replace("2020-01-15T21:16:47+00:00", "2027-01-15T21:16:47+00:00");
    expect(await refusedStream(json)).toMatchObject({ line: 8, field: "Timestamp" });
  });

  it("refuses prices above a multiple of on-demand, or above the absolute cap for unknown types", async () => {
    const onDemand = new Map([[tableKey("us-east-1", "p3.2xlarge"), 3.06]]);
    const ceiling = priceCeiling({ onDemand, multiple: 10, absoluteUsd: 500 });
    const lines = csvText.trimEnd().split("\n");
    const at = lines.findIndex((l) => l.includes(",us-east-1,"));
    const huge = [...lines];
    huge[at] = huge[at].replace(/,[0-9.]+$/, ",1e308");
    const h = await refusedStream(huge.join("\n"), { ceiling });
    expect(h).toMatchObject({ line: at + 1, field: "price_usd_per_hour" });
    expect(h.message).toContain(
      "is 1e+308 USD/h, above the ceiling of 30.6 USD/h (10 × the on-demand price of p3.2xlarge in us-east-1 (3.06 USD/h; market.maxPriceMultiple))",
    );
    const above = [...lines];
    above[at] = above[at].replace(/,[0-9.]+$/, ",30.700000");
    expect((await refusedStream(above.join("\n"), { ceiling })).line).toBe(at + 1);
    const under = [...lines];
    under[at] = under[at].replace(/,[0-9.]+$/, ",30.500000");
    expect(await streamed(under.join("\n"), 100, { ceiling })).toHaveLength(46);
    // eu-west-2 is not in this table: the absolute cap applies
    const unknown = [...lines];
    unknown[1] = unknown[1].replace(/,[0-9.]+$/, ",600");
    const u = await refusedStream(unknown.join("\n"), { ceiling });
    expect(u).toMatchObject({ line: 2 });
    expect(u.message).toContain("above the ceiling of 500 USD/h (the cap for types without a known on-demand price");
    // the default ceiling refuses 1e308 too
    expect(() => parsePriceFile(huge.join("\n"), "f")).toThrow(/above the ceiling of 1000 USD\/h/);
  });

  it("escapes unprintable bytes of the input in the error line", async () => {
    const lines = csvText.trimEnd().split("\n");
    const evil = [...lines];
    evil[5] = evil[5].replace(",p3.2xlarge,", ",\u001b[31mp3\u0007\u202e\u0000,");
    const e = await refusedStream(evil.join("\n"));
    expect(e).toMatchObject({ line: 6, field: "instance_type" });
    expect(e.message).toContain('"\\x1B[31mp3\\x07\\u202E\\x00"');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the test
    expect(e.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    // JSON: an escaped control character inside a value, and a raw one (invalid JSON)
    const j = await refusedStream(jsonText.replace('"p3.2xlarge"', '"p3\\u001b]0;pwned\\u0007"'));
    expect(j.message).toContain('"p3\\x1B]0;pwned\\x07"');
    const raw = await refusedStream(jsonText.replace('"p3.2xlarge"', '"p3\u0007x"'));
    expect(raw).toMatchObject({ field: "(json)", line: 5 });
    expect(raw.message).toContain('control character "\\x07" inside a string');
    // invalid UTF-8 shows as escaped U+FFFD, long garbage is cut
    const garbage = Buffer.concat([
      Buffer.from("timestamp,region,az,instance_type,product,price_usd_per_hour\n2020-01-10T20:41:15Z,"),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(",eu-west-2a,p3.2xlarge,Linux/UNIX,1.0\n"),
    ]);
    async function* one() {
      yield new Uint8Array(garbage);
    }
    await expect(readPriceStream(one(), "g", { now: NOW })).rejects.toThrow(
      'line 2: field "region" is not an AWS region: "\\uFFFD\\uFFFD"',
    );
    await expect(readPriceStream(chunked(`ts\n${"x".repeat(70_000)}`, 1000), "g", { now: NOW })).rejects.toThrow(
      /line 1: missing column/,
    );
    expect(printable("\uFFFDA")).toBe("\\uFFFDA");
    expect(printable("x".repeat(200))).toMatch(/^x{80}… \(200 characters\)$/);
    expect(printable("zürich 東京 😀")).toBe("zürich 東京 😀");
  });

  it("refuses a line too long to be a price row without holding it", async () => {
    const text = `${csvText}${"9".repeat(100_000)}\n`;
    const r = await refusedStream(text, {}, 4096);
    expect(r).toMatchObject({ line: 48, field: "(line)" });
  });
});
