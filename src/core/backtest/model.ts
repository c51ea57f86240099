/**
 * The backtest's cost model, fixed by issue 5 so results compare across versions:
 *   hour in a spot pool = spot price + advisor monthly interruption rate / 730 × 2 × on-demand price of the
 *   instance's original type; hour on on-demand = that on-demand price; a switch = 0.5 × that price.
 * A policy's output is a schedule: the pool (grid index) or ON_DEMAND for every hour, and where it stood
 * before hour 0; every change between consecutive hours is one switch.
 */
import type { AdvisorTable } from "../market/tables.js";
import type { BacktestInstance } from "./fleet.js";
import type { PriceGrid } from "./grid.js";
import { advisorMonthlyRate } from "./risk.js";

export const ON_DEMAND = -1;
export const INTERRUPTION_OD_HOURS = 2;
export const SWITCH_OD_HOURS = 0.5;
const HOURS_PER_MONTH = 730;

export interface SimContext {
  grid: PriceGrid;
  instances: readonly BacktestInstance[];
  /** Per pool: monthly rate / 730 × 2; the hourly interruption charge is this × the instance's OD price. */
  riskCostFactor: Float64Array;
}

export interface Schedule {
  /** State before hour 0: the start pool, or ON_DEMAND for a fleet that already runs on-demand. */
  initial: number;
  /** State per hour. */
  choice: Int32Array;
}

export function simContext(grid: PriceGrid, instances: readonly BacktestInstance[], advisor: AdvisorTable): SimContext {
  const riskCostFactor = new Float64Array(grid.pools.length);
  grid.pools.forEach((p, i) => {
    riskCostFactor[i] =
      (advisorMonthlyRate(advisor, p.region, p.instanceType) / HOURS_PER_MONTH) * INTERRUPTION_OD_HOURS;
  });
  return { grid, instances, riskCostFactor };
}

/** Cost of one hour in `state` (pool index or ON_DEMAND); NaN when the pool has no price at that hour. */
export function hourCost(ctx: SimContext, inst: BacktestInstance, state: number, hour: number): number {
  if (state === ON_DEMAND) return inst.odPrice;
  return ctx.grid.price[state * ctx.grid.hours + hour] + ctx.riskCostFactor[state] * inst.odPrice;
}

export interface ScheduleCost {
  cost: number;
  switches: number;
}

/** Total cost and switches of one schedule; throws when it uses a pool that has no price at that hour. */
export function scheduleCost(ctx: SimContext, inst: BacktestInstance, s: Schedule): ScheduleCost {
  const sw = inst.odPrice * SWITCH_OD_HOURS;
  let cost = 0;
  let switches = 0;
  let prev = s.initial;
  for (let h = 0; h < ctx.grid.hours; h++) {
    const state = s.choice[h];
    const c = hourCost(ctx, inst, state, h);
    if (Number.isNaN(c)) throw new Error(`schedule of ${inst.instanceId} uses unavailable pool ${state} at hour ${h}`);
    if (state !== prev) {
      cost += sw;
      switches++;
    }
    cost += c;
    prev = state;
  }
  return { cost, switches };
}
