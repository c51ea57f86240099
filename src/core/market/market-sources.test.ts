import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { advisorFetcher } from "../../adapters/aws/advisor-feed.js";
import { MemoryCacheStore } from "../../adapters/kv/memory.js";
import { BUNDLED, bundledPath, loadAdvisor, loadCatalog } from "../../adapters/tables/index.js";
import { CodedError } from "../errors.js";
import type { Ec2Port } from "../ports/ec2.js";
import type { InstanceTypeInfo } from "../types.js";
import { loadAdvisorWithFallback, parseAdvisorFeed } from "./advisor-feed.js";
import { fetchCatalog, loadCatalogWithFallback } from "./catalog.js";
import type { MarketLogger } from "./log.js";
import { PlacementScores } from "./placement.js";
import { parseAdvisorCsv } from "./tables.js";

const warnings: Array<Record<string, unknown>> = [];
const log: MarketLogger = { info: () => {}, warn: (o) => warnings.push(o) };

function fakePort(over: Partial<Ec2Port>): Ec2Port {
  return new Proxy({ accountId: "123456789012", region: "us-east-1", ...over } as Ec2Port, {
    get(target, prop) {
      if (prop in target) return target[prop as keyof Ec2Port];
      return () => {
        throw new Error(`unexpected call ${String(prop)}`);
      };
    },
  });
}

const RANGES = [
  { index: 0, label: "<5%", dots: 0, max: 5 },
  { index: 1, label: "5-10%", dots: 1, max: 11 },
  { index: 2, label: "10-15%", dots: 2, max: 16 },
  { index: 3, label: "15-20%", dots: 3, max: 22 },
  { index: 4, label: ">20%", dots: 4, max: 100 },
];

/** The feed's JSON shape rebuilt from the bundled advisor CSV (itself extracted from the real feed). */
function feedFromCsv(csv: string): unknown {
  const spot_advisor: Record<string, Record<string, Record<string, { r: number; s: number }>>> = {};
  for (const line of csv.trim().split("\n").slice(1)) {
    const [region, type, os, bucket, savings] = line.split(",");
    spot_advisor[region] ??= {};
    spot_advisor[region][os] ??= {};
    spot_advisor[region][os][type] = { r: RANGES.findIndex((r) => r.label === bucket), s: Number(savings) };
  }
  return { global_rate: "<10%", instance_types: {}, ranges: RANGES, spot_advisor };
}

