import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AssociateAddressCommand,
  CreateImageCommand,
  CreateTagsCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
  EC2ServiceException,
  GetSpotPlacementScoresCommand,
  RunInstancesCommand,
  type InstanceTypeInfo as SdkInstanceTypeInfo,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sharedDataPath } from "../../../test/support/shared-data.js";
import { isCodedError } from "../../core/errors.js";
import { loadCatalog } from "../tables/index.js";
import { createEc2Client, SdkEc2Port, toInstanceTypeInfo } from "./ec2.js";

const meta = (requestId: string) => ({ $metadata: { requestId } });
const ec2 = mockClient(EC2Client);
const port = () => new SdkEc2Port(new EC2Client({ region: "us-east-1" }), "123456789012", "us-east-1");

function sdkError(name: string, message = "x"): EC2ServiceException {
  return new EC2ServiceException({ name, $fault: "client", message, $metadata: { requestId: "req-err" } });
}

afterEach(() => ec2.reset());

describe("SdkEc2Port", () => {
  it("asks for Linux/UNIX spot prices and maps the records", async () => {
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({
      ...meta("req-1"),
      NextToken: "next",
      SpotPriceHistory: [
        {
          AvailabilityZone: "us-east-1b",
          InstanceType: "p3.2xlarge",
          ProductDescription: "Linux/UNIX",
          SpotPrice: "1.092400",
          Timestamp: new Date("2020-01-14T23:11:30Z"),
        },
        {
          AvailabilityZone: "us-east-1b",
          InstanceType: "p3.2xlarge",
          ProductDescription: "Windows",
          SpotPrice: "2.0",
          Timestamp: new Date("2020-01-14T23:11:30Z"),
        },
        {
          AvailabilityZone: "us-east-1c",
          InstanceType: "p3.2xlarge",
          ProductDescription: "Linux/UNIX",
          SpotPrice: "n/a",
        },
      ],
    });
    const res = await port().describeSpotPriceHistory({
      startTime: Date.parse("2020-01-14T00:00:00Z"),
      endTime: Date.parse("2020-01-15T00:00:00Z"),
      maxResults: 1000,
    });
    const sent = ec2.commandCalls(DescribeSpotPriceHistoryCommand)[0].args[0].input;
    expect(sent.ProductDescriptions).toEqual(["Linux/UNIX"]);
    expect(sent.StartTime).toEqual(new Date("2020-01-14T00:00:00Z"));
    expect(sent.EndTime).toEqual(new Date("2020-01-15T00:00:00Z"));
    expect(sent.MaxResults).toBe(1000);
    expect(res.nextToken).toBe("next");
    expect(res.requestId).toBe("req-1");
    expect(res.records).toHaveLength(2);
    expect(res.records[0]).toEqual({
      region: "us-east-1",
      az: "us-east-1b",
      instanceType: "p3.2xlarge",
      ts: Date.parse("2020-01-14T23:11:30Z"),
      price: 1.0924,
    });
    // bad values are passed on as NaN for the scraper to log and skip
    expect(res.records[1].price).toBeNaN();
    expect(res.records[1].ts).toBeNaN();
  });

  it("maps throttling and capacity errors to coded errors naming the call", async () => {
    ec2.on(DescribeSpotPriceHistoryCommand).rejects(sdkError("RequestLimitExceeded"));
    const e1 = await port()
      .describeSpotPriceHistory({ startTime: 0 })
      .catch((e) => e);
    expect(isCodedError(e1, "aws_throttled")).toBe(true);
    expect(e1.message).toContain("ec2:DescribeSpotPriceHistory in 123456789012/us-east-1");
    ec2.on(RunInstancesCommand).rejects(sdkError("InsufficientInstanceCapacity", "no p3 capacity"));
    const e2 = await port()
      .runInstances({
        imageId: "ami-1",
        instanceType: "p3.2xlarge",
        az: "us-east-1b",
        securityGroupIds: [],
        tags: {},
        spot: true,
        clientToken: "saga-1",
      })
      .catch((e) => e);
    expect(isCodedError(e2, "aws_capacity")).toBe(true);
    expect(e2.detail.requestId).toBe("req-err");
  });

  it("launches a spot replacement with idempotency token, tags and base64 user data", async () => {
    ec2.on(RunInstancesCommand).resolves({ ...meta("req-run"), Instances: [{ InstanceId: "i-new" }] });
    const res = await port().runInstances({
      imageId: "ami-1",
      instanceType: "m5.large",
      az: "us-east-1c",
      subnetId: "subnet-1",
      securityGroupIds: ["sg-1"],
      iamInstanceProfileArn: "arn:aws:iam::123456789012:instance-profile/app",
      keyName: "ops",
      userData: "#!/bin/sh\necho hi\n",
      tags: { Name: "app", "spotwise:managed": "true" },
      spot: true,
      clientToken: "saga-42",
    });
    expect(res).toEqual({ instanceId: "i-new", requestId: "req-run" });
    const sent = ec2.commandCalls(RunInstancesCommand)[0].args[0].input;
    expect(sent).toMatchObject({
      ImageId: "ami-1",
      InstanceType: "m5.large",
      MinCount: 1,
      MaxCount: 1,
      Placement: { AvailabilityZone: "us-east-1c" },
      SubnetId: "subnet-1",
      SecurityGroupIds: ["sg-1"],
      IamInstanceProfile: { Arn: "arn:aws:iam::123456789012:instance-profile/app" },
      ClientToken: "saga-42",
      InstanceMarketOptions: { MarketType: "spot" },
    });
    expect(Buffer.from(sent.UserData ?? "", "base64").toString()).toBe("#!/bin/sh\necho hi\n");
    expect(sent.TagSpecifications?.map((t) => t.ResourceType)).toEqual(["instance", "volume"]);
    expect(sent.TagSpecifications?.[0].Tags).toContainEqual({ Key: "spotwise:managed", Value: "true" });
  });

  it("describes live instances by tag across pages", async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        NextToken: "p2",
        Reservations: [
          {
            Instances: [
              {
                InstanceId: "i-1",
                InstanceType: "m5.large",
                Placement: { AvailabilityZone: "us-east-1a" },
                State: { Name: "running" },
                InstanceLifecycle: "spot",
                SecurityGroups: [{ GroupId: "sg-1" }],
                LaunchTime: new Date("2026-01-01T00:00:00Z"),
                Tags: [{ Key: "spotwise:managed", Value: "true" }],
              },
            ],
          },
        ],
      })
      .resolvesOnce({
        Reservations: [{ Instances: [{ InstanceId: "i-2", InstanceType: "c5.large", State: { Name: "stopped" } }] }],
      });
    const list = await port().describeInstances({ tagFilters: { "spotwise:managed": "true" } });
    expect(list.map((i) => [i.instanceId, i.lifecycle, i.state])).toEqual([
      ["i-1", "spot", "running"],
      ["i-2", "on-demand", "stopped"],
    ]);
    expect(list[0]).toMatchObject({
      az: "us-east-1a",
      securityGroupIds: ["sg-1"],
      launchTime: Date.parse("2026-01-01T00:00:00Z"),
    });
    const calls = ec2.commandCalls(DescribeInstancesCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1].args[0].input.NextToken).toBe("p2");
    const filters = calls[0].args[0].input.Filters ?? [];
    expect(filters).toContainEqual({ Name: "tag:spotwise:managed", Values: ["true"] });
    expect(filters.find((f) => f.Name === "instance-state-name")?.Values).not.toContain("terminated");
  });

  it("maps instance types, status, images and the mutating calls' request ids", async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({
      InstanceTypes: [
        {
          InstanceType: "g4dn.xlarge",
          VCpuInfo: { DefaultVCpus: 4 },
          MemoryInfo: { SizeInMiB: 16384 },
          ProcessorInfo: { SupportedArchitectures: ["x86_64"] },
          GpuInfo: { Gpus: [{ Name: "T4", Manufacturer: "NVIDIA", Count: 1 }] },
          BurstablePerformanceSupported: false,
          CurrentGeneration: true,
        },
      ],
    });
    const types = await port().describeInstanceTypes({});
    expect(types.types[0]).toEqual({
      instanceType: "g4dn.xlarge",
      vcpus: 4,
      memoryMib: 16384,
      architectures: ["x86_64"],
      gpuCount: 1,
      gpuModel: "NVIDIA T4",
      burstable: false,
      currentGeneration: true,
    });
    ec2.on(DescribeInstanceStatusCommand).resolves({
      InstanceStatuses: [
        {
          InstanceId: "i-1",
          InstanceState: { Name: "running" },
          SystemStatus: { Status: "ok" },
          InstanceStatus: { Status: "initializing" },
        },
      ],
    });
    expect(await port().describeInstanceStatus({ instanceIds: ["i-1"] })).toEqual([
      { instanceId: "i-1", state: "running", systemOk: true, instanceOk: false },
    ]);
    ec2.on(CreateImageCommand).resolves({ ...meta("req-img"), ImageId: "ami-9" });
    expect(
      await port().createImage({ instanceId: "i-1", name: "spotwise-1", noReboot: false, tags: { a: "b" } }),
    ).toEqual({
      imageId: "ami-9",
      requestId: "req-img",
    });
    expect(ec2.commandCalls(CreateImageCommand)[0].args[0].input.TagSpecifications?.map((t) => t.ResourceType)).toEqual(
      ["image", "snapshot"],
    );
    ec2.on(DescribeImagesCommand).resolves({
      Images: [
        {
          ImageId: "ami-9",
          State: "available",
          CreationDate: "2026-01-01T00:00:00.000Z",
          BlockDeviceMappings: [{ Ebs: { SnapshotId: "snap-1" } }, { VirtualName: "ephemeral0" }],
          Tags: [{ Key: "spotwise:saga", Value: "s1" }],
        },
        { ImageId: "ami-8", State: "error" },
      ],
    });
    const images = await port().describeImages({ tagFilters: { "spotwise:saga": "s1" } });
    expect(images[0]).toEqual({
      imageId: "ami-9",
      state: "available",
      snapshotIds: ["snap-1"],
      createdAt: Date.parse("2026-01-01T00:00:00Z"),
      tags: { "spotwise:saga": "s1" },
    });
    expect(images[1].state).toBe("failed");
    expect(ec2.commandCalls(DescribeImagesCommand)[0].args[0].input.Owners).toEqual(["self"]);
    ec2.on(TerminateInstancesCommand).resolves(meta("req-term"));
    expect(await port().terminateInstances({ instanceIds: ["i-1"] })).toEqual({ requestId: "req-term" });
    ec2.on(AssociateAddressCommand).resolves({ ...meta("req-eip"), AssociationId: "eipassoc-1" });
    expect(
      await port().associateAddress({ allocationId: "eipalloc-1", instanceId: "i-2", allowReassociation: true }),
    ).toEqual({
      associationId: "eipassoc-1",
      requestId: "req-eip",
    });
    ec2.on(CreateTagsCommand).resolves(meta("req-tag"));
    expect(await port().createTags({ resourceIds: ["i-2"], tags: { x: "y" } })).toEqual({ requestId: "req-tag" });
    expect(ec2.commandCalls(CreateTagsCommand)[0].args[0].input.Tags).toEqual([{ Key: "x", Value: "y" }]);
  });

  it("queries placement scores for the set of types in its region and names the AZs", async () => {
    ec2.on(GetSpotPlacementScoresCommand).resolves({
      SpotPlacementScores: [
        { Region: "us-east-1", AvailabilityZoneId: "use1-az4", Score: 9 },
        { Region: "us-east-1", AvailabilityZoneId: "use1-az6", Score: 3 },
      ],
    });
    ec2.on(DescribeAvailabilityZonesCommand).resolves({
      AvailabilityZones: [
        { ZoneId: "use1-az4", ZoneName: "us-east-1b" },
        { ZoneId: "use1-az6", ZoneName: "us-east-1a" },
      ],
    });
    const p = port();
    const scores = await p.getSpotPlacementScores({
      instanceTypes: ["m5.large", "m5a.large"],
      targetCapacity: 1,
      singleAvailabilityZone: true,
    });
    expect(scores).toEqual([
      { region: "us-east-1", azId: "use1-az4", az: "us-east-1b", score: 9 },
      { region: "us-east-1", azId: "use1-az6", az: "us-east-1a", score: 3 },
    ]);
    expect(ec2.commandCalls(GetSpotPlacementScoresCommand)[0].args[0].input).toMatchObject({
      InstanceTypes: ["m5.large", "m5a.large"],
      RegionNames: ["us-east-1"],
      SingleAvailabilityZone: true,
      TargetCapacity: 1,
    });
    await p.getSpotPlacementScores({ instanceTypes: ["m5.large"], targetCapacity: 1, singleAvailabilityZone: true });
    expect(ec2.commandCalls(DescribeAvailabilityZonesCommand)).toHaveLength(1); // AZ names fetched once
  });
});

