/**
 * Readers for spot price history files: the CSV of ../shared/data
 * (timestamp,region,az,instance_type,product,price_usd_per_hour) and the JSON printed by
 * `aws ec2 describe-spot-price-history` ({"SpotPriceHistory": [...]}). Only Linux/UNIX rows are kept.
 * (No shared importer existed in src/core/market when this was written; this one is small and local.)
 */
import { CodedError } from "../errors.js";
import type { PriceRecord } from "../types.js";

const LINUX = new Set(["Linux/UNIX", "Linux/UNIX (Amazon VPC)"]);

/** "us-east-1a" → "us-east-1"; throws on AZ ids such as "use1-az4", which carry no region name. */
export function regionOfAz(az: string, source: string): string {
  const m = /^([a-z]{2}(?:-gov)?-[a-z]+-\d)[a-z]+$/.exec(az);
  if (!m) {
    throw new CodedError("invalid_input", `${source}: cannot tell the region of availability zone "${az}"`);
  }
  return m[1];
}

export function parsePriceCsv(text: string, source: string): PriceRecord[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? "").split(",").map((s) => s.trim());
  const need = ["timestamp", "region", "az", "instance_type", "product", "price_usd_per_hour"];
  const at = need.map((n) => header.indexOf(n));
  const missing = need.filter((_, i) => at[i] < 0);
  if (missing.length > 0) {
    throw new CodedError(
      "invalid_input",
      `${source}: line 1: missing column(s) ${missing.join(", ")}: expected header ${need.join(",")}`,
    );
  }
  const [iTs, iRegion, iAz, iType, iProduct, iPrice] = at;
  const out: PriceRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i];
    if (!raw) continue;
    const c = raw.split(",");
    if (!LINUX.has(c[iProduct])) continue;
    const ts = Date.parse(c[iTs]);
    const price = Number(c[iPrice]);
    if (!Number.isFinite(ts)) {
      throw new CodedError("invalid_input", `${source}: line ${i + 1}: bad timestamp "${c[iTs]}" (ISO-8601 UTC)`);
    }
    if (c[iPrice] === "" || !Number.isFinite(price) || price < 0) {
      throw new CodedError("invalid_input", `${source}: line ${i + 1}: bad price "${c[iPrice]}"`);
    }
    out.push({ ts, region: c[iRegion], az: c[iAz], instanceType: c[iType], price });
  }
  return out;
}

function field(row: Record<string, unknown>, name: string, i: number, source: string): string {
  const v = row[name];
  if (typeof v !== "string" || v === "") {
    throw new CodedError("invalid_input", `${source}: SpotPriceHistory[${i}].${name} is missing or not a string`);
  }
  return v;
}

export function parseAwsSpotJson(text: string, source: string): PriceRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CodedError("invalid_input", `${source}: not valid JSON (${(e as Error).message})`);
  }
  const list = (doc as { SpotPriceHistory?: unknown } | null)?.SpotPriceHistory;
  if (!Array.isArray(list)) {
    throw new CodedError(
      "invalid_input",
      `${source}: expected the output of 'aws ec2 describe-spot-price-history' ({"SpotPriceHistory": [...]})`,
    );
  }
  const out: PriceRecord[] = [];
  list.forEach((item: unknown, i) => {
    if (typeof item !== "object" || item === null) {
      throw new CodedError("invalid_input", `${source}: SpotPriceHistory[${i}] is not an object`);
    }
    const row = item as Record<string, unknown>;
    if (!LINUX.has(field(row, "ProductDescription", i, source))) return;
    const az = field(row, "AvailabilityZone", i, source);
    const ts = Date.parse(field(row, "Timestamp", i, source));
    const price = Number(field(row, "SpotPrice", i, source));
    if (!Number.isFinite(ts) || !Number.isFinite(price) || price < 0) {
      throw new CodedError("invalid_input", `${source}: SpotPriceHistory[${i}]: bad Timestamp or SpotPrice`);
    }
    out.push({ ts, region: regionOfAz(az, source), az, instanceType: field(row, "InstanceType", i, source), price });
  });
  return out;
}

/** CSV or AWS CLI JSON, told apart by the first non-blank character. */
export function parsePriceFile(text: string, source: string): PriceRecord[] {
  const first = text.trimStart()[0];
  return first === "{" || first === "[" ? parseAwsSpotJson(text, source) : parsePriceCsv(text, source);
}
