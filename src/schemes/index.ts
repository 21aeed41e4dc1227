// THE list of requantization schemes (SPEC §3). Everything that depends on which schemes exist
// reads this list: argument validation, the WebAssembly header and per-channel arrays, the
// reference arithmetic, the deployment check, the MobileNet presets, the test suites' generators,
// and scripts/gen-interface.mjs, which numbers the kernels of each module below in this order.
import type { AnyScheme, Scheme } from "./scheme.js";
import { tflite } from "./tflite.js";
import { onnx } from "./onnx.js";
import { pulpBn } from "./pulp-bn.js";
import { pulpQuant } from "./pulp-quant.js";
import { pulpShift } from "./pulp-shift.js";
import { gapSq8 } from "./gap-sq8.js";

export const SCHEMES = [tflite, onnx, pulpBn, pulpQuant, pulpShift, gapSq8] as const;

type Each = (typeof SCHEMES)[number];
/** A public requantization object (SPEC §4 `Requant`): one of the schemes' own types. */
export type Requant = Each extends infer S ? (S extends Scheme<infer R, infer _C> ? R : never) : never;
/** A requantization checked and normalized by its scheme. */
export type CheckedRequant = Each extends infer S ? (S extends Scheme<infer _R, infer C> ? C : never) : never;
export type SchemeName = Requant["scheme"];
/** The MobileNet presets' variant names (tflite split by rounding). */
export type PresetName = Each extends infer S ? (S extends Scheme<infer _R, infer _C, infer P> ? P : never) : never;

/** The schemes' names, in list order. */
export const SCHEME_NAMES: readonly SchemeName[] = SCHEMES.map((s) => s.name);

const BY_NAME = new Map<string, AnyScheme>(SCHEMES.map((s) => [s.name, s]));

/** The scheme called `name`, or undefined. */
export function schemeNamed(name: unknown): AnyScheme | undefined {
  return typeof name === "string" ? BY_NAME.get(name) : undefined;
}

/** The scheme of a checked requant. */
export function schemeOf(rq: CheckedRequant): AnyScheme {
  return BY_NAME.get(rq.scheme)!;
}

/**
 * Every field any scheme's public object has (for the argument snapshot): those that are a
 * per-channel list in some scheme (copied), and the others. A name is in one of the two only, so
 * that the snapshot reads it once (`shift` is a list in tflite, a number in pulp-*).
 */
export const LIST_FIELDS: readonly string[] = [...new Set(SCHEMES.flatMap((s) => s.lists))];
export const SCALAR_FIELDS: readonly string[] = [...new Set(SCHEMES.flatMap((s) => s.scalars))].filter((f) => !LIST_FIELDS.includes(f));

/** A variant of a scheme (a preset or a test generator's name for it) with its scheme. */
function variants<K extends "presets" | "edges" | "spread">(key: K) {
  return SCHEMES.flatMap((s) => Object.keys(s[key]).map((name) => ({ name, scheme: s as AnyScheme })));
}

/** The MobileNet presets' variants (tflite split by rounding), in list order. */
export const PRESET_VARIANTS = variants("presets") as { name: PresetName; scheme: AnyScheme }[];
/** The kernel suites' variants (tflite split by rounding). */
export const EDGE_VARIANTS = variants("edges");
/** The block suites' variants (tflite by rounding, onnx by dtype). */
export const SPREAD_VARIANTS = variants("spread");

export type { AnyScheme, Scheme, SampleCase, PresetContext } from "./scheme.js";
