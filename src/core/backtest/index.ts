export * from "./baselines.js";
export * from "./fleet.js";
export * from "./grid.js";
export * from "./model.js";
export * from "./oracle.js";
export * from "./risk.js";
export * from "./run.js";
export * from "./spotwise.js";
