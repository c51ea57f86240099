/**
 * Parsers for spot price history files: the JSON that `aws ec2 describe-spot-price-history` prints and the
 * CSV of ../shared/data (timestamp,region,az,instance_type,product,price_usd_per_hour). Pure: text in,
 * records out. A broken file throws one CodedError naming the file, the line and the field, and yields
 * nothing, so callers never import half a file. Only the Linux/UNIX product is kept.
 */
import { z } from "zod";
import { CodedError } from "../errors.js";
import type { PriceRecord } from "../types.js";
import { poolId } from "../types.js";
import { readCsv } from "./tables.js";

export const LINUX_PRODUCT = "Linux/UNIX";
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;
const AZ_REGION = /^([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)(?:-[a-z]+-\d+)?[a-z]$/;

export type PriceFileFormat = "aws-json" | "csv";

export interface ParsedPriceFile {
  format: PriceFileFormat;
  records: PriceRecord[];
  /** Data rows / records in the file. */
  rows: number;
  /** Exact repeats of a record already in the file, dropped. */
  duplicates: number;
  /** Records of other products (Windows, SUSE, ...), not imported. */
  otherProducts: number;
}

/** The region of an AZ name ("us-east-1a" → "us-east-1", "us-west-2-lax-1a" → "us-west-2"), or null. */
export function regionOfAz(az: string): string | null {
  const m = AZ_REGION.exec(az);
  return m ? m[1] : null;
}

export function detectFormat(text: string): PriceFileFormat {
  return text.trimStart().startsWith("{") ? "aws-json" : "csv";
}

export function parsePriceFile(text: string, source: string): ParsedPriceFile {
  return detectFormat(text) === "aws-json" ? parseAwsPriceJson(text, source) : parsePriceCsv(text, source);
}

function fail(source: string, line: number | null, field: string, message: string): never {
  const where = line === null ? source : `${source}: line ${line}`;
  throw new CodedError("invalid_input", `${where}: field "${field}" ${message}; nothing from this file was imported`, {
    source,
    line,
    field,
  });
}

class Collector {
  readonly records: PriceRecord[] = [];
  private readonly seen = new Map<string, { price: number; line: number | null }>();
  duplicates = 0;
  otherProducts = 0;

  constructor(private readonly source: string) {}

  add(r: PriceRecord, line: number | null, priceField: string): void {
    const key = `${poolId(r)}@${r.ts}`;
    const prev = this.seen.get(key);
    if (prev) {
      if (prev.price === r.price) {
        this.duplicates++;
        return;
      }
      fail(
        this.source,
        line,
        priceField,
        `contradicts ${prev.line === null ? "an earlier record" : `line ${prev.line}`} (same pool and time, price ${prev.price} vs ${r.price})`,
      );
    }
    this.seen.set(key, { price: r.price, line });
    this.records.push(r);
  }
}

function parseTs(raw: string, source: string, line: number | null, field: string): number {
  const ts = Date.parse(raw);
  if (raw === "" || !Number.isFinite(ts)) fail(source, line, field, `is not an ISO-8601 time: "${raw}"`);
  return ts;
}

function parsePrice(raw: string, source: string, line: number | null, field: string): number {
  const price = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(price) || price < 0) {
    fail(source, line, field, `is not a price in USD per hour: "${raw}"`);
  }
  return price;
}

export function parsePriceCsv(text: string, source: string): ParsedPriceFile {
  const rows = readCsv(text, source, ["timestamp", "region", "az", "instance_type", "product", "price_usd_per_hour"]);
  const c = new Collector(source);
  for (const row of rows) {
    const product = row.get("product");
    if (product === "") fail(source, row.line, "product", "is empty");
    const region = row.get("region");
    if (!REGION.test(region)) fail(source, row.line, "region", `is not an AWS region: "${region}"`);
    const az = row.get("az");
    if (!az.startsWith(region)) fail(source, row.line, "az", `"${az}" is not in region ${region}`);
    const instanceType = row.get("instance_type");
    if (!/^[a-z0-9-]+\.[a-z0-9-]+$/.test(instanceType)) {
      fail(source, row.line, "instance_type", `is not an instance type: "${instanceType}"`);
    }
    const ts = parseTs(row.get("timestamp"), source, row.line, "timestamp");
    const price = parsePrice(row.get("price_usd_per_hour"), source, row.line, "price_usd_per_hour");
    if (product !== LINUX_PRODUCT) {
      c.otherProducts++;
      continue;
    }
    c.add({ region, az, instanceType, ts, price }, row.line, "price_usd_per_hour");
  }
  return { format: "csv", records: c.records, rows: rows.length, ...counts(c) };
}

