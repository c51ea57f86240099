/**
 * Intake of EventBridge spot events (interruption warnings, rebalance recommendations) delivered through a
 * queue. A message is acknowledged only after its event is stored (or it proved useless: unparsable, or an
 * instance spotwise does not manage), so a crash or a store outage loses nothing: the queue redelivers.
 */
import { errorMessage } from "../errors.js";
import type { MarketStore } from "../ports/market-store.js";
import type { PoolKey } from "../types.js";
import { recordSpotEvents } from "./capacity-events.js";
import type { MarketLogger } from "./log.js";

export interface QueueMessage {
  /** Opaque handle for `ack` (the SQS receipt handle). */
  handle: string;
  body: string;
}

/** The narrow queue port (SQS in production). */
export interface SpotEventQueue {
  receive(input: { maxMessages: number; waitSeconds: number }): Promise<QueueMessage[]>;
  ack(handles: string[]): Promise<void>;
}

export interface DrainResult {
  received: number;
  recorded: number;
  skipped: number;
  batches: number;
  error?: string;
}

/** Drains up to `maxBatches` batches (stops early on an empty receive); never throws. */
export async function drainSpotEvents(
  deps: { queue: SpotEventQueue; store: MarketStore; log: MarketLogger },
  resolve: (accountId: string, instanceId: string) => Promise<PoolKey | undefined>,
  options: { maxBatches?: number; waitSeconds?: number } = {},
): Promise<DrainResult> {
  const result: DrainResult = { received: 0, recorded: 0, skipped: 0, batches: 0 };
  const maxBatches = options.maxBatches ?? 10;
  try {
    for (let i = 0; i < maxBatches; i++) {
      const messages = await deps.queue.receive({ maxMessages: 10, waitSeconds: options.waitSeconds ?? 0 });
      if (messages.length === 0) break;
      result.batches++;
      result.received += messages.length;
      const r = await recordSpotEvents(
        { store: deps.store, log: deps.log },
        messages.map((m) => m.body),
        resolve,
      );
      result.recorded += r.recorded;
      result.skipped += r.unknownInstance + r.unparsable;
      await deps.queue.ack(messages.map((m) => m.handle));
    }
  } catch (e) {
    result.error = errorMessage(e);
    deps.log.warn({ ...result }, "spot event intake stopped; unacknowledged messages will be redelivered");
  }
  return result;
}
