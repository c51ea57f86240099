import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, SQSServiceException } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { isCodedError } from "../../core/errors.js";
import type { MarketLogger } from "../../core/market/log.js";
import { drainSpotEvents } from "../../core/market/spot-event-intake.js";
import { MemoryMarketStore } from "../market/memory.js";
import { SqsSpotEventQueue } from "./sqs-events.js";

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());
const QUEUE = "https://sqs.us-east-2.amazonaws.com/123456789012/spotwise-events";
const log: MarketLogger = { info: () => {}, warn: () => {} };
const pool = { region: "us-east-2", az: "us-east-2a", instanceType: "p3.2xlarge" };
const warning = JSON.stringify({
  version: "0",
  id: "1",
  "detail-type": "EC2 Spot Instance Interruption Warning",
  source: "aws.ec2",
  account: "123456789012",
  time: "2017-09-18T08:22:00Z",
  region: "us-east-2",
  resources: [],
  detail: { "instance-id": "i-1234567890abcdef0", "instance-action": "terminate" },
});

describe("SQS spot event intake", () => {
  it("records the events of a batch, then deletes the messages", async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { ReceiptHandle: "h1", Body: warning },
          { ReceiptHandle: "h2", Body: "not json" },
        ],
      })
      .resolves({ Messages: [] });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: "0" }, { Id: "1" }], Failed: [] });
    const store = new MemoryMarketStore();
    const queue = new SqsSpotEventQueue(new SQSClient({ region: "us-east-2" }), QUEUE);
    const res = await drainSpotEvents({ queue, store, log }, async () => pool);
    expect(res).toEqual({ received: 2, recorded: 1, skipped: 1, batches: 1 });
    expect(sqs.commandCalls(ReceiveMessageCommand)[0].args[0].input).toMatchObject({
      QueueUrl: QUEUE,
      MaxNumberOfMessages: 10,
    });
    expect(sqs.commandCalls(DeleteMessageBatchCommand)[0].args[0].input.Entries).toEqual([
      { Id: "0", ReceiptHandle: "h1" },
      { Id: "1", ReceiptHandle: "h2" },
    ]);
    const series = await store.readCapacity(["us-east-2/us-east-2a/p3.2xlarge"], 0);
    expect(series.get("us-east-2/us-east-2a/p3.2xlarge")).toEqual([
      { ts: Date.parse("2017-09-18T08:22:00Z"), available: 0 },
    ]);
  });

  it("does not delete messages whose events could not be stored", async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [{ ReceiptHandle: "h1", Body: warning }] });
    const store = new MemoryMarketStore();
    store.appendCapacity = async () => {
      throw new Error("redis down");
    };
    const queue = new SqsSpotEventQueue(new SQSClient({ region: "us-east-2" }), QUEUE);
    const res = await drainSpotEvents({ queue, store, log }, async () => pool);
    expect(res.error).toBe("redis down");
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });

  it("maps SQS errors and partial delete failures to coded errors", async () => {
    sqs
      .on(ReceiveMessageCommand)
      .rejects(new SQSServiceException({ name: "AccessDenied", $fault: "client", message: "no", $metadata: {} }));
    const queue = new SqsSpotEventQueue(new SQSClient({ region: "us-east-2" }), QUEUE);
    const e = await queue.receive({ maxMessages: 10, waitSeconds: 0 }).catch((x) => x);
    expect(isCodedError(e, "aws_access_denied")).toBe(true);
    sqs
      .on(DeleteMessageBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: "0", SenderFault: false, Code: "x", Message: "gone" }] });
    await expect(queue.ack(["h1"])).rejects.toThrow(/1 message\(s\) not deleted \(gone\)/);
  });
});
