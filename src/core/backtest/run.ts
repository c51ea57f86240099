/**
 * Runs a backtest: builds the grid and the fleet, replays every requested policy, and reports each one
 * against stay, on-demand and the oracle (always computed, whether requested or not).
 */
import { CodedError } from "../errors.js";
import type { AdvisorTable, Catalog, OnDemandTable } from "../market/tables.js";
import { DEFAULT_POLICY_SETTINGS, type PolicySettings } from "../policy/settings.js";
import type { ModelRunner } from "../ports/model-runner.js";
import type { PriceRecord } from "../types.js";
import {
  autoSpottingPolicy,
  type BacktestPolicy,
  greedyPolicy,
  karpenterPolicy,
  onDemandPolicy,
  stayPolicy,
} from "./baselines.js";
import { buildFleet, defaultFleet, type FleetSpec, type SkippedInstance } from "./fleet.js";
import { buildPriceGrid } from "./grid.js";
import type { LaunchStats } from "./launch.js";
import { type Schedule, scheduleCost, simContext } from "./model.js";
import { oraclePolicy } from "./oracle.js";
import { advisorRiskScorer, type RiskScorer } from "./risk.js";
import { type SpotwiseRun, spotwisePolicy } from "./spotwise.js";

export const POLICY_NAMES = ["stay", "ondemand", "greedy", "autospotting", "karpenter", "spotwise", "oracle"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface BacktestInput {
  prices: readonly PriceRecord[];
  initial?: readonly PriceRecord[];
  onDemand: OnDemandTable;
  advisor: AdvisorTable;
  catalog: Catalog;
  fleet?: readonly FleetSpec[];
  policies?: readonly PolicyName[];
  /** Settings of the spotwise policy (default: the PolicyConfig defaults). */
  settings?: PolicySettings;
  /** Prior risk of the spotwise policy (default: the advisor-bucket heuristic on `advisor`). */
  riskScorer?: RiskScorer;
  /**
   * "spotwise" (default): the daemon's risk, the prior updated with the replay's own launches; "advisor": the
   * prior alone (the charge of issue 5, for comparison).
   */
  risk?: RiskMode;
  /**
   * The daemon's model (the shipped models/default.onnx from the CLI), injected through the core port: with
   * `risk` "spotwise" it scores the pools the replay launched into for P(launch finds no capacity) and the policy
   * vetoes targets above `maxLaunchFailure`, as the daemon does. Absent: no veto (nothing to score it with).
   */
  launchModel?: ModelRunner;
}

export const RISK_MODES = ["spotwise", "advisor"] as const;
export type RiskMode = (typeof RISK_MODES)[number];

export interface PolicyResult {
  policy: PolicyName;
  total_cost_usd: number;
  savings_vs_ondemand_pct: number;
  savings_vs_stay_pct: number;
  oracle_capture_pct: number;
  switches: number;
  switches_per_instance_week: number;
}

export interface BacktestReport {
  hours: number;
  instances: number;
  results: PolicyResult[];
  /** Not in --json: context for humans and tests. */
  detail: {
    start: string;
    skipped: SkippedInstance[];
    risk: string;
    /** Per policy, cost per instance (fleet order). */
    perInstanceCost: Map<PolicyName, Float64Array>;
    instanceIds: string[];
    spotwiseStrategies: Map<string, number>;
    /** The model's launch-failure veto in the spotwise policy (null: not run, advisor-only or no model). */
    spotwiseLaunch: LaunchStats | null;
  };
}

export async function runBacktest(input: BacktestInput): Promise<BacktestReport> {
  const grid = buildPriceGrid(input.prices, { initial: input.initial });
  const settings = input.settings ?? DEFAULT_POLICY_SETTINGS;
  const specs = input.fleet ?? defaultFleet(grid, input.onDemand);
  const { instances, skipped } = buildFleet(
    specs,
    grid,
    { onDemand: input.onDemand, catalog: input.catalog },
    {
      maxVcpuFactor: settings.maxVcpuFactor,
      allowFamilies: settings.allowFamilies,
      denyFamilies: settings.denyFamilies,
    },
  );
  if (instances.length === 0) {
    throw new CodedError(
      "invalid_input",
      `no instance of the fleet can be replayed (${skipped.length} skipped, first: ${skipped[0]?.reason ?? "empty fleet"})`,
    );
  }
  const ctx = simContext(grid, instances, input.advisor);
  const scorer = input.riskScorer ?? advisorRiskScorer(input.advisor);
  const spotwiseStats: SpotwiseRun = { strategies: new Map<string, number>() };
  const all: Record<PolicyName, BacktestPolicy> = {
    stay: stayPolicy,
    ondemand: onDemandPolicy,
    greedy: greedyPolicy,
    autospotting: autoSpottingPolicy,
    karpenter: karpenterPolicy,
    spotwise: spotwisePolicy(settings, scorer, spotwiseStats, {
      advisor: input.advisor,
      advisorOnly: input.risk === "advisor",
      launch: input.launchModel
        ? {
            runner: input.launchModel,
            records: [...(input.initial ?? []), ...input.prices],
            onDemand: input.onDemand,
            advisor: input.advisor,
          }
        : undefined,
    }),
    oracle: oraclePolicy,
  };
  const requested = input.policies ?? POLICY_NAMES;
  const needed = new Set<PolicyName>(["stay", "ondemand", "oracle", ...requested]);
  const totals = new Map<PolicyName, { cost: number; switches: number; per: Float64Array }>();
  for (const name of POLICY_NAMES) {
    if (!needed.has(name)) continue;
    const schedules: Schedule[] = await all[name].run(ctx);
    const per = new Float64Array(instances.length);
    let cost = 0;
    let switches = 0;
    schedules.forEach((s, i) => {
      const r = scheduleCost(ctx, instances[i], s);
      per[i] = r.cost;
      cost += r.cost;
      switches += r.switches;
    });
    totals.set(name, { cost, switches, per });
  }
  const stay = totals.get("stay")!.cost;
  const od = totals.get("ondemand")!.cost;
  const oracle = totals.get("oracle")!.cost;
  const weeks = grid.hours / 168;
  const round = (v: number, d: number): number => Number(v.toFixed(d));
  const results = requested.map((name): PolicyResult => {
    const t = totals.get(name)!;
    return {
      policy: name,
      total_cost_usd: round(t.cost, 2),
      savings_vs_ondemand_pct: round(((od - t.cost) / od) * 100, 2),
      savings_vs_stay_pct: round(((stay - t.cost) / stay) * 100, 2),
      oracle_capture_pct: stay - oracle > 0 ? round(((stay - t.cost) / (stay - oracle)) * 100, 2) : 100,
      switches: t.switches,
      switches_per_instance_week: round(t.switches / instances.length / weeks, 4),
    };
  });
  return {
    hours: grid.hours,
    instances: instances.length,
    results,
    detail: {
      start: new Date(grid.start).toISOString(),
      skipped,
      risk:
        input.risk === "advisor"
          ? `${scorer.description} (--risk advisor: no observations)`
          : `${scorer.description}, updated with the replay's own launches as the daemon does (--risk spotwise)` +
            (spotwiseStats.launch
              ? `; model ${spotwiseStats.launch.model} scored P(launch finds no capacity) for ${spotwiseStats.launch.scored} observed pool-hours` +
                ` (${spotwiseStats.launch.outOfRange} outside its training ranges, not scored), ${spotwiseStats.launch.vetoed} target-hours vetoed above ${settings.maxLaunchFailure}`
              : input.launchModel
                ? `; model ${input.launchModel.name} vetoes launches above ${settings.maxLaunchFailure}`
                : "; no model: launch failure not vetoed"),
      perInstanceCost: new Map([...totals].map(([k, v]) => [k, v.per])),
      instanceIds: instances.map((i) => i.instanceId),
      spotwiseStrategies: spotwiseStats.strategies,
      spotwiseLaunch: spotwiseStats.launch ?? null,
    },
  };
}
