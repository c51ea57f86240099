/**
 * The safety checklist that must be green before approve mode is turned on from Slack: a shadow period
 * (default 7 days) with recommendations and their counterfactuals, a daily switch budget, the channel
 * receiving announcements (breakers, failed switches), and every circuit breaker closed.
 */
import type { EpochMs } from "../types.js";
import type { BreakerView } from "./service.js";

export const DEFAULT_SHADOW_DAYS = 7;
const DAY = 86_400_000;

export type ChecklistKey = "shadow_period" | "budget" | "channel" | "breakers";

export interface ChecklistItem {
  key: ChecklistKey;
  ok: boolean;
  /** What holds, or what is missing, in words. */
  text: string;
  /** How to make it green (absent when it is). */
  fix?: string;
}

/** What the shadow period produced (read from the decision and recommendation tables). */
export interface ShadowHistory {
  /** The first decision spotwise recorded (in any mode), or null. */
  firstDecisionAt: EpochMs | null;
  /** Recommendations made in shadow mode since `since`. */
  recommendations: number;
  /** Shadow SWITCH decisions since `since` whose counterfactual saving has been labelled. */
  counterfactuals: number;
}

export interface ShadowHistorySource {
  shadowHistory(since: EpochMs): Promise<ShadowHistory>;
}

/** Whether the channel got the last announcement (recorded by the announcer). */
export interface ChannelHealth {
  ok: boolean;
  at: EpochMs;
  error?: string;
}

export interface ChecklistInput {
  now: EpochMs;
  shadowDays: number;
  history: ShadowHistory;
  dailyBudget: number;
  /** SLACK_CHANNEL, when set. */
  channel: string | null;
  channelHealth: ChannelHealth | null;
  breakers: BreakerView[];
}

export function evaluateChecklist(i: ChecklistInput): ChecklistItem[] {
  const since = i.now - i.shadowDays * DAY;
  const days = i.history.firstDecisionAt === null ? 0 : (i.now - i.history.firstDecisionAt) / DAY;
  const longEnough = i.history.firstDecisionAt !== null && i.history.firstDecisionAt <= since;
  const shadowOk = longEnough && i.history.recommendations > 0 && i.history.counterfactuals > 0;
  const open = i.breakers.filter((b) => b.state !== "closed");
  return [
    {
      key: "shadow_period",
      ok: shadowOk,
      text: `shadow period: ${days.toFixed(1)} of ${i.shadowDays} days, ${i.history.recommendations} recommendation(s), ${i.history.counterfactuals} counterfactual(s)`,
      fix: shadowOk
        ? undefined
        : !longEnough
          ? `keep spotwise in shadow mode until ${new Date((i.history.firstDecisionAt ?? i.now) + i.shadowDays * DAY).toISOString().slice(0, 10)} (switch.shadowPeriodDays sets the period)`
          : "wait for recommendations and their labelled counterfactuals (the label job runs hourly)",
    },
    {
      key: "budget",
      ok: i.dailyBudget > 0,
      text: `daily switch budget: ${i.dailyBudget}`,
      fix: i.dailyBudget > 0 ? undefined : "set switch.dailyBudget (for example 5) in the SPOTWISE_CONFIG file",
    },
    channelItem(i),
    {
      key: "breakers",
      ok: open.length === 0,
      text:
        open.length === 0
          ? "circuit breakers: all closed"
          : `circuit breakers: ${open.map((b) => `${b.accountId} ${b.state}`).join(", ")}`,
      fix:
        open.length === 0
          ? undefined
          : `fix the cause, then \`/spot breaker reset ${open[0].accountId}\` (${open.length > 1 ? "for each account" : "an admin"})`,
    },
  ];
}

function channelItem(i: ChecklistInput): ChecklistItem {
  if (!i.channel) {
    return {
      key: "channel",
      ok: false,
      text: "announcements channel: not set",
      fix: "set SLACK_CHANNEL to the channel id (C…) for recommendations and announcements",
    };
  }
  if (!i.channelHealth) {
    return {
      key: "channel",
      ok: false,
      text: `announcements channel ${i.channel}: nothing announced there yet`,
      fix: "invite the bot to the channel (/invite @spotwise) and announce a change there, for example `/spot resume`",
    };
  }
  if (!i.channelHealth.ok) {
    return {
      key: "channel",
      ok: false,
      text: `announcements channel ${i.channel}: the last announcement failed (${i.channelHealth.error ?? "unknown error"})`,
      fix: "invite the bot to the channel (/invite @spotwise), then announce a change there, for example `/spot resume`",
    };
  }
  return { key: "channel", ok: true, text: `announcements channel ${i.channel}: receiving` };
}

/** The checklist as lines for Slack (":white_check_mark:" / ":x:" with the fix). */
export function checklistLines(items: ChecklistItem[]): string[] {
  return items.map((c) => (c.ok ? `:white_check_mark: ${c.text}` : `:x: ${c.text}: ${c.fix ?? "not met"}`));
}
