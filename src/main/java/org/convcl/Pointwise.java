package org.convcl;

/**
 * An elementwise function of one value, as ONNX defines it: the identity, {@code Relu}, {@code Clip(lower, upper)},
 * {@code HardSigmoid(alpha, beta)}, {@code HardSwish} or {@code Sigmoid}. NaN passes through every one of them (each
 * clamp is written as comparisons), as in PyTorch. Immutable.
 *
 * @param kind which function
 * @param a    Clip's lower bound, HardSigmoid's alpha; 0 for the others
 * @param b    Clip's upper bound, HardSigmoid's beta; 0 for the others
 */
public record Pointwise(Kind kind, float a, float b) {
    /** The functions; {@link #code()} is the kernels' number for each ({@code NET_FN_*} in {@code kernels/net_ops.cl}). */
    public enum Kind {
        /** {@code v}. */
        IDENTITY(0),
        /** {@code max(v, 0)}. */
        RELU(1),
        /** {@code min(max(v, a), b)}. */
        CLIP(2),
        /** {@code min(max(a·v + b, 0), 1)}. */
        HARD_SIGMOID(3),
        /** {@code v · min(max(v/6 + 1/2, 0), 1)}. */
        HARD_SWISH(4),
        /** {@code 1 / (1 + e^−v)}. */
        SIGMOID(5);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        /** The value the kernels' {@code fn} argument takes for this function. */
        public int code() { return code; }
    }

    private static final Pointwise IDENTITY_FN = new Pointwise(Kind.IDENTITY, 0f, 0f);

    /** Checks the kind and the parameters: a Clip's bounds must not be NaN and {@code lower ≤ upper}. */
    public Pointwise {
        if (kind == null) throw new IllegalArgumentException("pointwise kind must not be null");
        if (kind == Kind.CLIP && (Float.isNaN(a) || Float.isNaN(b) || a > b)) {
            throw new IllegalArgumentException("clip bounds must be ordered numbers, got lower " + a + ", upper " + b);
        }
        if (kind == Kind.HARD_SIGMOID && (!Float.isFinite(a) || !Float.isFinite(b))) {
            throw new IllegalArgumentException("hard sigmoid alpha and beta must be finite, got alpha " + a + ", beta " + b);
        }
    }

    /** The identity. */
    public static Pointwise identity() { return IDENTITY_FN; }

    /** {@code max(v, 0)}. */
    public static Pointwise relu() { return new Pointwise(Kind.RELU, 0f, 0f); }

    /** {@code min(max(v, lower), upper)} (an infinite bound is none). */
    public static Pointwise clip(float lower, float upper) { return new Pointwise(Kind.CLIP, lower, upper); }

    /** {@code min(max(alpha·v + beta, 0), 1)}. */
    public static Pointwise hardSigmoid(float alpha, float beta) { return new Pointwise(Kind.HARD_SIGMOID, alpha, beta); }

    /** {@code v · hardSigmoid(v; 1/6, 1/2)}. */
    public static Pointwise hardSwish() { return new Pointwise(Kind.HARD_SWISH, 0f, 0f); }

    /** {@code 1 / (1 + e^−v)}. */
    public static Pointwise sigmoid() { return new Pointwise(Kind.SIGMOID, 0f, 0f); }

    /** The same function as a library {@link Activation} (ReLU, Clip(0, 6), HardSwish). */
    public static Pointwise of(Activation activation) {
        return switch (activation) {
            case NONE -> identity();
            case RELU -> relu();
            case RELU6 -> clip(0f, 6f);
            case HARDSWISH -> hardSwish();
        };
    }

    /** Applies the function to one value (the Java definition; the kernels compute the same in float). */
    public float apply(float v) {
        return switch (kind) {
            case IDENTITY -> v;
            case RELU -> v < 0f ? 0f : v;
            case CLIP -> v < a ? a : (v > b ? b : v);
            case HARD_SIGMOID -> hardSigmoid(v, a, b);
            case HARD_SWISH -> v * hardSigmoid(v, 1f / 6, 0.5f);
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-v)));
        };
    }

    private static float hardSigmoid(float v, float alpha, float beta) {
        float y = alpha * v + beta;
        return y < 0f ? 0f : (y > 1f ? 1f : y);
    }
}
