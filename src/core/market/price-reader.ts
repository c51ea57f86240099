/**
 * One-pass reader of a price file pushed in chunks: detects the format from the first non-blank character,
 * splits CSV into lines (keeping only the unfinished last one) or runs the streaming AWS JSON reader, checks
 * every record and hands each Linux/UNIX record to `sink` with its line. Linear in the file, and memory holds
 * one line or one JSON record at a time.
 */
import { CodedError } from "../errors.js";
import { printable } from "../printable.js";
import type { EpochMs, PriceRecord } from "../types.js";
import { AwsJsonStream, type JsonObject } from "./aws-json-stream.js";
import type { OnDemandTable } from "./tables.js";
import { tableKey } from "./tables.js";

export const LINUX_PRODUCT = "Linux/UNIX";
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;
const AZ_REGION = /^([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)(?:-[a-z]+-\d+)?[a-z]$/;
const INSTANCE_TYPE = /^[a-z0-9-]+\.[a-z0-9-]+$/;
const CSV_COLUMNS = ["timestamp", "region", "az", "instance_type", "product", "price_usd_per_hour"];
/** A CSV line longer than this is garbage, not a price row; refusing it keeps memory bounded. */
const MAX_LINE = 64 * 1024;

export type PriceFileFormat = "aws-json" | "csv";

export const MAX_FUTURE_MS = 3_600_000;
export const DEFAULT_MAX_PRICE_MULTIPLE = 10;
export const DEFAULT_MAX_PRICE_USD = 1_000;

/** The highest believable spot price of a pool, and where that figure comes from (for the error line). */
export type PriceCeiling = (region: string, instanceType: string) => { max: number; why: string };

/**
 * `multiple` × the on-demand price where the table knows the type (spot never legitimately costs 10× on-demand;
 * AWS capped bids there before 2017), else the absolute cap (the dearest type today is ~220 USD/h on-demand).
 */
export function priceCeiling(opts: {
  onDemand?: OnDemandTable;
  multiple?: number;
  absoluteUsd?: number;
}): PriceCeiling {
  const multiple = opts.multiple ?? DEFAULT_MAX_PRICE_MULTIPLE;
  const absolute = opts.absoluteUsd ?? DEFAULT_MAX_PRICE_USD;
  return (region, instanceType) => {
    const od = opts.onDemand?.get(tableKey(region, instanceType));
    if (od !== undefined && od > 0) {
      return {
        max: od * multiple,
        why: `${multiple} × the on-demand price of ${instanceType} in ${region} (${od} USD/h; market.maxPriceMultiple)`,
      };
    }
    return { max: absolute, why: `the cap for types without a known on-demand price (market.maxPriceUsdPerHour)` };
  };
}

export interface PriceChecks {
  /** Times after now + maxFutureMs are refused. */
  now: EpochMs;
  maxFutureMs?: number;
  ceiling?: PriceCeiling;
}

/** The region of an AZ name ("us-east-1a" → "us-east-1", "us-west-2-lax-1a" → "us-west-2"), or null. */
export function regionOfAz(az: string): string | null {
  const m = AZ_REGION.exec(az);
  return m ? m[1] : null;
}

export function fail(source: string, line: number | null, field: string, message: string): never {
  const where = line === null ? source : `${source}: line ${line}`;
  throw new CodedError("invalid_input", `${where}: field "${field}" ${message}; nothing from this file was imported`, {
    source,
    line,
    field,
  });
}

const quote = (raw: string): string => `"${printable(raw)}"`;

const AWS_FIELDS = ["AvailabilityZone", "InstanceType", "ProductDescription", "SpotPrice", "Timestamp"] as const;
type AwsRecord = Record<(typeof AWS_FIELDS)[number], string>;

/** `poolKey` ("az/type") is the same string object for every record of a pool: cheap to look up. */
export type PriceSink = (r: PriceRecord, line: number, priceField: string, poolKey: string) => void;

interface PoolEntry {
  region: string;
  az: string;
  instanceType: string;
  linux: boolean;
  key: string;
  max: number;
  why: string;
}

/** Distinct pools whose checks are remembered (a few thousand exist; garbage files must not grow this). */
const MAX_POOLS_CACHED = 100_000;

export class PriceFileReader {
  private format: PriceFileFormat | null = null;
  private json: AwsJsonStream | null = null;
  private tail = "";
  private line = 0;
  private header: Map<string, number> | null = null;
  /** The header is exactly CSV_COLUMNS in order: the fast path applies. */
  private standard = false;
  private readonly pools = new Map<string, PoolEntry>();
  private readonly awsPools = new Map<string, Map<string, Map<string, PoolEntry>>>();
  private rows = 0;
  private otherProducts = 0;
  private readonly now: number;
  private readonly maxTs: number;
  private readonly ceiling: PriceCeiling;

  constructor(
    private readonly source: string,
    private readonly sink: PriceSink,
    checks: PriceChecks,
  ) {
    this.now = checks.now;
    this.maxTs = checks.now + (checks.maxFutureMs ?? MAX_FUTURE_MS);
    this.ceiling = checks.ceiling ?? priceCeiling({});
  }

  push(chunk: string): void {
    if (this.format === null) {
      const lead = /^[\s\ufeff]*/.exec(chunk)?.[0].length ?? 0;
      if (lead === chunk.length) {
        this.tail += chunk;
        return;
      }
      this.format = chunk[lead] === "{" ? "aws-json" : "csv";
      if (this.format === "aws-json") {
        this.json = new AwsJsonStream({
          record: (v, i, keyLines, line) => this.awsRecord(v, i, keyLines, line),
          fail: (line, field, message) => fail(this.source, line, field, message),
        });
      }
      chunk = this.tail + chunk;
      this.tail = "";
    }
    if (this.json) this.json.push(chunk);
    else this.csvChunk(chunk, false);
  }

  end(): { format: PriceFileFormat; rows: number; otherProducts: number } {
    if (this.json) this.rows = this.json.end();
    else this.csvChunk("", true);
    if (this.format === "csv" && this.header === null) fail(this.source, 1, CSV_COLUMNS[0], "is missing: empty file");
    return { format: this.format ?? "csv", rows: this.rows, otherProducts: this.otherProducts };
  }

  private csvChunk(chunk: string, final: boolean): void {
    const text = this.tail.length > 0 ? this.tail + chunk : chunk;
    let from = 0;
    for (;;) {
      const nl = text.indexOf("\n", from);
      if (nl < 0) break;
      this.csvLine(text.slice(from, nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      from = nl + 1;
    }
    this.tail = from < text.length ? text.slice(from) : "";
    if (this.tail.length > MAX_LINE) {
      fail(this.source, this.line + 1, "(line)", `is longer than ${MAX_LINE} characters: not a price file`);
    }
    if (final && this.tail.length > 0) {
      const last = this.tail;
      this.tail = "";
      this.csvLine(last.endsWith("\r") ? last.slice(0, -1) : last);
    }
  }

  private csvLine(raw: string): void {
    const line = ++this.line;
    if (this.header === null) {
      const names = raw
        .replace(/^\ufeff/, "")
        .split(",")
        .map((h) => h.trim());
      for (const r of CSV_COLUMNS) {
        if (!names.includes(r)) {
          throw new CodedError(
            "invalid_input",
            `${this.source}: line 1: missing column "${r}" (header: ${printable(names.join(","))})`,
            { source: this.source, line: 1, field: r },
          );
        }
      }
      this.header = new Map(names.map((h, i) => [h, i]));
      this.standard = names.length === CSV_COLUMNS.length && names.every((n, i) => n === CSV_COLUMNS[i]);
      return;
    }
    if (raw.length === 0 || (raw.charCodeAt(0) <= 32 && raw.trim() === "")) return;
    this.rows++;
    // fast path for the usual column order: the four pool cells are checked once per distinct pool
    if (this.standard) {
      const c1 = raw.indexOf(",");
      const c5 = raw.lastIndexOf(",");
      const pool = c1 > 0 && c5 > c1 ? this.pools.get(raw.slice(c1 + 1, c5)) : undefined;
      if (pool) {
        const ts = this.time(raw.slice(0, c1).trim(), line, "timestamp");
        const price = this.price(raw.slice(c5 + 1).trim(), line, "price_usd_per_hour");
        this.emit(pool, ts, price, line, "price_usd_per_hour");
        return;
      }
    }
    const cells = raw.split(",");
    const h = this.header;
    const get = (name: string): string => (cells[h.get(name) ?? -1] ?? "").trim();
    const product = get("product");
    if (product === "") fail(this.source, line, "product", "is empty");
    const region = get("region");
    if (!REGION.test(region)) fail(this.source, line, "region", `is not an AWS region: ${quote(region)}`);
    const az = get("az");
    if (!az.startsWith(region) || regionOfAz(az) !== region) {
      fail(this.source, line, "az", `${quote(az)} is not an AZ of region ${region}`);
    }
    const instanceType = get("instance_type");
    if (!INSTANCE_TYPE.test(instanceType)) {
      fail(this.source, line, "instance_type", `is not an instance type: ${quote(instanceType)}`);
    }
    const ts = this.time(get("timestamp"), line, "timestamp");
    const price = this.price(get("price_usd_per_hour"), line, "price_usd_per_hour");
    const pool = this.pool(region, az, instanceType, product);
    if (this.standard && cells.length === CSV_COLUMNS.length && this.pools.size < MAX_POOLS_CACHED) {
      this.pools.set(cells.slice(1, 5).join(","), pool);
    }
    this.emit(pool, ts, price, line, "price_usd_per_hour");
  }

  /** A checked pool: its strings shared by all its records, its ceiling computed once. */
  private pool(region: string, az: string, instanceType: string, product: string): PoolEntry {
    const c = this.ceiling(region, instanceType);
    return {
      region,
      az,
      instanceType,
      linux: product === LINUX_PRODUCT,
      key: `${az}/${instanceType}`,
      max: c.max,
      why: c.why,
    };
  }

  private emit(pool: PoolEntry, ts: number, price: number, line: number, field: string): void {
    if (!pool.linux) {
      this.otherProducts++;
      return;
    }
    if (price > pool.max) {
      fail(this.source, line, field, `is ${price} USD/h, above the ceiling of ${pool.max} USD/h (${pool.why})`);
    }
    this.sink({ region: pool.region, az: pool.az, instanceType: pool.instanceType, ts, price }, line, field, pool.key);
  }

  private awsRecord(raw: JsonObject, i: number, keyLines: Map<string, number>, start: number): void {
    // checked by hand, not by a schema: this runs once per record of files with millions of them
    for (const field of AWS_FIELDS) {
      if (typeof raw[field] !== "string") {
        fail(this.source, keyLines.get(field) ?? start, field, `is missing or not a string in record ${i + 1}`);
      }
    }
    const r = raw as unknown as AwsRecord;
    const at = (field: string): number => keyLines.get(field) ?? start;
    let byType = this.awsPools.get(r.AvailabilityZone);
    let pool = byType?.get(r.InstanceType)?.get(r.ProductDescription);
    if (!pool) {
      const region = regionOfAz(r.AvailabilityZone);
      if (!region) {
        fail(
          this.source,
          at("AvailabilityZone"),
          "AvailabilityZone",
          `is not an AZ name: ${quote(r.AvailabilityZone)}`,
        );
      }
      if (!INSTANCE_TYPE.test(r.InstanceType)) {
        fail(this.source, at("InstanceType"), "InstanceType", `is not an instance type: ${quote(r.InstanceType)}`);
      }
      pool = this.pool(region, r.AvailabilityZone, r.InstanceType, r.ProductDescription);
      if (this.pools.size + this.awsPools.size < MAX_POOLS_CACHED) {
        if (!byType) {
          byType = new Map();
          this.awsPools.set(r.AvailabilityZone, byType);
        }
        const byProduct = byType.get(r.InstanceType) ?? new Map<string, PoolEntry>();
        byProduct.set(r.ProductDescription, pool);
        byType.set(r.InstanceType, byProduct);
      }
    }
    const ts = this.time(r.Timestamp, at("Timestamp"), "Timestamp");
    const price = this.price(r.SpotPrice, at("SpotPrice"), "SpotPrice");
    this.emit(pool, ts, price, at("SpotPrice"), "SpotPrice");
  }

  private time(raw: string, line: number, field: string): number {
    const ts = Date.parse(raw);
    if (raw === "" || !Number.isFinite(ts)) fail(this.source, line, field, `is not an ISO-8601 time: ${quote(raw)}`);
    if (ts > this.maxTs) {
      fail(
        this.source,
        line,
        field,
        `is ${quote(raw)}, more than ${Math.round((this.maxTs - this.now) / 60_000)} minutes after now ` +
          `(${new Date(this.now).toISOString()}): a future-dated price would make every real point look old; ` +
          "fix the file or the clock that wrote it",
      );
    }
    return ts;
  }

  private price(raw: string, line: number, field: string): number {
    const price = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(price) || price < 0) {
      fail(this.source, line, field, `is not a price in USD per hour: ${quote(raw)}`);
    }
    return price;
  }
}
