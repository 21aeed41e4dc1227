// The network runner and its ops (see ./network.ts).
export { Network } from "./network.js";
export { NETWORK_LIMITS, checkNetworkSizes } from "./limits.js";
export type { BlockRun, InputValue, LayerOutput, NetworkCheck, NetworkInput, NetworkValue, RunOptions, RunResult } from "./network.js";
export { findUnits, planNetwork } from "./fusion-plan.js";
export type { BlockUnit, NetworkPlanOptions, UnitPlan } from "./fusion-plan.js";
export { ADD_ROUNDINGS, U8S8_MODES } from "./types.js";
export type * from "./types.js";
