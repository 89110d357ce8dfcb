package org.convcl.net;

import java.util.Map;
import java.util.Set;

/**
 * The ONNX operators convcl runs (default domain, opsets 7–17) and the attributes each accepts; anything else is
 * refused when the model is loaded. Values an attribute may not take (e.g. {@code auto_pad} other than
 * {@code NOTSET}) are checked by {@link OnnxReader#checkAttributeValues}.
 */
final class OpTable {
    private OpTable() {}

    private static final Set<String> POOL = Set.of("kernel_shape", "strides", "pads", "ceil_mode", "auto_pad",
            "dilations", "storage_order", "count_include_pad");

    /** Operator → the attributes it accepts. */
    static final Map<String, Set<String>> ATTRIBUTES = Map.ofEntries(
            Map.entry("Conv", Set.of("kernel_shape", "strides", "pads", "dilations", "group", "auto_pad")),
            Map.entry("BatchNormalization", Set.of("epsilon", "momentum", "spatial", "training_mode")),
            Map.entry("Relu", Set.of()),
            Map.entry("Clip", Set.of("min", "max")),
            Map.entry("HardSigmoid", Set.of("alpha", "beta")),
            Map.entry("HardSwish", Set.of()),
            Map.entry("Sigmoid", Set.of()),
            Map.entry("Add", Set.of()),
            Map.entry("Mul", Set.of()),
            Map.entry("GlobalAveragePool", Set.of()),
            Map.entry("AveragePool", POOL),
            Map.entry("MaxPool", POOL),
            Map.entry("Flatten", Set.of("axis")),
            Map.entry("Reshape", Set.of("allowzero")),
            Map.entry("Concat", Set.of("axis")),
            Map.entry("Gemm", Set.of("alpha", "beta", "transA", "transB")),
            Map.entry("MatMul", Set.of()),
            Map.entry("Softmax", Set.of("axis")),
            Map.entry("Identity", Set.of()),
            Map.entry("Dropout", Set.of("ratio", "seed")),
            Map.entry("Constant", Set.of("value")));

    static boolean supported(String op) {
        return ATTRIBUTES.containsKey(op);
    }

    /** The supported operators, sorted, for messages. */
    static String list() {
        return String.join(", ", new java.util.TreeSet<>(ATTRIBUTES.keySet()));
    }
}
