/** The SpotEventQueue port on SQS (@aws-sdk/client-sqs): long-poll receive, batch delete as acknowledgement. */
import {
  DeleteMessageBatchCommand,
  type DeleteMessageBatchCommandOutput,
  ReceiveMessageCommand,
  SQSClient,
  type SQSClientConfig,
} from "@aws-sdk/client-sqs";
import { CodedError } from "../../core/errors.js";
import type { QueueMessage, SpotEventQueue } from "../../core/market/spot-event-intake.js";
import { mapAwsError } from "./errors.js";

/** An SQSClient with adaptive retries; AWS_ENDPOINT_URL_SQS is applied by the SDK itself. */
export function createSqsClient(options: { region: string; credentials?: SQSClientConfig["credentials"] }): SQSClient {
  const config: SQSClientConfig = { region: options.region, retryMode: "adaptive" };
  if (options.credentials) config.credentials = options.credentials;
  return new SQSClient(config);
}

export class SqsSpotEventQueue implements SpotEventQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async receive(input: { maxMessages: number; waitSeconds: number }): Promise<QueueMessage[]> {
    try {
      const out = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.min(10, Math.max(1, input.maxMessages)),
          WaitTimeSeconds: input.waitSeconds,
        }),
      );
      return (out.Messages ?? [])
        .filter((m) => m.ReceiptHandle)
        .map((m) => ({ handle: m.ReceiptHandle ?? "", body: m.Body ?? "" }));
    } catch (e) {
      throw mapAwsError(e, `sqs:ReceiveMessage ${this.queueUrl}`);
    }
  }

  async ack(handles: string[]): Promise<void> {
    for (let i = 0; i < handles.length; i += 10) {
      const batch = handles.slice(i, i + 10);
      let out: DeleteMessageBatchCommandOutput;
      try {
        out = await this.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: batch.map((ReceiptHandle, k) => ({ Id: String(k), ReceiptHandle })),
          }),
        );
      } catch (e) {
        throw mapAwsError(e, `sqs:DeleteMessageBatch ${this.queueUrl}`);
      }
      if (out.Failed?.length) {
        throw new CodedError(
          "aws_error",
          `sqs:DeleteMessageBatch ${this.queueUrl}: ${out.Failed.length} message(s) not deleted (${out.Failed[0].Message ?? "unknown"}); they will be redelivered`,
        );
      }
    }
  }
}
