/**
 * Parsers for the static market tables (on-demand prices, Spot Advisor, instance catalog) in the CSV
 * formats of data/ and ../shared/data. Pure: text in, maps out; file loading lives in adapters.
 * A malformed row throws a CodedError naming the source, the line and the field.
 */
import { CodedError } from "../errors.js";
import type { AdvisorEntry, InstanceTypeInfo, InterruptionBucket } from "../types.js";
import { ADVISOR_BUCKET_LABELS } from "../types.js";

export interface CsvRow {
  line: number;
  get(field: string): string;
}

/** Minimal CSV reader for these tables (no quoted commas in them). */
export function readCsv(text: string, source: string, required: string[]): CsvRow[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  for (const r of required) {
    if (!header.includes(r)) {
      throw new CodedError("invalid_input", `${source}: line 1: missing column "${r}" (header: ${header.join(",")})`);
    }
  }
  const index = new Map(header.map((h, i) => [h, i]));
  const rows: CsvRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i];
    if (!raw || raw.trim() === "") continue;
    const cells = raw.split(",");
    const line = i + 1;
    rows.push({
      line,
      get(field: string): string {
        const at = index.get(field);
        if (at === undefined) throw new CodedError("invalid_input", `${source}: no column "${field}"`);
        return (cells[at] ?? "").trim();
      },
    });
  }
  return rows;
}

export function parseNumberField(row: CsvRow, field: string, source: string): number {
  const raw = row.get(field);
  const v = Number(raw);
  if (raw === "" || !Number.isFinite(v)) {
    throw new CodedError("invalid_input", `${source}: line ${row.line}: field "${field}" is not a number: "${raw}"`);
  }
  return v;
}

/** key `${region}|${instanceType}` → USD per hour. */
export type OnDemandTable = Map<string, number>;

export function tableKey(region: string, instanceType: string): string {
  return `${region}|${instanceType}`;
}

export function parseOnDemandCsv(text: string, source = "ondemand.csv"): OnDemandTable {
  const out: OnDemandTable = new Map();
  for (const row of readCsv(text, source, ["region", "instance_type", "price_usd_per_hour"])) {
    const price = parseNumberField(row, "price_usd_per_hour", source);
    if (price > 0) out.set(tableKey(row.get("region"), row.get("instance_type")), price);
  }
  return out;
}

export type AdvisorTable = Map<string, AdvisorEntry>;

export function parseAdvisorCsv(text: string, source = "advisor.csv"): AdvisorTable {
  const out: AdvisorTable = new Map();
  for (const row of readCsv(text, source, ["region", "instance_type", "os", "interruption_bucket", "savings_pct"])) {
    if (row.get("os") !== "Linux") continue;
    const label = row.get("interruption_bucket");
    const bucket = ADVISOR_BUCKET_LABELS.indexOf(label as (typeof ADVISOR_BUCKET_LABELS)[number]);
    if (bucket < 0) {
      throw new CodedError(
        "invalid_input",
        `${source}: line ${row.line}: field "interruption_bucket" must be one of ${ADVISOR_BUCKET_LABELS.join(" ")}, got "${label}"`,
      );
    }
    const region = row.get("region");
    const instanceType = row.get("instance_type");
    out.set(tableKey(region, instanceType), {
      region,
      instanceType,
      bucket: bucket as InterruptionBucket,
      savingsPct: parseNumberField(row, "savings_pct", source),
    });
  }
  return out;
}

export type Catalog = Map<string, InstanceTypeInfo>;

export function parseCatalogCsv(text: string, source = "instance-types.csv"): Catalog {
  const out: Catalog = new Map();
  const cols = ["instance_type", "vcpus", "memory_mib", "architectures", "gpu_count", "gpu_model", "burstable"];
  for (const row of readCsv(text, source, cols)) {
    const instanceType = row.get("instance_type");
    out.set(instanceType, {
      instanceType,
      vcpus: parseNumberField(row, "vcpus", source),
      memoryMib: parseNumberField(row, "memory_mib", source),
      architectures: row.get("architectures").split("|").filter(Boolean),
      gpuCount: parseNumberField(row, "gpu_count", source),
      gpuModel: row.get("gpu_model") || null,
      burstable: row.get("burstable") === "true",
      currentGeneration: row.get("current_generation") === "true",
    });
  }
  return out;
}
