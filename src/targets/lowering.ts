// The shape of a target's op table: one lowering function per op kind it supports.
import { UnsupportedOpError } from "../graph/errors.js";
import type { Graph, GraphOp, OpKind } from "../graph/types.js";
import type { LoweredLayer, TargetName } from "./types.js";

/** Lowers one op of a kind. */
export type OpLowering<K extends OpKind> = (op: Extract<GraphOp, { kind: K }>, graph: Graph) => LoweredLayer;

/** A target's op table. */
export type OpTable = { [K in OpKind]?: OpLowering<K> };

/** A target's one-phrase description of its arithmetic, per op kind. */
export type ArithmeticTable = Partial<Record<OpKind, string>>;

/**
 * Lowers every op of the graph with `table`; an op the table lacks is an UnsupportedOpError. A layer
 * that does not describe its arithmetic itself gets `arithmetic[kind]`.
 */
export function lowerOps(graph: Graph, table: OpTable, target: TargetName, arithmetic: ArithmeticTable = {}): LoweredLayer[] {
  return graph.ops.map((op) => {
    const f = table[op.kind] as OpLowering<typeof op.kind> | undefined;
    if (!f) throw new UnsupportedOpError(op.index, op.opcode, `target ${target} does not support this op`);
    const layer = f(op as never, graph);
    const described = layer.arithmetic ?? arithmetic[op.kind];
    return described === undefined ? layer : { ...layer, arithmetic: described };
  });
}
