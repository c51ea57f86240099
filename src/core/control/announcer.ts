/**
 * Global changes told to the channel, with who did them: pause, resume, mode, breaker opened or reset
 * (model promotions and rollbacks are announced by the registry). A pause, resume or mode change also re-renders the open recommendations
 * (no Approve button while switching is off). Whether the channel got the last announcement is recorded
 * for the safety checklist. Announcing never fails the change itself.
 */
import type { Notifier } from "../ports/notifier.js";
import type { RecommendationPublisher } from "../recommendations/publisher.js";
import type { ChannelHealth } from "./checklist.js";
import type { ControlEvent, ControlService, SwitchingState } from "./service.js";

/** The little logging the announcer does (pino satisfies it). */
export interface AnnouncerLog {
  warn(obj: object, msg: string): void;
}

/** "slack:U123" → "<@U123>"; "cli:alice" → "alice (CLI)"; "daemon" → "spotwise". */
export function actorText(actor: string): string {
  const slack = /^slack:([UW][A-Z0-9]+)$/.exec(actor);
  if (slack) return `<@${slack[1]}>`;
  if (actor.startsWith("cli:")) return `${actor.slice(4)} (CLI)`;
  if (actor === "daemon") return "spotwise";
  return actor;
}

/** Why switching is off now and the command that turns it on; null when it is on. */
export function switchingOffLine(s: SwitchingState): string | null {
  if (s.paused) {
    return `:double_vertical_bar: Switching is paused${s.pausedBy ? ` by ${actorText(s.pausedBy)}` : ""}${s.pausedReason ? ` (${s.pausedReason})` : ""}: Approve is off until an admin runs \`/spot resume\`.`;
  }
  if (s.mode === "shadow") {
    return ":ghost: Shadow mode: Approve is off until an admin runs `/spot mode approve`.";
  }
  return null;
}

export function controlEventText(e: ControlEvent): string {
  switch (e.kind) {
    case "paused":
      return `:double_vertical_bar: ${actorText(e.actor)} *paused* switching${e.reason ? `: ${e.reason}` : ""}. No switch starts until an admin runs \`/spot resume\`.`;
    case "resumed":
      return `:arrow_forward: ${actorText(e.actor)} *resumed* switching.`;
    case "mode":
      return e.mode === "approve"
        ? `:white_check_mark: ${actorText(e.actor)} turned on *approve mode*: approved recommendations are executed.`
        : `:ghost: ${actorText(e.actor)} turned on *shadow mode*: spotwise only recommends; nothing is switched.`;
    case "breaker_opened":
      return `:rotating_light: The circuit breaker of account ${e.accountId} *opened* after ${e.failures} failed switches (last: ${e.error.slice(0, 300)}). No switch runs there until it half-opens or an admin runs \`/spot breaker reset ${e.accountId}\`.`;
    case "breaker_reset":
      return `:wrench: ${actorText(e.actor)} reset the circuit breaker of account ${e.accountId}.`;
  }
}

export class Announcer {
  constructor(
    private readonly deps: {
      notifier: Notifier;
      control: ControlService;
      /** Re-renders open recommendation messages after a pause, resume or mode change. */
      publisher?: Pick<RecommendationPublisher, "refreshOpen">;
      log: AnnouncerLog;
    },
  ) {}

  /** Subscribes to the control service's changes. */
  attach(): this {
    this.deps.control.subscribe((e) => this.control(e));
    return this;
  }

  async control(e: ControlEvent): Promise<void> {
    await this.say(controlEventText(e));
    if (e.kind === "paused" || e.kind === "resumed" || e.kind === "mode") {
      const mode = (await this.deps.control.mode()).mode;
      await this.deps.publisher?.refreshOpen(mode).catch((err: unknown) => {
        this.deps.log.warn({ err }, "open recommendations not refreshed after a control change");
      });
    }
  }

  /** Whether the last announcement reached the channel (for the safety checklist). */
  async channelHealth(): Promise<ChannelHealth | null> {
    return this.deps.control.channelHealth();
  }

  private async say(text: string): Promise<void> {
    try {
      await this.deps.notifier.announce(text);
      await this.deps.control.recordChannelHealth({ ok: true });
    } catch (e) {
      this.deps.log.warn({ err: e }, "announcement failed");
      await this.deps.control
        .recordChannelHealth({ ok: false, error: (e as Error).message })
        .catch((err: unknown) => this.deps.log.warn({ err }, "channel health not recorded"));
    }
  }
}
