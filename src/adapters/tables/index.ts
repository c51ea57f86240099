/** Loads the bundled market tables from data/ (or files given by the operator). */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AdvisorTable,
  type Catalog,
  type OnDemandTable,
  parseAdvisorCsv,
  parseCatalogCsv,
  parseOnDemandCsv,
} from "../../core/market/tables.js";

/** The repository (or installed package) root, whether running from src/ (tsx) or dist/src/ (node). */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, here.includes("/dist/") ? "../../../.." : "../../..");
}

/** The repository's data/ folder. */
export function bundledDataDir(): string {
  return resolve(packageRoot(), "data");
}

export function bundledPath(file: string): string {
  return resolve(bundledDataDir(), file);
}

export const BUNDLED = {
  ondemand: "ondemand.csv",
  advisor: "advisor-2025-06.csv",
  advisor2021: "advisor.csv",
  catalog: "instance-types.csv",
  demoPrices: "prices-gpu-p2p3-6regions-2019-12-20_2020-01-31.csv",
} as const;

export async function loadOnDemand(path = bundledPath(BUNDLED.ondemand)): Promise<OnDemandTable> {
  return parseOnDemandCsv(await readFile(path, "utf8"), path);
}

export async function loadAdvisor(path = bundledPath(BUNDLED.advisor)): Promise<AdvisorTable> {
  return parseAdvisorCsv(await readFile(path, "utf8"), path);
}

export async function loadCatalog(path = bundledPath(BUNDLED.catalog)): Promise<Catalog> {
  return parseCatalogCsv(await readFile(path, "utf8"), path);
}
