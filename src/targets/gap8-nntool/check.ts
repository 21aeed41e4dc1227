// What a GAP8 deployment through NNTool changes that the model's author should know, read from the
// lowered layers' own decisions: tensors NNTool re-quantizes (and the resolution they lose), the
// input bytes the application must convert, the probabilities coming out as int16 Q15, and the
// logit range where the AutoTiler's softmax exp wraps and the board's bytes differ from NNTool's.
import type { GraphNetwork } from "../../runner/network.js";

export type Gap8Severity = "error" | "warning" | "info";

/** One thing the NNTool deployment changes, at a layer, with what to do about it. */
export interface ModelFinding {
  /** The tensor (by name) the finding is about. */
  layer: string;
  /** Its index in the model. */
  index: number;
  /** The op that reads or writes it (its kind). */
  kind: string;
  rule: "nntool-input-converted" | "nntool-forced-symmetric" | "nntool-range-widened" | "nntool-softmax-q15" | "nntool-softmax-exp-wraps";
  severity: Gap8Severity;
  message: string;
  fix: string;
}

interface SideQuant {
  tensor: number;
  dtype: string;
  scale: number;
  zeroPoint: number;
  forced: string | null;
  file: { scale: number; zeroPoint: number };
}

const WHY: Record<string, string> = {
  "padded-conv": "it feeds a padded convolution, and GAP8 pads with a literal 0 byte, so NNTool makes it symmetric (zero point 0)",
  add: "it feeds a residual add, which NNTool quantizes symmetrically",
  "global-pool": "it feeds a global pool, which keeps its input's quantization",
  softmax: "it feeds the softmax, whose input NNTool forces to a symmetric power-of-two scale",
  "symmetric-output": "its consumer needs a symmetric input",
};

const fmt = (v: number) => (Math.abs(v) >= 0.01 ? v.toFixed(5) : v.toExponential(4));

/** The NNTool deployment findings of a TFLite network (`network.check({ target: "gap8-nntool" })`). */
export function gap8NntoolFindings(net: GraphNetwork): ModelFinding[] {
  const layers = net.lower("gap8-nntool");
  const graph = net.graph;
  const findings: ModelFinding[] = [];
  const seen = new Set<number>();
  const nameOf = (t: number) => graph.tensors[t]?.name ?? String(t);

  // The graph input: the application converts the bytes it has (file quantization) to NNTool's.
  for (const i of graph.inputs) {
    const first = layers.find((l) => (l.params.input as SideQuant | undefined)?.tensor === i);
    const q = first?.params.input as SideQuant | undefined;
    if (q && (q.scale !== q.file.scale || q.zeroPoint !== q.file.zeroPoint)) {
      findings.push({
        layer: nameOf(i), index: i, kind: first!.kind, rule: "nntool-input-converted", severity: "info",
        message: `the deployed input is int8 with scale ${fmt(q.scale)}, zero point ${q.zeroPoint} (the file's: ${fmt(q.file.scale)}, ${q.file.zeroPoint}); copying the model's input bytes unchanged feeds values up to ${Math.abs(q.zeroPoint - q.file.zeroPoint)} steps off`,
        fix: `convert each input byte on the device: q' = clamp(round((q - ${q.file.zeroPoint}) * ${fmt(q.file.scale)} / ${fmt(q.scale)}) + ${q.zeroPoint}, -128, 127) (dwpw's gap8-nntool run does this for you)`,
      });
      seen.add(i);
    }
  }

  for (const l of layers) {
    for (const side of ["input", "output"] as const) {
      const q = l.params[side] as SideQuant | undefined;
      if (!q || q.forced === null || seen.has(q.tensor)) continue;
      seen.add(q.tensor);
      const ratio = q.scale / q.file.scale;
      const bits = Math.log2(ratio);
      const where = { layer: nameOf(q.tensor), index: q.tensor, kind: l.kind };
      if (q.forced === "softmax-output") {
        findings.push({
          ...where, rule: "nntool-softmax-q15", severity: "info",
          message: `the probabilities come out as int16 Q15 (scale 2^-15, zero point 0), not the file's ${q.file.scale === 1 / 256 ? "int8 1/256" : `scale ${fmt(q.file.scale)}`}`,
          fix: "read the output as int16 and divide by 32768; compare with the model's int8 output only in real units",
        });
      } else if (q.forced === "relu-range") {
        findings.push({
          ...where, rule: "nntool-range-widened", severity: bits >= 0.5 ? "warning" : "info",
          message: `NNTool quantizes this ReLU output over its activation's full range: scale ${fmt(q.file.scale)} becomes ${fmt(q.scale)} (${bits >= 0 ? `${bits.toFixed(2)} bits of resolution lost` : `${(-bits).toFixed(2)} bits gained`})`,
          fix: "calibrate the layer to the activation's bound (e.g. ReLU6 over [0, 6]) so the file's range matches what NNTool uses, or accept the coarser step",
        });
      } else {
        findings.push({
          ...where, rule: "nntool-forced-symmetric", severity: bits >= 0.5 ? "warning" : "info",
          message: `${WHY[q.forced] ?? `NNTool re-quantizes it (${q.forced})`}: scale ${fmt(q.file.scale)}, zero point ${q.file.zeroPoint} becomes scale ${fmt(q.scale)}, zero point ${q.zeroPoint} (${bits > 0 ? `${bits.toFixed(2)} bits of resolution lost` : "no resolution lost"})`,
          fix: q.forced === "padded-conv"
            ? "quantize this activation symmetrically when converting the model (zero point 0), or make the convolution VALID with an explicit PAD, so NNTool keeps its resolution"
            : "quantize this activation symmetrically (zero point 0, power-of-two scale for logits) when converting the model",
        });
      }
    }
    const wrap = l.params.cExpOverflow as { steps: [number, number]; real: [number, number] } | null | undefined;
    if (wrap) {
      findings.push({
        layer: nameOf(l.outputs[0]!), index: l.outputs[0]!, kind: l.kind, rule: "nntool-softmax-exp-wraps", severity: "warning",
        message: `where a logit lies ${wrap.real[0]} to ${wrap.real[1]} below the largest (input steps ${wrap.steps[0]} to ${wrap.steps[1]}), the AutoTiler's exp overflows int32 and returns -1: the board's probabilities differ from NNTool's emulation there, and the winning class can wrap to a negative int16`,
        fix: "keep the logits' spread below 11 (a smaller logit range or scale), or treat outputs near that region as suspect; dwpw's gap8-nntool run gives the board's bytes",
      });
    }
  }
  return findings;
}
