/**
 * The instance catalog (vCPU, memory, architectures, GPU, burstable per type): from DescribeInstanceTypes,
 * with the bundled table as fallback when the call fails (no permission, throttled, offline), and for types
 * the region does not offer (older history). The API wins where both know a type.
 */
import { errorMessage, isCodedError } from "../errors.js";
import type { Ec2Port } from "../ports/ec2.js";
import type { MarketLogger } from "./log.js";
import type { Catalog } from "./tables.js";

/** Every instance type of the port's region, all pages. */
export async function fetchCatalog(port: Ec2Port, maxPages = 100): Promise<Catalog> {
  const out: Catalog = new Map();
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const res = await port.describeInstanceTypes({ nextToken });
    for (const t of res.types) if (t.instanceType) out.set(t.instanceType, t);
    nextToken = res.nextToken;
    if (!nextToken) break;
  }
  return out;
}

export interface CatalogResult {
  catalog: Catalog;
  source: "aws" | "bundled";
  /** Types known from AWS / only from the bundled table. */
  fromAws: number;
  fromBundled: number;
}

export async function loadCatalogWithFallback(deps: {
  port?: Ec2Port;
  fallback: () => Promise<Catalog>;
  log: MarketLogger;
}): Promise<CatalogResult> {
  const bundled = await deps.fallback();
  if (!deps.port) return { catalog: bundled, source: "bundled", fromAws: 0, fromBundled: bundled.size };
  try {
    const live = await fetchCatalog(deps.port);
    if (live.size === 0) throw new Error("DescribeInstanceTypes returned no types");
    const catalog: Catalog = new Map(bundled);
    for (const [k, v] of live) catalog.set(k, v);
    return { catalog, source: "aws", fromAws: live.size, fromBundled: catalog.size - live.size };
  } catch (e) {
    deps.log.warn(
      {
        accountId: deps.port.accountId,
        region: deps.port.region,
        code: isCodedError(e) ? e.code : "internal",
        error: errorMessage(e),
      },
      "instance catalog from AWS unavailable; using the bundled table",
    );
    return { catalog: bundled, source: "bundled", fromAws: 0, fromBundled: bundled.size };
  }
}
