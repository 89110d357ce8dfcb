package org.convcl;

/**
 * The activation applied last in the fused epilogue: a clamp to {@code [lower, upper]} ({@link #isClamp()}), or
 * HardSwish. Clamps are written as comparisons so that NaN passes through (every comparison with NaN is false), as in
 * PyTorch. This table is the Java side's only definition; the kernels' side is the {@code CONVCL_ACT_*} table of
 * {@code kernels/convcl_common.h}, whose codes are {@link #code()}.
 */
public enum Activation {
    /** The identity. */
    NONE(0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY),
    /** {@code max(v, 0)}. */
    RELU(1, 0f, Float.POSITIVE_INFINITY),
    /** {@code min(max(v, 0), 6)}. */
    RELU6(2, 0f, 6f),
    /**
     * {@code v · min(max(v/6 + 1/2, 0), 1)}, as ONNX's HardSwish and PyTorch's {@code hardswish} (−∞ gives NaN there
     * too). Not a clamp, and its input is not known from its output, so a layer with it has no
     * {@code activationBackward}.
     */
    HARDSWISH(3, Float.NaN, Float.NaN);

    private final int code;
    private final float lower;
    private final float upper;

    Activation(int code, float lower, float upper) {
        this.code = code;
        this.lower = lower;
        this.upper = upper;
    }

    /** The value of the kernels' {@code ACTIVATION} / {@code DW_ACTIVATION} defines for this activation. */
    public int code() { return code; }

    /** The name of this activation's code in {@code convcl_common.h}: {@code CONVCL_ACT_<NAME>}. */
    public String defineName() { return "CONVCL_ACT_" + name(); }

    /** Whether this activation is a clamp to {@code [lower(), upper()]} (every one but {@link #HARDSWISH}). */
    public boolean isClamp() { return this != HARDSWISH; }

    /** The lower clamp bound ({@code -Inf}: none); only for a clamp ({@link #isClamp()}). */
    public float lower() {
        requireClamp();
        return lower;
    }

    /** The upper clamp bound ({@code +Inf}: none); only for a clamp ({@link #isClamp()}). */
    public float upper() {
        requireClamp();
        return upper;
    }

    private void requireClamp() {
        if (!isClamp()) throw new IllegalStateException(this + " is not a clamp and has no bounds");
    }

    /** Applies the activation to one value, with the same NaN behaviour as PyTorch (NaN stays NaN). */
    public float apply(float v) {
        return isClamp() ? clamp(v, lower, upper) : hardSwish(v);
    }

    /** {@code v · min(max(v/6 + 1/2, 0), 1)} in float, the kernels' formula. */
    public static float hardSwish(float v) {
        return v * clamp(v * (1f / 6) + 0.5f, 0f, 1f);
    }

    /**
     * {@code v} clamped to {@code [lower, upper]} by comparisons, so NaN passes through ({@code Math.max} and
     * {@code Math.min} would also pass it, but they turn {@code -0.0} into {@code 0.0} against a 0 bound).
     */
    public static float clamp(float v, float lower, float upper) {
        return v < lower ? lower : (v > upper ? upper : v);
    }

    /** Parses {@code none | relu | relu6 | hardswish} (case-insensitive); the message names the value. */
    public static Activation parse(String text) {
        if (text != null) {
            for (Activation a : values()) {
                if (a.name().equalsIgnoreCase(text.trim())) return a;
            }
        }
        throw new IllegalArgumentException("activation must be one of none, relu, relu6, hardswish, got '" + text + "'");
    }
}
