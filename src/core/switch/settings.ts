/** Switch settings from the validated configuration (switch: section and accounts[].subnets). */
import { DEFAULT_SWITCH_SETTINGS, type SwitchSettings } from "./types.js";

export interface SwitchConfigShape {
  noReboot: boolean;
  imageRetentionHours: number;
  imageDeadlineMinutes: number;
  launchDeadlineMinutes: number;
  healthDeadlineMinutes: number;
  healthCheckUrl?: string;
  pollIntervalSeconds?: number;
}

export function switchSettingsFrom(
  sw: SwitchConfigShape,
  accounts: Array<{ id: string; subnets?: Record<string, string> }> = [],
): SwitchSettings {
  return {
    ...DEFAULT_SWITCH_SETTINGS,
    noReboot: sw.noReboot,
    imageRetentionMs: sw.imageRetentionHours * 3600_000,
    imageDeadlineMs: sw.imageDeadlineMinutes * 60_000,
    launchDeadlineMs: sw.launchDeadlineMinutes * 60_000,
    healthDeadlineMs: sw.healthDeadlineMinutes * 60_000,
    healthCheckUrl: sw.healthCheckUrl,
    pollIntervalMs: (sw.pollIntervalSeconds ?? 15) * 1000,
    subnets: Object.fromEntries(accounts.map((a) => [a.id, a.subnets ?? {}])),
  };
}
