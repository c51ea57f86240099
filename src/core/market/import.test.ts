import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { sharedDataPath } from "../../../test/support/shared-data.js";
import { MemoryMarketStore } from "../../adapters/market/memory.js";
import { isCodedError } from "../errors.js";
import { poolId } from "../types.js";
import { formatAwsPriceJson, formatPriceCsv, parsePriceFile, regionOfAz } from "./import.js";

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), "../features/fixtures");
const csvText = readFileSync(resolve(fixtures, "gpu-slice.csv"), "utf8");
const jsonText = readFileSync(resolve(fixtures, "gpu-slice.aws.json"), "utf8");

function refusal(text: string, source: string): { message: string; line: unknown; field: unknown } {
  try {
    parsePriceFile(text, source);
  } catch (e) {
    if (!isCodedError(e, "invalid_input")) throw e;
    return { message: e.message, line: e.detail?.line, field: e.detail?.field };
  }
  throw new Error("expected the file to be refused");
}

describe("price file import", () => {
  it("round-trips the shared-data CSV byte for byte", () => {
    const parsed = parsePriceFile(csvText, "gpu-slice.csv");
    expect(parsed.format).toBe("csv");
    expect(parsed.rows).toBe(46);
    expect(parsed.records).toHaveLength(46);
    expect(parsed.records[0]).toEqual({
      region: "eu-west-2",
      az: "eu-west-2a",
      instanceType: "p3.2xlarge",
      ts: Date.parse("2020-01-10T20:41:15Z"),
      price: 1.0767,
    });
    expect(formatPriceCsv(parsed.records)).toBe(csvText);
  });

  it("round-trips AWS CLI JSON (newest first, +00:00 times) and agrees with the CSV", () => {
    const parsed = parsePriceFile(jsonText, "gpu-slice.aws.json");
    expect(parsed.format).toBe("aws-json");
    expect(parsed.records).toHaveLength(19);
    expect(JSON.parse(formatAwsPriceJson(parsed.records))).toEqual(JSON.parse(jsonText));
    const fromCsv = parsePriceFile(csvText, "gpu-slice.csv").records.filter(
      (r) => r.az === "us-east-1b" || r.az === "us-east-1f",
    );
    const key = (r: { ts: number; az: string }) => `${r.ts}/${r.az}`;
    expect([...parsed.records].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      [...fromCsv].sort((a, b) => key(a).localeCompare(key(b))),
    );
  });

  it("round-trips through the market store", async () => {
    const store = new MemoryMarketStore({ retentionMs: 0 });
    const parsed = parsePriceFile(csvText, "gpu-slice.csv");
    expect((await store.appendPrices(parsed.records)).added).toBe(46);
    const ids = await store.listPools();
    const back = await store.readPrices(ids, 0);
    const flat = ids.flatMap((id) => {
      const [region, az, instanceType] = id.split("/");
      return (back.get(id) ?? []).map((p) => ({ region, az, instanceType, ...p }));
    });
    expect(formatPriceCsv(flat)).toBe(csvText);
    expect(ids).toContain(poolId({ region: "us-east-1", az: "us-east-1c", instanceType: "p3.2xlarge" }));
  });

  it("round-trips a full real shared-data file", () => {
    const text = readFileSync(sharedDataPath("prices-sa-east-1-2019-12-31_2020-04-30.csv"), "utf8");
    const parsed = parsePriceFile(text, "prices-sa-east-1.csv");
    expect(parsed.records).toHaveLength(71_794);
    expect(parsed.duplicates).toBe(0);
    expect(formatPriceCsv(parsed.records)).toBe(text);
  });

  it("keeps only Linux/UNIX and drops exact duplicates", () => {
    const text = [
      "timestamp,region,az,instance_type,product,price_usd_per_hour",
      "2020-01-14T00:01:35Z,us-east-1,us-east-1f,p3.2xlarge,Linux/UNIX,0.939400",
      "2020-01-14T00:01:35Z,us-east-1,us-east-1f,p3.2xlarge,Linux/UNIX,0.939400",
      "2020-01-14T00:01:35Z,us-east-1,us-east-1f,p3.2xlarge,Windows,1.939400",
    ].join("\n");
    const parsed = parsePriceFile(text, "x.csv");
    expect(parsed.records).toHaveLength(1);
    expect(parsed.duplicates).toBe(1);
    expect(parsed.otherProducts).toBe(1);
  });

  it("refuses broken CSV naming file, line and field", () => {
    const lines = csvText.trimEnd().split("\n");
    const bad = [...lines];
    bad[4] = bad[4].replace(/,[0-9.]+$/, ",abc");
    expect(refusal(bad.join("\n"), "prices.csv")).toMatchObject({ line: 5, field: "price_usd_per_hour" });
    expect(refusal(bad.join("\n"), "prices.csv").message).toMatch(/^prices\.csv: line 5: field "price_usd_per_hour"/);
    const badTs = [...lines];
    badTs[2] = badTs[2].replace(/^[^,]+/, "yesterday");
    expect(refusal(badTs.join("\n"), "p.csv")).toMatchObject({ line: 3, field: "timestamp" });
    const badAz = [...lines];
    badAz[7] = badAz[7].replace(/,us-east-1([a-f]),/, ",eu-west-1$1,");
    expect(refusal(badAz.join("\n"), "p.csv")).toMatchObject({ line: 8, field: "az" });
    const conflict = [...lines, lines[1].replace(/,[0-9.]+$/, ",9.999000")];
    const c = refusal(conflict.join("\n"), "p.csv");
    expect(c).toMatchObject({ line: lines.length + 1, field: "price_usd_per_hour" });
    expect(c.message).toContain("contradicts line 2");
    expect(() => parsePriceFile("timestamp,region,az\n", "short.csv")).toThrow(/short\.csv: line 1: missing column/);
  });

  it("refuses broken AWS JSON naming the line of the bad field", () => {
    const lines = jsonText.split("\n");
    const at = lines.findIndex((l, i) => i > 20 && l.includes('"SpotPrice"'));
    const bad = [...lines];
    bad[at] = bad[at].replace(/"[0-9.]+"/, '"n/a"');
    expect(refusal(bad.join("\n"), "dump.json")).toMatchObject({ line: at + 1, field: "SpotPrice" });
    const noAz = jsonText.replace('"us-east-1f"', '"use1-az6"');
    expect(refusal(noAz, "dump.json").field).toBe("AvailabilityZone");
    const syntax = jsonText.replace('"InstanceType": "p3.2xlarge",', '"InstanceType": "p3.2xlarge"');
    const s = refusal(syntax, "dump.json");
    expect(s.field).toBe("(json)");
    expect(s.line).toBe(6);
    expect(refusal('{"Reservations": []}', "other.json").field).toBe("SpotPriceHistory");
  });

  it("derives the region from an AZ name", () => {
    expect(regionOfAz("us-east-1a")).toBe("us-east-1");
    expect(regionOfAz("ap-southeast-2c")).toBe("ap-southeast-2");
    expect(regionOfAz("us-west-2-lax-1a")).toBe("us-west-2");
    expect(regionOfAz("us-gov-west-1a")).toBe("us-gov-west-1");
    expect(regionOfAz("use1-az4")).toBeNull();
  });
});
