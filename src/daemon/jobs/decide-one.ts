/**
 * The policy run for each instance of one decide tick. What depends only on an instance's shape (its candidates,
 * current pool, on-demand price, advisor bucket) is looked up once per shape; the join of a candidate list with
 * a model's quotes and its ranking once per list (SharedCandidates.family, shared by instances of one family
 * whatever their current pool); the scan once per shape, model and lifecycle; and a decision once per group of
 * instances alike in everything else the policy reads (SharedCandidates.decided). Each instance still gets its
 * own decision object.
 */
import type { PolicyConfig } from "../../config/schema.js";
import type { InstanceHistory } from "../../core/fleet/decisions.js";
import { managedIdOf } from "../../core/fleet/discovery.js";
import type { AdvisorTable, OnDemandTable } from "../../core/market/tables.js";
import { tableKey } from "../../core/market/tables.js";
import {
  type CandidateQuote,
  decideFromQuotes,
  escapeEvidence,
  type SharedCandidates,
} from "../../core/policy/index.js";
import type { CapacityPoint, Decision, ManagedInstance, PoolKey } from "../../core/types.js";
import type { InstanceSlot, ShapeCandidates } from "./decide-inputs.js";
import type { PoolQuotes } from "./decide-quotes.js";

export interface TickInputs {
  now: number;
  instances: readonly ManagedInstance[];
  /** Per instance, its shape (DecideInputs.candidates()). */
  slots: readonly InstanceSlot[];
  capacity: Map<string, CapacityPoint[]>;
  history: Map<string, InstanceHistory>;
  /** The quotes of the model an instance names (undefined: the champion), computed once per model. */
  quotesFor(override: string | undefined): PoolQuotes;
  tables: { onDemand: OnDemandTable; advisor: AdvisorTable };
  policy: PolicyConfig;
  risk?: "spotwise" | "advisor";
}

/** What instances of one shape share in a tick. */
interface SlotState {
  od: number | undefined;
  bucket: number | null | undefined;
  /** The policy's shared state per model override ("" = the champion), then lifecycle. */
  shared: Map<string, Map<string, SharedCandidates>>;
}

export class TickDecider {
  private readonly slotState = new Map<InstanceSlot, SlotState>();
  /** Per candidate list and model override ("" = the champion): the list joined with the quotes, and its ranking. */
  private readonly joined = new Map<
    ShapeCandidates,
    Map<string, Required<Pick<SharedCandidates, "joined" | "family">>>
  >();

  constructor(private readonly t: TickInputs) {}

  /** The decision for instance `n` with `switchingNow` switches counted against the fleet budget. */
  decide(n: number, switchingNow: number): Decision {
    const { t } = this;
    const inst = t.instances[n];
    const slot = t.slots[n];
    let state = this.slotState.get(slot);
    if (!state) {
      state = {
        od: t.tables.onDemand.get(tableKey(inst.region, slot.baseType)),
        bucket: t.tables.advisor.get(tableKey(inst.region, inst.instanceType))?.bucket,
        shared: new Map(),
      };
      this.slotState.set(slot, state);
    }
    const od = state.od;
    if (od === undefined) {
      const current: PoolKey = { region: inst.region, az: inst.az, instanceType: inst.instanceType };
      return stay(inst, current, `no on-demand price for ${slot.baseType} in ${inst.region}: cannot price a switch`);
    }
    const pq = t.quotesFor(inst.modelOverride);
    const h = t.history.get(managedIdOf(inst));
    const evidence =
      inst.lifecycle === "spot"
        ? escapeEvidence({
            poolId: slot.currentId,
            capacity: t.risk === "advisor" ? undefined : t.capacity.get(slot.currentId),
            since: h?.poolSince ?? inst.launchedAt ?? null,
            now: t.now,
            bucket: state.bucket,
            riskCeiling: t.policy.riskCeiling,
          })
        : null;
    const model = inst.modelOverride ?? "";
    let byLifecycle = state.shared.get(model);
    if (!byLifecycle) {
      byLifecycle = new Map();
      state.shared.set(model, byLifecycle);
    }
    let shared = byLifecycle.get(inst.lifecycle);
    if (!shared) {
      shared = { ...this.joinedOf(slot.candidates, model, pq) };
      byLifecycle.set(inst.lifecycle, shared);
    }
    const decision = decideFromQuotes(
      {
        instance: inst.managedId ? inst : { ...inst, managedId: managedIdOf(inst) },
        now: t.now,
        history: { lastSwitchAt: h?.lastSwitchAt ?? null, switchesPastWeek: h?.switchesLastWeek ?? 0 },
        candidates: slot.candidates.pools,
        quotes: pq.quotes,
        onDemandPrice: od,
        fleet: { switchingNow, fleetSize: t.instances.length },
        config: t.policy,
        model: pq.model,
        evidence,
        currentId: slot.currentId,
      },
      undefined,
      shared,
    );
    decision.reasons.push(...pq.reasons);
    // the switch's mode for data volumes, in the advice itself (the recommendation shows its reasons)
    if (inst.dataVolumes && decision.action !== "STAY") decision.reasons.push(inst.dataVolumes);
    return decision;
  }

  /** The candidate list joined with the model's quotes (pools without one left out), once per list and model. */
  private joinedOf(
    candidates: ShapeCandidates,
    model: string,
    pq: PoolQuotes,
  ): Required<Pick<SharedCandidates, "joined" | "family">> {
    let perModel = this.joined.get(candidates);
    if (!perModel) {
      perModel = new Map();
      this.joined.set(candidates, perModel);
    }
    let j = perModel.get(model);
    if (!j) {
      const list: CandidateQuote[] = [];
      for (const e of candidates.entries) {
        const q = pq.quotes.get(e.id);
        if (q) list.push(q);
      }
      j = { joined: list, family: {} };
      perModel.set(model, j);
    }
    return j;
  }
}

function stay(inst: ManagedInstance, from: PoolKey, reason: string): Decision {
  return {
    action: "STAY",
    instanceId: inst.instanceId,
    managedId: managedIdOf(inst),
    accountId: inst.accountId,
    from,
    to: null,
    savingPerHour: 0,
    savingPerMonth: 0,
    priceSavingPerHour: 0,
    priceSavingPerMonth: 0,
    riskFrom: 0,
    riskTo: null,
    modelName: null,
    modelId: null,
    confidence: null,
    fallback: true,
    strategy: "no-data",
    reasons: [reason],
    alternatives: [],
  };
}
