/**
 * A stateful in-memory fake of DescribeSpotPriceHistory for tests (karpenter's fake EC2API pattern), with AWS
 * semantics: records in [start, end] plus, per pool, the record in effect at start; newest first; pages of
 * maxResults with opaque tokens; queued faults (an Error to throw, or "garbage" to append bad records), a
 * failure after N calls (a crash mid-scrape) and a call log. Every other Ec2Port call throws.
 */
import { CodedError } from "../../src/core/errors.js";
import type { Ec2Port } from "../../src/core/ports/ec2.js";
import type { PriceRecord } from "../../src/core/types.js";

export class FakeSpotMarket {
  records: PriceRecord[] = [];
  calls: Array<{ startTime: number; endTime?: number; nextToken?: string }> = [];
  faults: Array<Error | "garbage"> = [];
  failAfterCalls: number | null = null;

  port(region = "us-east-1", accountId = "123456789012"): Ec2Port {
    const market = this;
    const stub = () => {
      throw new Error("not used by the scraper");
    };
    return {
      accountId,
      region,
      async describeSpotPriceHistory(input) {
        market.calls.push({ startTime: input.startTime, endTime: input.endTime, nextToken: input.nextToken });
        if (market.failAfterCalls !== null && market.calls.length > market.failAfterCalls) {
          throw new CodedError("aws_error", "ec2:DescribeSpotPriceHistory: InternalError: boom");
        }
        const fault = market.faults.shift();
        if (fault instanceof Error) throw fault;
        const end = input.endTime ?? Number.POSITIVE_INFINITY;
        const mine = market.records.filter((r) => r.region === region && r.ts <= end);
        const inWindow = mine.filter((r) => r.ts >= input.startTime);
        const inEffect = new Map<string, PriceRecord>();
        for (const r of mine) {
          if (r.ts >= input.startTime) continue;
          const k = `${r.az}/${r.instanceType}`;
          const prev = inEffect.get(k);
          if (!prev || prev.ts < r.ts) inEffect.set(k, r);
        }
        const all = [...inWindow, ...inEffect.values()].sort((a, b) => b.ts - a.ts || a.az.localeCompare(b.az));
        const offset = input.nextToken ? Number(input.nextToken.slice(4)) : 0;
        const size = input.maxResults ?? 1000;
        const page = all.slice(offset, offset + size);
        const next = offset + size < all.length ? `tok-${offset + size}` : undefined;
        if (fault === "garbage") {
          page.push({ region, az: `${region}a`, instanceType: "m5.large", ts: input.startTime, price: Number.NaN });
          page.push({ region, az: `${region}a`, instanceType: "m5.large", ts: end + 30 * 24 * 3_600_000, price: 0.1 });
          page.push({
            region: "xx-nowhere-9",
            az: "xx-nowhere-9a",
            instanceType: "m5.large",
            ts: input.startTime,
            price: 0.1,
          });
        }
        return { records: page.map((r) => ({ ...r })), nextToken: next, requestId: "req-1" };
      },
      describeInstanceTypes: stub,
      getSpotPlacementScores: stub,
      describeInstances: stub,
      describeInstanceStatus: stub,
      getUserData: stub,
      createImage: stub,
      describeImages: stub,
      deregisterImage: stub,
      deleteSnapshot: stub,
      runInstances: stub,
      terminateInstances: stub,
      describeAddresses: stub,
      associateAddress: stub,
      createTags: stub,
      describeInstanceTypeOfferings: stub,
      describeLaunchAttributes: stub,
      describeVolumes: stub,
      assignPrivateIps: stub,
      modifyInstanceAttribute: stub,
      stopInstances: stub,
      startInstances: stub,
      detachVolume: stub,
      attachVolume: stub,
    };
  }
}
