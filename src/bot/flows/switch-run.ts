/**
 * An approved switch as the channel sees it, whoever approved it (a click, `spotwise replay --approve all`):
 * its steps on the one recommendation message (coalesced) and at most three thread replies (started, rolling
 * back, the end with its reason), then the outcome recorded. Everything goes through the Notifier port.
 */
import { asCodedError } from "../../core/errors.js";
import type { MessageRef, Notifier } from "../../core/ports/notifier.js";
import type { RecommendationRecord } from "../../core/recommendations/types.js";
import type { RecommendationOps, StartSwitch, SwitchOutcome, SwitchProgress } from "../services.js";
import { ProgressCoalescer } from "./progress.js";

export interface SwitchRunDeps {
  recommendations: Pick<RecommendationOps, "markExecuting" | "finish" | "toMessage">;
  startSwitch: StartSwitch;
  notifier: Pick<Notifier, "update" | "progress">;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** Shortest spacing of two step updates of the message (default 5 s). */
  progressIntervalMs?: number;
  /** Most step updates besides the first and the last (default 6). */
  maxProgressUpdates?: number;
}

/**
 * Runs the approved recommendation's switch. Null when another runner already took it (approved → executing
 * is a compare-and-set); a switch that could not start is recorded and returned as failed.
 */
export async function runApprovedSwitch(
  deps: SwitchRunDeps,
  rec: RecommendationRecord,
  approver: string,
  ref: MessageRef,
): Promise<SwitchOutcome | null> {
  const msg = deps.recommendations.toMessage(rec);
  const approvedBy = `:white_check_mark: Approved by ${people(rec.resolvedBy ?? approver)}`;
  // Slack being unreachable must never stop or orphan a switch: these only log.
  const say = (text: string) =>
    deps.notifier
      .progress(ref, text)
      .catch((err) => deps.log.warn({ err, recommendationId: rec.id }, "thread reply failed"));
  const show = (status: string) =>
    deps.notifier.update(ref, msg, { status: `${approvedBy} · ${status}` }).catch((err) => {
      deps.log.warn({ err, recommendationId: rec.id }, "message update failed");
    });
  if (!(await deps.recommendations.markExecuting(rec.id))) {
    deps.log.info({ recommendationId: rec.id }, "switch already running elsewhere");
    return null;
  }
  await show("switching…");
  await say(`:arrow_forward: Switch of \`${rec.instanceId}\` started (approved by ${people(approver)}).`);
  const steps = new ProgressCoalescer({
    flush: (text) => show(text),
    intervalMs: deps.progressIntervalMs,
    maxUpdates: deps.maxProgressUpdates,
  });
  let rollingBack = false;
  let outcome: SwitchOutcome;
  try {
    outcome = await deps.startSwitch(rec.id, approver, async (p: SwitchProgress) => {
      steps.push(`switching… ${progressLine(p)}`);
      if (!rollingBack && /roll/i.test(p.step) && p.status === "started") {
        rollingBack = true;
        await say(`:warning: Rolling back${p.detail ? `: ${p.detail}` : ""}.`);
      }
    });
  } catch (e) {
    await steps.close();
    const err = asCodedError(e);
    deps.log.warn({ err, recommendationId: rec.id }, "switch not run");
    await deps.recommendations.finish(rec.id, "failed", { error: err.message, code: err.code });
    await say(`:no_entry: Switch not run: ${err.message}`);
    await show(`:no_entry: not run: ${err.message}`);
    return { status: "failed", reason: err.message };
  }
  await steps.close();
  await deps.recommendations.finish(rec.id, outcome.status, { ...outcome });
  const end =
    outcome.status === "done"
      ? `:tada: Done: \`${rec.instanceId}\` replaced by \`${outcome.newInstanceId ?? "?"}\`.`
      : outcome.status === "rolled_back"
        ? `:leftwards_arrow_with_hook: Rolled back: ${outcome.reason ?? "no reason given"}. The original instance keeps running.`
        : `:x: Failed: ${outcome.reason ?? "no reason given"}.`;
  await say(end);
  await show(end);
  return outcome;
}

/** "<@U1> and <@U2>" from a comma-separated list of approvers (ids that are not Slack users as they are). */
export function people(csv: string | null): string {
  if (!csv) return "someone";
  return csv
    .split(",")
    .map((u) => (/^[UW][A-Z0-9]+$/.test(u) ? `<@${u}>` : u))
    .join(" and ");
}

const STEP_ICON: Record<SwitchProgress["status"], string> = {
  started: ":arrows_counterclockwise:",
  ok: ":white_check_mark:",
  failed: ":x:",
  skipped: ":fast_forward:",
  info: ":information_source:",
};

export function progressLine(p: SwitchProgress): string {
  return `${STEP_ICON[p.status]} ${p.step}: ${p.status}${p.detail ? ` · ${p.detail}` : ""}`;
}
