/**
 * The hindsight optimum: minimum total cost schedule over hours × (candidate pools + on-demand), with the
 * switch cost, by dynamic programming. O(hours × states) per instance: a state is entered either by
 * staying or by switching from the cheapest state of the previous hour. Ties prefer staying, then fewer
 * switches, so the oracle never moves for nothing.
 */
import type { BacktestPolicy } from "./baselines.js";
import type { BacktestInstance } from "./fleet.js";
import { hourCost, ON_DEMAND, type Schedule, type SimContext, SWITCH_OD_HOURS } from "./model.js";

export function oracleSchedule(ctx: SimContext, inst: BacktestInstance): Schedule {
  const hours = ctx.grid.hours;
  const states = [...inst.candidates, ON_DEMAND];
  const n = states.length;
  const sw = inst.odPrice * SWITCH_OD_HOURS;
  let dp = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  let dpSw = new Int32Array(n);
  let next = new Float64Array(n);
  let nextSw = new Int32Array(n);
  const from = new Int32Array(hours * n);
  const s0 = states.indexOf(inst.startPool);
  if (s0 < 0) throw new Error(`start pool of ${inst.instanceId} is not among its candidates`);
  dp[s0] = 0;
  for (let h = 0; h < hours; h++) {
    let m = -1;
    for (let j = 0; j < n; j++) {
      if (dp[j] === Number.POSITIVE_INFINITY) continue;
      if (m < 0 || dp[j] < dp[m] || (dp[j] === dp[m] && dpSw[j] < dpSw[m])) m = j;
    }
    for (let j = 0; j < n; j++) {
      const c = hourCost(ctx, inst, states[j], h);
      if (Number.isNaN(c)) {
        next[j] = Number.POSITIVE_INFINITY;
        from[h * n + j] = -1;
        continue;
      }
      const stay = dp[j];
      const move = dp[m] + sw;
      if (stay < move || (stay === move && dpSw[j] <= dpSw[m] + 1)) {
        next[j] = stay + c;
        nextSw[j] = dpSw[j];
        from[h * n + j] = j;
      } else {
        next[j] = move + c;
        nextSw[j] = dpSw[m] + 1;
        from[h * n + j] = m;
      }
    }
    [dp, next] = [next, dp];
    [dpSw, nextSw] = [nextSw, dpSw];
  }
  let end = -1;
  for (let j = 0; j < n; j++) {
    if (dp[j] === Number.POSITIVE_INFINITY) continue;
    if (end < 0 || dp[j] < dp[end] || (dp[j] === dp[end] && dpSw[j] < dpSw[end])) end = j;
  }
  const choice = new Int32Array(hours);
  for (let h = hours - 1, j = end; h >= 0; h--) {
    choice[h] = states[j];
    j = from[h * n + j];
  }
  return { initial: inst.startPool, choice };
}

export const oraclePolicy: BacktestPolicy = {
  name: "oracle",
  run: async (ctx) => ctx.instances.map((inst) => oracleSchedule(ctx, inst)),
};
