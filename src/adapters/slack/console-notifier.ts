/**
 * The embedded default when no Slack token is set: the same messages as Slack, rendered as readable text
 * on stdout (or any writer). Message refs are "console" plus a counter so thread replies stay attributable.
 */
import { digestMessage } from "../../bot/views/digest.js";
import { readablePools } from "../../bot/views/format.js";
import { recommendationMessage } from "../../bot/views/recommendation.js";
import { messageToText } from "../../bot/views/text.js";
import type {
  DigestReport,
  MessageRef,
  Notifier,
  RecommendationMessage,
  RecommendationView,
} from "../../core/ports/notifier.js";

export interface ConsoleNotifierOptions {
  /** Where text goes (default: process.stdout). */
  write?: (text: string) => void;
}

const BARS = "▁▂▃▄▅▆▇█";

/** One character per day: a text chart of a series. */
export function sparkline(values: number[]): string {
  const max = Math.max(0, ...values);
  if (max === 0) return "▁".repeat(values.length);
  return values.map((v) => BARS[Math.min(7, Math.max(0, Math.round((Math.max(0, v) / max) * 7)))]).join("");
}

export class ConsoleNotifier implements Notifier {
  private readonly write: (text: string) => void;
  private seq = 0;

  constructor(opts: ConsoleNotifierOptions = {}) {
    this.write = opts.write ?? ((t) => process.stdout.write(`${t}\n`));
  }

  async recommend(rec: RecommendationMessage, view: RecommendationView = {}): Promise<MessageRef> {
    const ref = { channel: "console", ts: String(++this.seq) };
    this.write(`[spotwise #${ref.ts}] ${messageToText(recommendationMessage(rec, view))}`);
    return ref;
  }

  async progress(ref: MessageRef, text: string): Promise<void> {
    this.write(`[spotwise #${ref.ts} ↳] ${readablePools(text)}`);
  }

  async update(ref: MessageRef, rec: RecommendationMessage, state: RecommendationView = {}): Promise<void> {
    this.write(`[spotwise #${ref.ts} updated] ${messageToText(recommendationMessage(rec, state))}`);
  }

  async announce(text: string): Promise<void> {
    this.write(`[spotwise] ${text}`);
  }

  async resolve(ref: MessageRef, rec: RecommendationMessage, status: string): Promise<void> {
    const m = recommendationMessage(rec, { status });
    this.write(`[spotwise #${ref.ts} updated] ${messageToText(m)}`);
  }

  async digest(d: DigestReport): Promise<void> {
    const chart = [
      `realized       ${sparkline(d.series.map((p) => p.realized))}`,
      `counterfactual ${sparkline(d.series.map((p) => p.counterfactual))}`,
    ].join("\n");
    this.write(
      `[spotwise digest] ${messageToText(digestMessage(d))}\nSavings, last ${d.series.length} days:\n${chart}`,
    );
  }

  async alert(text: string): Promise<void> {
    this.write(`[spotwise ALERT] ${text}`);
  }
}
