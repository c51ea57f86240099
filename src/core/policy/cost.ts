/**
 * The money model of a decision. Expected cost of an hour in a pool = spot price + P(disruption in that
 * hour) × interruption cost, the interruption cost being `interruptionCostOdHours` hours of the instance's
 * on-demand price. A switch costs `switchCostOdHours` hours of that on-demand price.
 */
export function expectedCostPerHour(
  price: number,
  riskPerHour: number,
  onDemandPrice: number,
  interruptionCostOdHours: number,
): number {
  return price + riskPerHour * interruptionCostOdHours * onDemandPrice;
}

export function switchCost(onDemandPrice: number, switchCostOdHours: number): number {
  return onDemandPrice * switchCostOdHours;
}