describe("Spot Advisor feed", () => {
  it("parses the feed into the same table as the bundled CSV of it", () => {
    const csv = readFileSync(bundledPath(BUNDLED.advisor), "utf8");
    const table = parseAdvisorFeed(feedFromCsv(csv));
    const expected = parseAdvisorCsv(csv);
    expect(table.size).toBe(expected.size);
    expect(table.get("us-east-1|m5.large")).toEqual(expected.get("us-east-1|m5.large"));
    expect([...table.entries()].sort()).toEqual([...expected.entries()].sort());
  });

  it("refuses something that is not the feed", () => {
    expect(() => parseAdvisorFeed({ ranges: [] })).toThrow(/not a Spot Advisor feed/);
  });

  it("refreshes over HTTP and falls back to the bundled snapshot when the feed fails", async () => {
    const csv = readFileSync(bundledPath(BUNDLED.advisor), "utf8");
    const body = JSON.stringify(feedFromCsv(csv));
    const server = createServer((req, res) => {
      if (req.url === "/spot-advisor-data.json") res.end(body);
      else {
        res.statusCode = 503;
        res.end("down");
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await loadAdvisorWithFallback({
        url: `${base}/spot-advisor-data.json`,
        fetchJson: advisorFetcher(),
        fallback: () => loadAdvisor(),
        log,
      });
      expect(ok.source).toBe("feed");
      expect(ok.table.get("us-east-1|m5.large")?.savingsPct).toBeGreaterThan(0);
      warnings.length = 0;
      const down = await loadAdvisorWithFallback({
        url: `${base}/gone`,
        fetchJson: advisorFetcher(),
        fallback: () => loadAdvisor(),
        log,
      });
      expect(down.source).toBe("bundled");
      expect(down.table.size).toBe(ok.table.size);
      expect(String(warnings[0]?.error)).toContain("HTTP 503");
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("instance catalog", () => {
  const info = (instanceType: string, vcpus: number): InstanceTypeInfo => ({
    instanceType,
    vcpus,
    memoryMib: vcpus * 4096,
    architectures: ["x86_64"],
    gpuCount: 0,
    gpuModel: null,
    burstable: false,
    currentGeneration: true,
  });

  it("pages through DescribeInstanceTypes and lets AWS override the bundled table", async () => {
    const port = fakePort({
      describeInstanceTypes: async ({ nextToken }) =>
        nextToken ? { types: [info("m5.large", 2)] } : { types: [info("zz9.large", 8)], nextToken: "p2" },
    });
    expect([...(await fetchCatalog(port)).keys()]).toEqual(["zz9.large", "m5.large"]);
    const res = await loadCatalogWithFallback({ port, fallback: () => loadCatalog(), log });
    expect(res.source).toBe("aws");
    expect(res.catalog.get("zz9.large")?.vcpus).toBe(8);
    expect(res.catalog.get("g4dn.xlarge")).toMatchObject({ gpuCount: 1, gpuModel: "NVIDIA T4" }); // bundled only
    expect(res.fromAws).toBe(2);
  });

  it("falls back to the bundled table when AWS refuses", async () => {
    warnings.length = 0;
    const port = fakePort({
      describeInstanceTypes: async () => {
        throw new CodedError("aws_access_denied", "ec2:DescribeInstanceTypes: access denied");
      },
    });
    const res = await loadCatalogWithFallback({ port, fallback: () => loadCatalog(), log });
    expect(res.source).toBe("bundled");
    expect(res.catalog.size).toBe(1308);
    expect(warnings[0]).toMatchObject({ code: "aws_access_denied", region: "us-east-1" });
  });
});

describe("placement scores", () => {
  it("queries the set of candidate types once per TTL and scores every pool of an AZ", async () => {
    const calls: Array<{ instanceTypes: string[] }> = [];
    const port = fakePort({
      getSpotPlacementScores: async (input) => {
        calls.push(input);
        return [
          { region: "us-east-1", azId: "use1-az4", az: "us-east-1b", score: 9 },
          { region: "us-east-1", azId: "use1-az6", az: "us-east-1a", score: 2 },
        ];
      },
    });
    let now = 0;
    const svc = new PlacementScores({ cache: new MemoryCacheStore(() => now), log, options: { ttlMs: 60_000 } });
    const pools = [
      { region: "us-east-1", az: "us-east-1b", instanceType: "m5.large" },
      { region: "us-east-1", az: "us-east-1a", instanceType: "m5a.large" },
      { region: "us-east-1", az: "us-east-1c", instanceType: "m5.large" },
      { region: "eu-west-1", az: "eu-west-1a", instanceType: "m5.large" },
    ];
    const scores = await svc.forPools(port, pools);
    expect(calls).toEqual([
      { instanceTypes: ["m5.large", "m5a.large"], targetCapacity: 1, singleAvailabilityZone: true },
    ]);
    expect(Object.fromEntries(scores)).toEqual({
      "us-east-1/us-east-1b/m5.large": 9,
      "us-east-1/us-east-1a/m5a.large": 2,
    });
    await svc.forPools(port, [...pools].reverse());
    expect(calls).toHaveLength(1); // cached for the same set
    now += 61_000;
    await svc.forPools(port, pools);
    expect(calls).toHaveLength(2);
  });

  it("degrades to no scores when AWS throttles", async () => {
    const port = fakePort({
      getSpotPlacementScores: async () => {
        throw new CodedError("aws_throttled", "throttled");
      },
    });
    const svc = new PlacementScores({ cache: new MemoryCacheStore(() => 0), log });
    const scores = await svc.forPools(port, [{ region: "us-east-1", az: "us-east-1b", instanceType: "m5.large" }]);
    expect(scores.size).toBe(0);
  });
});
