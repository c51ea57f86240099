/**
 * Spot price history files: the JSON that `aws ec2 describe-spot-price-history` prints and the CSV of the
 * bundled data (timestamp,region,az,instance_type,product,price_usd_per_hour).
 *
 * - `readPriceStream` is for files of any size: chunks in, one pass (`PriceFileReader`), the records held as
 *   typed columns (`PriceColumns`, 20 bytes a record) until the whole file has been checked, then written by
 *   the caller in batches. A refused file leaves nothing behind.
 * - `parsePriceFile` is the same reader over a text already in memory, returning records in file order.
 *
 * A broken file throws one CodedError naming the file, the line and the field, with unprintable bytes of the
 * echoed value escaped. Only the Linux/UNIX product is kept.
 */
import type { PriceRecord } from "../types.js";
import { poolId } from "../types.js";
import { PriceColumns } from "./price-columns.js";
import { fail, LINUX_PRODUCT, type PriceChecks, type PriceFileFormat, PriceFileReader } from "./price-reader.js";

export {
  DEFAULT_MAX_PRICE_MULTIPLE,
  DEFAULT_MAX_PRICE_USD,
  LINUX_PRODUCT,
  MAX_FUTURE_MS,
  type PriceCeiling,
  type PriceChecks,
  type PriceFileFormat,
  priceCeiling,
  regionOfAz,
} from "./price-reader.js";

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

export function detectFormat(text: string): PriceFileFormat {
  return text
    .replace(/^\ufeff/, "")
    .trimStart()
    .startsWith("{")
    ? "aws-json"
    : "csv";
}

function contradicts(earlier: number | null, prev: number, price: number): string {
  return `contradicts ${earlier === null ? "an earlier record" : `line ${earlier}`} (same pool and time, price ${prev} vs ${price})`;
}

/** A whole text; records in file order. `checks.now` defaults to the wall clock. */
export function parsePriceFile(text: string, source: string, checks?: Partial<PriceChecks>): ParsedPriceFile {
  const records: PriceRecord[] = [];
  const seen = new Map<string, { price: number; line: number }>();
  let duplicates = 0;
  const reader = new PriceFileReader(
    source,
    (r, line, priceField) => {
      const key = `${poolId(r)}@${r.ts}`;
      const prev = seen.get(key);
      if (prev) {
        if (prev.price === r.price) {
          duplicates++;
          return;
        }
        fail(source, line, priceField, contradicts(prev.line, prev.price, r.price));
      }
      seen.set(key, { price: r.price, line });
      records.push(r);
    },
    { now: Date.now(), ...checks },
  );
  reader.push(text);
  const end = reader.end();
  return { ...end, records, duplicates };
}

export function parsePriceCsv(text: string, source: string, checks?: Partial<PriceChecks>): ParsedPriceFile {
  const parsed = parsePriceFile(text, source, checks);
  if (parsed.format !== "csv") fail(source, 1, "timestamp", "is missing: expected a CSV header");
  return parsed;
}

export interface StreamedPriceFile {
  format: PriceFileFormat;
  rows: number;
  duplicates: number;
  otherProducts: number;
  /** The checked records, sorted per pool, to be written with `columns.batches(n)`. */
  columns: PriceColumns;
}

/**
 * Reads a whole file from `chunks` and checks every record before returning; throws on the first problem
 * (a malformed field as it is read, else the first contradiction in file order), having written nothing.
 */
export async function readPriceStream(
  chunks: AsyncIterable<string | Uint8Array>,
  source: string,
  checks: PriceChecks,
): Promise<StreamedPriceFile> {
  const columns = new PriceColumns();
  const reader = new PriceFileReader(source, (r, line, _field, key) => columns.add(r, line, key), checks);
  const utf8 = new TextDecoder("utf-8"); // keeps a character split across two chunks whole
  for await (const chunk of chunks)
    reader.push(typeof chunk === "string" ? chunk : utf8.decode(chunk, { stream: true }));
  reader.push(utf8.decode());
  const end = reader.end();
  const bad = columns.finish();
  if (bad) {
    const field = end.format === "csv" ? "price_usd_per_hour" : "SpotPrice";
    fail(source, bad.line, field, contradicts(bad.earlierLine, bad.earlierPrice, bad.price));
  }
  return { ...end, duplicates: columns.duplicates, columns };
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
