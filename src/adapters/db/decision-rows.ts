/** Mapping between the Decision domain type and its row: one place for both repositories that write it. */
import { type Decision, type DecisionAction, type Mode, parsePoolId, poolId } from "../../core/types.js";
import type { DecisionRow } from "./entities.js";

export function decisionRow(id: string, d: Decision, mode: Mode, tickAt: number): DecisionRow {
  return {
    id,
    tickAt: new Date(tickAt),
    instanceId: d.instanceId,
    managedId: d.managedId ?? d.instanceId,
    accountId: d.accountId,
    action: d.action,
    fromPool: poolId(d.from),
    toPool: d.to ? poolId(d.to) : null,
    savingPerHour: d.savingPerHour,
    savingPerMonth: d.savingPerMonth,
    priceSavingPerHour: d.priceSavingPerHour ?? null,
    priceSavingPerMonth: d.priceSavingPerMonth ?? null,
    riskFrom: d.riskFrom,
    riskTo: d.riskTo,
    riskFromSource: d.riskFromSource ?? null,
    riskToSource: d.riskToSource ?? null,
    launchFailureTo: d.launchFailureTo ?? null,
    modelId: d.modelId,
    modelName: d.modelName,
    confidence: d.confidence,
    fallback: d.fallback,
    strategy: d.strategy,
    reasons: d.reasons,
    alternatives: d.alternatives.map(poolId),
    mode,
    createdAt: new Date(tickAt),
  };
}

export function decisionFromRow(d: DecisionRow): Decision {
  return {
    action: d.action as DecisionAction,
    instanceId: d.instanceId,
    // absent = the instance id (Decision.managedId)
    ...(d.managedId && d.managedId !== d.instanceId ? { managedId: d.managedId } : {}),
    accountId: d.accountId,
    from: parsePoolId(d.fromPool),
    to: d.toPool ? parsePoolId(d.toPool) : null,
    savingPerHour: d.savingPerHour,
    savingPerMonth: d.savingPerMonth,
    ...(d.priceSavingPerHour != null
      ? { priceSavingPerHour: d.priceSavingPerHour, priceSavingPerMonth: d.priceSavingPerMonth ?? 0 }
      : {}),
    riskFrom: d.riskFrom,
    riskTo: d.riskTo ?? null,
    ...(d.riskFromSource ? { riskFromSource: d.riskFromSource } : {}),
    ...(d.riskToSource != null ? { riskToSource: d.riskToSource } : {}),
    ...(d.launchFailureTo != null ? { launchFailureTo: d.launchFailureTo } : {}),
    modelName: d.modelName ?? null,
    modelId: d.modelId ?? null,
    confidence: d.confidence ?? null,
    fallback: d.fallback,
    strategy: d.strategy,
    reasons: d.reasons,
    alternatives: d.alternatives.map(parsePoolId),
  };
}
