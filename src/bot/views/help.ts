/** `/spot help`: every subcommand in one message. */
import type { RenderedMessage } from "./recommendation.js";

export const HELP_LINES: ReadonlyArray<[string, string]> = [
  ["/spot help", "this list"],
  ["/spot status", "each component's state and last good time, the mode and the kill switch"],
  ["/spot recommendations", "open SWITCH recommendations"],
  ["/spot models [list]", "the model registry"],
  ["/spot models show NAME", "one model: status, contract, metrics"],
  ["/spot models promote NAME", "make NAME the champion if the promotion gate passes (approvers)"],
  ["/spot models promote NAME --force REASON", "override the promotion gate (admins; audited, announced)"],
  ["/spot models reject NAME [reason]", "reject a candidate (approvers)"],
  ["/spot models rollback", "back to the previous champion (approvers)"],
  ["/spot models upload URL", "add an ONNX model from a Slack file URL as a candidate (approvers)"],
  ["/spot experiments [report]", "champion vs candidates: AUC, Brier, n"],
  ["/spot pause [reason]", "kill switch: stop every switch (approvers)"],
  ["/spot resume", "lift the kill switch (approvers)"],
  ["/spot mode shadow|approve", "recommend only, or act on approval (approvers)"],
];

/** Lines that are not a command to type; already in mrkdwn (no code span around the whole line). */
export const HELP_NOTES: readonly string[] = [
  "Upload a model: DM me an `.onnx` file with the comment `upload NAME`.",
  "DM me `help` for this list; the *Home* tab shows status, open recommendations and the last switches.",
];

export function helpMessage(prefix?: string): RenderedMessage {
  const lines = HELP_LINES.map(([cmd, what]) => `\`${cmd}\`  ${what}`).join("\n");
  const notes = HELP_NOTES.map((n) => `• ${n}`).join("\n");
  const text = `${prefix ? `${prefix}\n\n` : ""}*spotwise* keeps long-running EC2 instances on the cheapest safe spot capacity.\n${lines}\n${notes}`;
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}
