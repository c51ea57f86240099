/**
 * App Home: the status (every component, mode, kill switch, and what follows it such as the safety checklist),
 * the open recommendations and the last switches. Rebuilt and published on every app_home_opened.
 */
import type { KnownBlock } from "@slack/types";
import type { RecommendationRecord } from "../../core/recommendations/types.js";
import type { ComponentStatus, ControlState, SwitchSummary } from "../services.js";
import { clip, esc, isoMinute, moveName } from "./format.js";
import { LIMITS } from "./limits.js";
import { recommendationListMessage } from "./recommendation-list.js";
import { statusMessage } from "./status.js";

/** Slack's limit for a Home tab view. */
export const HOME_MAX_BLOCKS = 100;

export interface HomeInput {
  components: ComponentStatus[];
  control: ControlState;
  recommendations: RecommendationRecord[];
  switches: SwitchSummary[] | null;
  now: number;
  /** Blocks after the status (the safety checklist). */
  statusExtra?: KnownBlock[];
}

const STATE_WORDS: Record<string, string> = {
  done: ":white_check_mark: done",
  rolled_back: ":leftwards_arrow_with_hook: rolled back",
  failed: ":x: failed",
  refused: ":no_entry: refused",
};

export function switchLine(s: SwitchSummary): string {
  const state = STATE_WORDS[s.state] ?? `:hourglass_flowing_sand: ${s.state.replaceAll("_", " ")}`;
  const when = isoMinute(s.finishedAt ?? s.startedAt);
  const result = s.newInstanceId && s.state === "done" ? ` → \`${s.newInstanceId}\`` : "";
  const why = s.error && s.state !== "done" ? ` · ${esc(clip(s.error, 200))}` : "";
  return `• \`${s.instanceId}\`${result} ${moveName(s.from, s.to)} · ${state} · ${when} · by ${esc(s.requestedBy)}${why}`;
}

export function homeView(h: HomeInput): { type: "home"; blocks: KnownBlock[] } {
  const header = (text: string): KnownBlock => ({ type: "header", text: { type: "plain_text", text } });
  const section = (text: string): KnownBlock => ({
    type: "section",
    text: { type: "mrkdwn", text: clip(text, LIMITS.sectionText) },
  });
  const status = statusMessage(h.components, h.control, h.now, h.statusExtra ?? []).blocks;
  const recs = recommendationListMessage(h.recommendations).blocks;
  const switches =
    h.switches === null
      ? [section("Switch history is not available in this process.")]
      : h.switches.length === 0
        ? [section("No switches yet.")]
        : [section(h.switches.map(switchLine).join("\n"))];
  const blocks: KnownBlock[] = [
    header("Status"),
    ...status,
    { type: "divider" },
    header("Open recommendations"),
    ...recs,
    { type: "divider" },
    header("Last switches"),
    ...switches,
    {
      type: "context",
      elements: [
        { type: "mrkdwn", text: `Updated ${isoMinute(h.now)} · \`/spot help\` or DM me \`help\` for commands` },
      ],
    },
  ];
  return { type: "home", blocks: blocks.slice(0, HOME_MAX_BLOCKS) };
}