function counts(c: Collector): { duplicates: number; otherProducts: number } {
  return { duplicates: c.duplicates, otherProducts: c.otherProducts };
}

const AwsRecord = z.object({
  AvailabilityZone: z.string(),
  InstanceType: z.string(),
  ProductDescription: z.string(),
  SpotPrice: z.string(),
  Timestamp: z.string(),
});
const AwsFile = z.object({ SpotPriceHistory: z.array(z.unknown()), NextToken: z.string().optional() });

/** Line of the n-th (0-based) `"key":` in the text, or null when the key count does not line up. */
function keyLine(text: string, key: string, n: number): number | null {
  const re = new RegExp(`"${key}"\\s*:`, "g");
  let m: RegExpExecArray | null = null;
  for (let i = 0; i <= n; i++) {
    m = re.exec(text);
    if (!m) return null;
  }
  return m ? lineAt(text, m.index) : null;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export function parseAwsPriceJson(text: string, source: string): ParsedPriceFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(msg);
    const lineCol = /line (\d+)/.exec(msg);
    const line = pos ? lineAt(text, Number(pos[1])) : lineCol ? Number(lineCol[1]) : null;
    fail(source, line, "(json)", `is not valid JSON: ${msg}`);
  }
  const file = AwsFile.safeParse(data);
  if (!file.success) {
    fail(source, 1, "SpotPriceHistory", "is missing: expected the output of `aws ec2 describe-spot-price-history`");
  }
  const list = file.data.SpotPriceHistory;
  const c = new Collector(source);
  list.forEach((raw, i) => {
    const rec = AwsRecord.safeParse(raw);
    if (!rec.success) {
      const field = String(rec.error.issues[0]?.path[0] ?? "record");
      const line = keyLine(text, field, i) ?? keyLine(text, "InstanceType", i);
      fail(source, line, field, `is missing or not a string in record ${i + 1}`);
    }
    const r = rec.data;
    const at = (field: string): number | null => keyLine(text, field, i);
    const region = regionOfAz(r.AvailabilityZone);
    if (!region) fail(source, at("AvailabilityZone"), "AvailabilityZone", `is not an AZ name: "${r.AvailabilityZone}"`);
    if (!/^[a-z0-9-]+\.[a-z0-9-]+$/.test(r.InstanceType)) {
      fail(source, at("InstanceType"), "InstanceType", `is not an instance type: "${r.InstanceType}"`);
    }
    const ts = parseTs(r.Timestamp, source, at("Timestamp"), "Timestamp");
    const price = parsePrice(r.SpotPrice, source, at("SpotPrice"), "SpotPrice");
    if (r.ProductDescription !== LINUX_PRODUCT) {
      c.otherProducts++;
      return;
    }
    c.add({ region, az: r.AvailabilityZone, instanceType: r.InstanceType, ts, price }, at("SpotPrice"), "SpotPrice");
  });
  return { format: "aws-json", records: c.records, rows: list.length, ...counts(c) };
}

/** The shared-data CSV for records (6-decimal prices, ISO times without milliseconds), sorted like the data files. */
export function formatPriceCsv(records: readonly PriceRecord[]): string {
  const sorted = [...records].sort(
    (a, b) =>
      a.ts - b.ts ||
      a.region.localeCompare(b.region) ||
      a.az.localeCompare(b.az) ||
      a.instanceType.localeCompare(b.instanceType),
  );
  const lines = ["timestamp,region,az,instance_type,product,price_usd_per_hour"];
  for (const r of sorted) {
    const ts = new Date(r.ts).toISOString().replace(".000Z", "Z");
    lines.push(`${ts},${r.region},${r.az},${r.instanceType},${LINUX_PRODUCT},${r.price.toFixed(6)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Records in the shape `aws ec2 describe-spot-price-history` prints (AWS CLI v2). */
export function formatAwsPriceJson(records: readonly PriceRecord[]): string {
  const SpotPriceHistory = records.map((r) => ({
    AvailabilityZone: r.az,
    InstanceType: r.instanceType,
    ProductDescription: LINUX_PRODUCT,
    SpotPrice: r.price.toFixed(6),
    Timestamp: new Date(r.ts).toISOString().replace(".000Z", "+00:00"),
  }));
  return `${JSON.stringify({ SpotPriceHistory }, null, 4)}\n`;
}
