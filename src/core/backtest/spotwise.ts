/**
 * The spotwise policy in the replay: every hour, every instance in fleet order goes through `decide()`,
 * the very function the daemon calls, with the risks of the injected RiskScorer and each pool's recent
 * mean price over `outlookHours` (from the hourly grid). Switches of the same hour count against the
 * fleet disruption budget (a switch completes within the hour).
 */
import { decide } from "../policy/policy.js";
import type { PolicySettings } from "../policy/settings.js";
import type { CandidateQuote, PolicyInput, PoolQuote } from "../policy/types.js";
import type { ManagedInstance } from "../types.js";
import { poolId } from "../types.js";
import type { BacktestPolicy } from "./baselines.js";
import { HOUR_MS, type PriceGrid } from "./grid.js";
import { ON_DEMAND, type Schedule } from "./model.js";
import type { RiskScorer } from "./risk.js";

const WEEK_MS = 7 * 24 * HOUR_MS;

export interface SpotwiseRun {
  /** Decisions per strategy that fired, for the report. */
  strategies: Map<string, number>;
}

/** Mean of the known hourly prices of a pool over the last `lookback` hours, via prefix sums. */
export function recentMeans(grid: PriceGrid, lookback: number): (pool: number, hour: number) => number {
  const { price, hours } = grid;
  const stride = hours + 1;
  const sum = new Float64Array(grid.pools.length * stride);
  const cnt = new Int32Array(grid.pools.length * stride);
  for (let p = 0; p < grid.pools.length; p++) {
    for (let h = 0; h < hours; h++) {
      const v = price[p * hours + h];
      const known = !Number.isNaN(v);
      sum[p * stride + h + 1] = sum[p * stride + h] + (known ? v : 0);
      cnt[p * stride + h + 1] = cnt[p * stride + h] + (known ? 1 : 0);
    }
  }
  const span = Math.max(1, Math.round(lookback));
  return (p, h) => {
    const a = p * stride + Math.max(0, h + 1 - span);
    const b = p * stride + h + 1;
    const n = cnt[b] - cnt[a];
    return n > 0 ? (sum[b] - sum[a]) / n : Number.NaN;
  };
}

export function spotwisePolicy(settings: PolicySettings, scorer: RiskScorer, stats?: SpotwiseRun): BacktestPolicy {
  return {
    name: "spotwise",
    async run(ctx) {
      const { grid, instances } = ctx;
      const { price, hours } = grid;
      const { risk, confidence } = await scorer.score(grid);
      const meanOf = recentMeans(grid, settings.outlookHours);
      const fill = (q: PoolQuote, p: number, h: number): void => {
        const at = p * hours + h;
        q.price = price[at];
        q.recentMean = meanOf(p, h);
        q.risk = risk[at];
        q.confidence = confidence ? confidence[at] : null;
      };
      const states = instances.map((inst) => {
        const instance: ManagedInstance = {
          instanceId: inst.instanceId,
          accountId: "backtest",
          region: inst.region,
          az: inst.az,
          instanceType: inst.instanceType,
          lifecycle: "spot",
          azFlexible: true,
          tags: {},
        };
        const quotes: CandidateQuote[] = Array.from(inst.candidates, (p) => ({
          pool: grid.pools[p],
          id: grid.ids[p],
          price: Number.NaN,
          risk: Number.NaN,
          confidence: null,
        }));
        const current: PoolQuote = { price: Number.NaN, risk: Number.NaN, confidence: null };
        const input: PolicyInput = {
          instance,
          now: 0,
          history: { lastSwitchAt: null, switchesPastWeek: 0 },
          current,
          candidates: quotes,
          onDemandPrice: inst.odPrice,
          fleet: { switchingNow: 0, fleetSize: instances.length },
          config: settings,
          model: scorer.model,
        };
        return { inst, input, current, quotes, cur: inst.startPool, switchTimes: [] as number[] };
      });
      const choices = instances.map(() => new Int32Array(hours));
      for (let h = 0; h < hours; h++) {
        const now = grid.start + h * HOUR_MS;
        let switching = 0;
        for (let i = 0; i < states.length; i++) {
          const s = states[i];
          const { input, inst } = s;
          for (let k = 0; k < s.quotes.length; k++) fill(s.quotes[k], inst.candidates[k], h);
          if (s.cur !== ON_DEMAND) fill(s.current, s.cur, h);
          while (s.switchTimes.length > 0 && s.switchTimes[0] <= now - WEEK_MS) s.switchTimes.shift();
          input.now = now;
          input.current = s.cur === ON_DEMAND ? null : s.current;
          input.history = {
            lastSwitchAt: s.switchTimes.length > 0 ? s.switchTimes[s.switchTimes.length - 1] : null,
            switchesPastWeek: s.switchTimes.length,
          };
          input.fleet = { switchingNow: switching, fleetSize: instances.length };
          const d = decide(input);
          if (stats) stats.strategies.set(d.strategy, (stats.strategies.get(d.strategy) ?? 0) + 1);
          let next = s.cur;
          if (d.action === "SWITCH" && d.to) next = grid.index.get(poolId(d.to)) ?? s.cur;
          else if (d.action === "ONDEMAND") next = ON_DEMAND;
          if (next !== s.cur) {
            switching++;
            s.switchTimes.push(now);
            s.cur = next;
            input.instance =
              next === ON_DEMAND
                ? { ...input.instance, lifecycle: "on-demand" }
                : {
                    ...input.instance,
                    lifecycle: "spot",
                    az: grid.pools[next].az,
                    instanceType: grid.pools[next].instanceType,
                  };
          }
          choices[i][h] = s.cur;
        }
      }
      return states.map((s, i): Schedule => ({ initial: s.inst.startPool, choice: choices[i] }));
    },
  };
}
