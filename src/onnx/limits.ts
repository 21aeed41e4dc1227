// What the ONNX reader accepts at most. Each bound is checked while the file is read, before the
// structure it guards is kept, so that a hostile file costs time and memory in proportion to what
// a real model of that size would (the largest quantized models dwpw targets have a few hundred
// nodes and tens of MB of weights; these bounds are orders of magnitude above that).

export const ONNX_LIMITS = {
  /** Size of the file (protobuf's own limit for one message is 2 GiB). */
  fileBytes: 2 ** 31,
  /** Nodes, counted over the graph and every subgraph. */
  nodes: 100_000,
  /** Initializers, counted over the graph and every subgraph. */
  initializers: 100_000,
  /** Graph inputs, outputs and value_info entries, counted over every graph. */
  valueInfos: 300_000,
  /** Bytes of initializer and constant data (raw_data, and 4 or 8 bytes per value of the typed fields). */
  initializerBytes: 2 ** 30,
  /** Values of the repeated numeric fields (dims, float_data, int32_data, ints, floats...) over the whole file. */
  repeatedValues: 2 ** 24,
  /** Attributes of one node. */
  attributesPerNode: 256,
  /** Values of one attribute (its ints, floats or strings). */
  attributeValues: 1 << 20,
  /** Inputs, and outputs, of one node. */
  nodeInputs: 10_000,
  /** Dimensions of one tensor or shape. */
  rank: 64,
  /** Bytes of one name or other string field. */
  stringBytes: 1 << 16,
  /** Entries of opset_import. */
  opsets: 1_000,
  /** Subgraphs (attributes of type GRAPH) nested in one another. */
  graphDepth: 8,
  /** Protobuf groups (an obsolete encoding, skipped) nested in one another. */
  groupDepth: 32,
} as const;