describe("createEc2Client", () => {
  it("uses adaptive retries", async () => {
    const client = createEc2Client({ region: "eu-west-1" });
    expect(await client.config.retryStrategy()).toHaveProperty("mode", "adaptive");
    expect(await client.config.region()).toBe("eu-west-1");
  });
});

describe("AWS_ENDPOINT_URL_EC2 (real HTTP, no mock)", () => {
  let server: Server;
  const seen: string[] = [];
  const saved = process.env.AWS_ENDPOINT_URL_EC2;
  beforeAll(async () => {
    ec2.restore();
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        seen.push(body);
        res.setHeader("content-type", "text/xml");
        res.setHeader("x-amzn-requestid", "local-req-1");
        res.end(`<?xml version="1.0" encoding="UTF-8"?>
<DescribeSpotPriceHistoryResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>local-req-1</requestId>
  <spotPriceHistorySet>
    <item><instanceType>p3.2xlarge</instanceType><productDescription>Linux/UNIX</productDescription>
      <spotPrice>0.943000</spotPrice><timestamp>2020-01-14T18:25:04.000Z</timestamp><availabilityZone>us-east-1f</availabilityZone></item>
  </spotPriceHistorySet>
  <nextToken/>
</DescribeSpotPriceHistoryResponse>`);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    process.env.AWS_ENDPOINT_URL_EC2 = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_EC2;
    else process.env.AWS_ENDPOINT_URL_EC2 = saved;
    await new Promise((r) => server.close(r));
  });

  it("sends the request to the endpoint from the environment", async () => {
    const client = createEc2Client({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" },
    });
    const res = await new SdkEc2Port(client, "123456789012", "us-east-1").describeSpotPriceHistory({ startTime: 0 });
    expect(seen[0]).toContain("Action=DescribeSpotPriceHistory");
    expect(seen[0]).toContain("ProductDescription.1=Linux%2FUNIX");
    expect(res.requestId).toBe("local-req-1");
    expect(res.records).toEqual([
      {
        region: "us-east-1",
        az: "us-east-1f",
        instanceType: "p3.2xlarge",
        ts: Date.parse("2020-01-14T18:25:04Z"),
        price: 0.943,
      },
    ]);
  });
});

describe("toInstanceTypeInfo on real DescribeInstanceTypes output (shared data)", () => {
  it("matches the bundled catalog built from the same source for every type", async () => {
    const file = sharedDataPath("aux/instance-types-describe.json");
    const raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, SdkInstanceTypeInfo>;
    const bundled = await loadCatalog();
    let compared = 0;
    for (const [type, info] of Object.entries(raw)) {
      const expected = bundled.get(type);
      if (!expected) continue;
      const { virtualizationTypes, ...mapped } = toInstanceTypeInfo(info);
      expect(mapped, type).toEqual(expected);
      // the catalog has no virtualization column; DescribeInstanceTypes always lists hvm for current types
      if (expected.currentGeneration) expect(virtualizationTypes, type).toContain("hvm");
      compared++;
    }
    expect(compared).toBe(bundled.size);
  });
});
