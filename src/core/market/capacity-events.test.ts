import { describe, expect, it } from "vitest";
import { MemoryMarketStore } from "../../adapters/market/memory.js";
import { CodedError } from "../errors.js";
import {
  capacityEvent,
  isTerminatedByAws,
  launchOutcome,
  parseSpotEvent,
  recordSpotEvents,
} from "./capacity-events.js";
import type { MarketLogger } from "./log.js";

const pool = { region: "us-east-2", az: "us-east-2a", instanceType: "p3.2xlarge" };
// the example event from the EC2 user guide
const warning = {
  version: "0",
  id: "12345678-1234-1234-1234-123456789012",
  "detail-type": "EC2 Spot Instance Interruption Warning",
  source: "aws.ec2",
  account: "123456789012",
  time: "2017-09-18T08:22:00Z",
  region: "us-east-2",
  resources: ["arn:aws:ec2:us-east-2a:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", "instance-action": "terminate" },
};
const rebalance = {
  ...warning,
  "detail-type": "EC2 Instance Rebalance Recommendation",
  time: "2017-09-18T08:20:00Z",
  detail: { "instance-id": "i-1234567890abcdef0" },
};

describe("capacity events", () => {
  it("maps each observation to availability", () => {
    expect(capacityEvent("launch-ok", pool, 5)).toEqual({ ...pool, ts: 5, available: 1, source: "launch-ok" });
    expect(capacityEvent("terminated-by-aws", pool, 5).available).toBe(0);
    expect(isTerminatedByAws("Server.SpotInstanceTermination")).toBe(true);
    expect(isTerminatedByAws("Client.UserInitiatedShutdown")).toBe(false);
  });

  it("turns launch outcomes into events only when they say something about capacity", () => {
    const ice = new CodedError("aws_capacity", "no capacity", { awsError: "InsufficientInstanceCapacity" });
    const limit = new CodedError("aws_capacity", "limit", { awsError: "MaxSpotInstanceCountExceeded" });
    expect(launchOutcome(pool, 1)?.available).toBe(1);
    expect(launchOutcome(pool, 1, ice)).toMatchObject({ available: 0, source: "insufficient-capacity" });
    expect(launchOutcome(pool, 1, limit)).toBeNull();
    expect(launchOutcome(pool, 1, new CodedError("aws_throttled", "slow"))).toBeNull();
  });

  it("parses EventBridge spot events from objects and SQS bodies", () => {
    expect(parseSpotEvent(warning)).toEqual({
      kind: "interruption-warning",
      accountId: "123456789012",
      region: "us-east-2",
      instanceId: "i-1234567890abcdef0",
      at: Date.parse("2017-09-18T08:22:00Z"),
    });
    expect(parseSpotEvent(JSON.stringify(rebalance))?.kind).toBe("rebalance-recommendation");
    expect(parseSpotEvent("{not json")).toBeNull();
    expect(parseSpotEvent({ ...warning, "detail-type": "EC2 Instance State-change Notification" })).toBeNull();
  });

  it("records events of known instances and logs the rest once", async () => {
    const store = new MemoryMarketStore({ retentionMs: 0 }); // events from 2017
    const warns: unknown[] = [];
    const log: MarketLogger = { info: () => {}, warn: (o) => warns.push(o) };
    const res = await recordSpotEvents(
      { store, log },
      [rebalance, JSON.stringify(warning), "junk", { ...warning, detail: { "instance-id": "i-other" } }],
      async (_a, id) => (id === "i-1234567890abcdef0" ? pool : undefined),
    );
    expect(res).toEqual({ recorded: 2, unknownInstance: 1, unparsable: 1 });
    const series = await store.readCapacity(["us-east-2/us-east-2a/p3.2xlarge"], 0);
    expect(series.get("us-east-2/us-east-2a/p3.2xlarge")).toEqual([
      { ts: Date.parse("2017-09-18T08:20:00Z"), available: 0 },
      { ts: Date.parse("2017-09-18T08:22:00Z"), available: 0 },
    ]);
    expect(warns).toEqual([{ unknownInstance: 1, unparsable: 1, total: 4 }]);
  });
});
