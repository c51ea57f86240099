/**
 * The spotwise policy in the replay: every hour, every instance in fleet order goes through `decide()`,
 * the very function the daemon calls, with the risks of the injected RiskScorer. Switches of the same
 * hour count against the fleet disruption budget (a switch completes within the hour).
 */
import { decide } from "../policy/policy.js";
import type { PolicySettings } from "../policy/settings.js";
import type { CandidateQuote, PolicyInput } from "../policy/types.js";
import type { ManagedInstance } from "../types.js";
import { poolId } from "../types.js";
import type { BacktestPolicy } from "./baselines.js";
import { HOUR_MS } from "./grid.js";
import { ON_DEMAND, type Schedule } from "./model.js";
import type { RiskScorer } from "./risk.js";

const WEEK_MS = 7 * 24 * HOUR_MS;

export interface SpotwiseRun {
  /** Decisions per strategy that fired, for the report. */
  strategies: Map<string, number>;
}

export function spotwisePolicy(settings: PolicySettings, scorer: RiskScorer, stats?: SpotwiseRun): BacktestPolicy {
  return {
    name: "spotwise",
    async run(ctx) {
      const { grid, instances } = ctx;
      const { price, hours } = grid;
      const { risk, confidence } = await scorer.score(grid);
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
        const current = { price: Number.NaN, risk: Number.NaN, confidence: null as number | null };
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
          for (let k = 0; k < s.quotes.length; k++) {
            const at = inst.candidates[k] * hours + h;
            const q = s.quotes[k];
            q.price = price[at];
            q.risk = risk[at];
            q.confidence = confidence ? confidence[at] : null;
          }
          if (s.cur !== ON_DEMAND) {
            const at = s.cur * hours + h;
            s.current.price = price[at];
            s.current.risk = risk[at];
            s.current.confidence = confidence ? confidence[at] : null;
          }
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
            input.instance = {
              ...input.instance,
              lifecycle: next === ON_DEMAND ? "on-demand" : "spot",
              ...(next === ON_DEMAND ? {} : { az: grid.pools[next].az, instanceType: grid.pools[next].instanceType }),
            };
          }
          choices[i][h] = s.cur;
        }
      }
      return states.map((s, i): Schedule => ({ initial: s.inst.startPool, choice: choices[i] }));
    },
  };
}
