import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePriceFile } from "../../core/market/import.js";
import { ManualClock } from "../../core/ports/clock.js";
import { SimCloud } from "./cloud.js";
import { SimEc2Port } from "./ec2-port.js";
import { SimEc2Factory } from "./factory.js";
import { loadSimMarket, seedSimFleet } from "./seed.js";

const GPU_FILE = "data/prices-gpu-p2p3-6regions-2019-12-20_2020-01-31.csv";

describe("SimCloud", () => {
  it("replays the recorded GPU market up to the simulated now, per region, paginated", async () => {
    const { records } = parsePriceFile(readFileSync(GPU_FILE, "utf8"), GPU_FILE);
    const clock = new ManualClock(Date.UTC(2020, 0, 1));
    const cloud = new SimCloud({ clock });
    loadSimMarket(cloud, records);
    const ec2 = new SimEc2Port(cloud, "sim", "us-east-1");
    const start = Date.UTC(2019, 11, 20);
    const all: typeof records = [];
    let nextToken: string | undefined;
    do {
      const page = await ec2.describeSpotPriceHistory({ startTime: start, nextToken, maxResults: 100 });
      all.push(...page.records);
      nextToken = page.nextToken;
    } while (nextToken);
    const expected = records.filter((r) => r.region === "us-east-1" && r.ts >= start && r.ts <= clock.now());
    expect(expected.length).toBeGreaterThan(100);
    expect(all).toHaveLength(expected.length);
    expect(all.every((r) => r.region === "us-east-1" && r.ts <= clock.now())).toBe(true);
    // time moves on: later records become visible
    clock.advance(7 * 24 * 3600_000);
    const later = await ec2.describeSpotPriceHistory({
      startTime: start,
      maxResults: 100_000,
      instanceTypes: ["p3.2xlarge"],
    });
    expect(later.records.length).toBeGreaterThan(0);
    expect(later.records.every((r) => r.instanceType === "p3.2xlarge")).toBe(true);
    expect(later.records.at(-1)!.ts).toBeGreaterThan(Date.UTC(2020, 0, 1));
    // from a start inside the series: exactly the records from there to now, in the series' order
    const mid = Date.UTC(2019, 11, 28, 7, 30);
    const fromMid = await ec2.describeSpotPriceHistory({ startTime: mid, maxResults: 100_000 });
    expect(fromMid.records).toEqual(
      cloud.prices.filter((r) => r.region === "us-east-1" && r.ts >= mid && r.ts <= clock.now()),
    );
    expect(fromMid.records.length).toBeGreaterThan(0);
  });

  it("moves instances and images through their states on the clock", async () => {
    const clock = new ManualClock();
    const cloud = new SimCloud({
      clock,
      latencies: { imageMs: 60_000, bootMs: 10_000, statusChecksMs: 20_000, healthyMs: 5_000 },
    });
    const [src] = seedSimFleet(cloud);
    const ec2 = await new SimEc2Factory(cloud).forAccount("sim", "us-east-1", "spotwise-test");
    const { imageId } = await ec2.createImage({
      instanceId: src!.instanceId,
      name: "x",
      noReboot: false,
      tags: { a: "b" },
      clientToken: "t1",
    });
    expect(
      (await ec2.createImage({ instanceId: src!.instanceId, name: "x", noReboot: false, tags: {}, clientToken: "t1" }))
        .imageId,
    ).toBe(imageId);
    expect((await ec2.describeImages({ imageIds: [imageId] }))[0]!.state).toBe("pending");
    clock.advance(60_000);
    expect((await ec2.describeImages({ tagFilters: { a: "b" } }))[0]!.state).toBe("available");
    const run = {
      imageId,
      instanceType: "m5a.xlarge",
      az: "us-east-1a",
      securityGroupIds: [],
      tags: {},
      spot: true,
      clientToken: "c1",
    };
    const { instanceId } = await ec2.runInstances(run);
    expect((await ec2.runInstances(run)).instanceId).toBe(instanceId);
    expect((await ec2.describeInstanceStatus({ instanceIds: [instanceId] }))[0]).toMatchObject({
      state: "pending",
      systemOk: false,
    });
    clock.advance(30_000);
    expect((await ec2.describeInstanceStatus({ instanceIds: [instanceId] }))[0]).toMatchObject({
      state: "running",
      systemOk: true,
    });
    expect(cloud.healthy(instanceId)).toBe(false);
    clock.advance(5_000);
    expect(cloud.healthy(instanceId)).toBe(true);
    await ec2.terminateInstances({ instanceIds: [instanceId] });
    expect((await ec2.describeInstances({ instanceIds: [instanceId] }))[0]!.state).toBe("shutting-down");
  });

  it("injects faults per operation, capacity shortages, logs calls and resets", async () => {
    const clock = new ManualClock();
    const cloud = new SimCloud({ clock });
    seedSimFleet(cloud);
    const ec2 = new SimEc2Port(cloud, "sim", "us-east-1");
    cloud.failNext("describeInstances", "throttling");
    await expect(ec2.describeInstances({})).rejects.toMatchObject({ code: "aws_throttled" });
    expect((await ec2.describeInstances({})).length).toBe(4);
    cloud.failNext("describeAddresses", "timeout");
    await expect(ec2.describeAddresses({})).rejects.toMatchObject({ code: "deadline_exceeded" });
    cloud.failNext("describeAddresses", "denied");
    await expect(ec2.describeAddresses({})).rejects.toMatchObject({ code: "aws_access_denied" });
    await expect(ec2.describeInstances({ instanceIds: ["i-nope"] })).rejects.toMatchObject({ code: "not_found" });
    // another account sees nothing of this one
    expect(await new SimEc2Port(cloud, "222222222222", "us-east-1").describeInstances({})).toEqual([]);
    expect(cloud.callsOf("describeInstances")).toHaveLength(4);
    cloud.reset();
    expect(cloud.calls).toEqual([]);
    expect(cloud.instances.size).toBe(0);
  });

  it("describes by id those instances only, terminated ones included, as copies the caller may change", async () => {
    const clock = new ManualClock();
    const cloud = new SimCloud({ clock });
    const [a, b, c] = seedSimFleet(cloud);
    const ec2 = new SimEc2Port(cloud, "sim", "us-east-1");
    await ec2.terminateInstances({ instanceIds: [b!.instanceId] });
    clock.advance(3_600_000);
    const got = await ec2.describeInstances({ instanceIds: [c!.instanceId, b!.instanceId, c!.instanceId] });
    expect(got.map((i) => i.instanceId)).toEqual([c!.instanceId, b!.instanceId]);
    expect(got[1]!.state).toBe("terminated");
    expect((await ec2.describeInstances({})).map((i) => i.instanceId)).not.toContain(b!.instanceId);
    // what the caller does to the answer does not reach the simulated instance
    const [view] = await ec2.describeInstances({ instanceIds: [a!.instanceId] });
    view!.tags.Name = "changed";
    view!.securityGroupIds.push("sg-changed");
    if (view!.placement) view!.placement.tenancy = "changed";
    const [again] = await ec2.describeInstances({ instanceIds: [a!.instanceId] });
    expect(again!.tags.Name).not.toBe("changed");
    expect(again!.securityGroupIds).not.toContain("sg-changed");
    expect(again!.placement?.tenancy).not.toBe("changed");
    expect(again).toEqual({
      ...view,
      tags: again!.tags,
      securityGroupIds: again!.securityGroupIds,
      placement: again!.placement,
    });
  });
});
