/**
 * The hindsight optimum: minimum total cost schedule over hours × (candidate pools + on-demand), with the
 * switch cost, by dynamic programming. O(hours × states) per instance: a state is entered either by
 * staying or by switching from the cheapest state of the previous hour. Ties prefer staying, then fewer
 * switches, so the oracle never moves for nothing.
 *
 * Everything runs over typed arrays reused across instances: the hour's prices come from the shared
 * hour-major grid (one contiguous row), each state's interruption charge is computed once, and the path is
 * kept as one byte per state-hour (stayed or moved) plus the hour's cheapest state, since a move always comes
 * from that one: 1/4 of the memory of a predecessor table, nothing allocated per hour.
 */
import type { BacktestPolicy } from "./baselines.js";
import type { BacktestInstance } from "./fleet.js";
import { pricesByHour } from "./grid.js";
import { ON_DEMAND, type Schedule, type SimContext, SWITCH_OD_HOURS } from "./model.js";

const INF = Number.POSITIVE_INFINITY;

/** Buffers of one oracle run, grown to the largest instance and reused. */
export class OracleWorkspace {
  dp = new Float64Array(0);
  next = new Float64Array(0);
  dpSw = new Int32Array(0);
  nextSw = new Int32Array(0);
  risk = new Float64Array(0);
  moved = new Uint8Array(0);
  argmin = new Int32Array(0);

  ensure(n: number, hours: number): void {
    if (this.dp.length < n) {
      this.dp = new Float64Array(n);
      this.next = new Float64Array(n);
      this.dpSw = new Int32Array(n);
      this.nextSw = new Int32Array(n);
      this.risk = new Float64Array(n);
    }
    if (this.moved.length < n * hours) this.moved = new Uint8Array(n * hours);
    if (this.argmin.length < hours) this.argmin = new Int32Array(hours);
  }
}

export function oracleSchedule(ctx: SimContext, inst: BacktestInstance, ws = new OracleWorkspace()): Schedule {
  const hours = ctx.grid.hours;
  const P = ctx.grid.pools.length;
  const byHour = pricesByHour(ctx.grid);
  const cand = inst.candidates;
  const nc = cand.length; // states 0..nc-1 are the candidates, state nc is on-demand
  const n = nc + 1;
  const od = inst.odPrice;
  const sw = od * SWITCH_OD_HOURS;
  ws.ensure(n, hours);
  let { dp, next, dpSw, nextSw } = ws;
  const { risk, moved, argmin } = ws;
  for (let j = 0; j < nc; j++) risk[j] = ctx.riskCostFactor[cand[j]] * od;
  let s0 = -1;
  for (let j = 0; j < nc; j++) if (cand[j] === inst.startPool) s0 = j;
  if (inst.startPool === ON_DEMAND) s0 = nc;
  if (s0 < 0) throw new Error(`start pool of ${inst.instanceId} is not among its candidates`);
  // a move is marked as it is made: every other state-hour stayed (0) or had no price (2)
  moved.fill(0, 0, n * hours);
  dp.fill(INF, 0, n);
  dpSw.fill(0, 0, n);
  dp[s0] = 0;
  // the cheapest state of the previous hour (ties: fewer switches, then the lower state), found while filling it
  let m = s0;
  let dm = 0;
  let sm = 0;
  for (let h = 0; h < hours; h++) {
    argmin[h] = m;
    const move = dm + sw;
    const row = h * P;
    const at = h * n;
    let nm = -1;
    let ndm = INF;
    let nsm = 0;
    const moveSw = sm + 1;
    for (let j = 0; j < nc; j++) {
      // hourCost: spot price + the interruption charge; NaN while the pool has no price (unavailable)
      const c = byHour[row + cand[j]] + risk[j];
      if (Number.isNaN(c)) {
        next[j] = INF;
        moved[at + j] = 2;
        continue;
      }
      const stay = dp[j];
      const ks = dpSw[j];
      let v = stay + c;
      let k = ks;
      if (!(stay < move || (stay === move && ks <= moveSw))) {
        v = move + c;
        k = moveSw;
        moved[at + j] = 1;
      }
      next[j] = v;
      nextSw[j] = k;
      if (v < ndm || (v === ndm && k < nsm && v !== INF)) {
        nm = j;
        ndm = v;
        nsm = k;
      }
    }
    {
      // on-demand, always available
      const stay = dp[nc];
      const ks = dpSw[nc];
      let v = stay + od;
      let k = ks;
      if (!(stay < move || (stay === move && ks <= moveSw))) {
        v = move + od;
        k = moveSw;
        moved[at + nc] = 1;
      }
      next[nc] = v;
      nextSw[nc] = k;
      if (nm < 0 || v < ndm || (v === ndm && k < nsm)) {
        nm = nc;
        ndm = v;
        nsm = k;
      }
    }
    const t = dp;
    dp = next;
    next = t;
    const u = dpSw;
    dpSw = nextSw;
    nextSw = u;
    m = nm;
    dm = ndm;
    sm = nsm;
  }
  let end = -1;
  for (let j = 0; j < n; j++) {
    if (dp[j] === INF) continue;
    if (end < 0 || dp[j] < dp[end] || (dp[j] === dp[end] && dpSw[j] < dpSw[end])) end = j;
  }
  // the swapped buffers go back to the workspace whichever way round they ended
  ws.dp = dp;
  ws.next = next;
  ws.dpSw = dpSw;
  ws.nextSw = nextSw;
  const choice = new Int32Array(hours);
  for (let h = hours - 1, j = end; h >= 0; h--) {
    choice[h] = j === nc ? ON_DEMAND : cand[j];
    j = moved[h * n + j] === 1 ? argmin[h] : j;
  }
  return { initial: inst.startPool, choice };
}

export const oraclePolicy: BacktestPolicy = {
  name: "oracle",
  run: async (ctx) => {
    const ws = new OracleWorkspace();
    return ctx.instances.map((inst) => oracleSchedule(ctx, inst, ws));
  },
};
