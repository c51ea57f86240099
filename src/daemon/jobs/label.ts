/**
 * The label tick: outcomes of predictions whose horizon has passed (for the champion-vs-challenger
 * report), and the realized "would have saved" of every SWITCH recommendation, approved or not, once a
 * day of prices has followed it.
 */
import type { DecisionStore } from "../../core/fleet/decisions.js";
import { type OnDemandTable, tableKey } from "../../core/market/tables.js";
import type { OutcomeLabeler } from "../../core/models/labeler.js";
import { counterfactualSaving } from "../../core/policy/counterfactual.js";
import type { MarketStore } from "../../core/ports/market-store.js";
import { poolId } from "../../core/types.js";
import type { Job } from "../job.js";

export const COUNTERFACTUAL_WINDOW_MS = 24 * 3_600_000;

export interface LabelDeps {
  labeler: OutcomeLabeler;
  decisions: DecisionStore;
  market: MarketStore;
  onDemand: OnDemandTable;
  switchCostOdHours: number;
}

export class LabelJob implements Job {
  readonly name = "label" as const;
  constructor(private readonly d: LabelDeps) {}

  async tick(now: number): Promise<Record<string, unknown>> {
    const { d } = this;
    const outcomes = await d.labeler.labelDue();
    const due = await d.decisions.unrealizedSwitches(now - COUNTERFACTUAL_WINDOW_MS, 5_000);
    let realized = 0;
    let total = 0;
    if (due.length) {
      const ids = [...new Set(due.flatMap((x) => [poolId(x.from), poolId(x.to)]))];
      const since = Math.min(...due.map((x) => x.tickAt)) - 7 * 24 * 3_600_000;
      const series = await d.market.readPrices(ids, since);
      for (const x of due) {
        const od = d.onDemand.get(tableKey(x.from.region, x.from.instanceType)) ?? 0;
        const r = counterfactualSaving({
          from: { pool: x.from },
          to: { pool: x.to },
          at: x.tickAt,
          until: x.tickAt + COUNTERFACTUAL_WINDOW_MS,
          series,
          switchCost: d.switchCostOdHours * od,
        });
        if (r.coveredHours === 0) continue;
        await d.decisions.setRealized(x.id, r.netSaving, now);
        realized++;
        total += r.netSaving;
      }
    }
    return {
      labelled: outcomes.labelled,
      losses: outcomes.losses,
      unknown: outcomes.unknown,
      realized,
      realizedUsd: Number(total.toFixed(4)),
    };
  }
}
