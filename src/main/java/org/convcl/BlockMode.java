package org.convcl;

/** How a {@link SeparableBlock} runs: the planner's choice, or one path forced (tests, benchmarks). */
public enum BlockMode {
    /** Let the block planner choose; {@link PreparedBlock#plan()} says which path and why. */
    AUTO,
    /** One kernel: each tile of the depthwise output stays on chip and feeds the pointwise step directly. */
    FUSED,
    /** Two kernels: the depthwise output is written to device memory and read back by the pointwise step. */
    UNFUSED;

    /** Parses {@code auto | fused | unfused} (case-insensitive); the message names the value. */
    public static BlockMode parse(String text) {
        if (text != null) {
            for (BlockMode m : values()) {
                if (m.name().equalsIgnoreCase(text.trim())) return m;
            }
        }
        throw new IllegalArgumentException("block mode must be one of auto, fused, unfused, got '" + text + "'");
    }
}
