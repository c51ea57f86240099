export * from "./candidates.js";
export * from "./context.js";
export * from "./cost.js";
export * from "./counterfactual.js";
export * from "./policy.js";
export * from "./settings.js";
export * from "./strategies.js";
export * from "./types.js";
