package org.convcl;

/** The activation applied last in the fused epilogue. NaN propagates through each one. */
public enum Activation {
    NONE, RELU, RELU6;

    /** Applies the activation to one value, with the same NaN behaviour as PyTorch (NaN stays NaN). */
    public float apply(float v) {
        return switch (this) {
            case NONE -> v;
            case RELU -> v < 0f ? 0f : v;              // NaN < 0 is false: NaN passes through
            case RELU6 -> v < 0f ? 0f : (v > 6f ? 6f : v);
        };
    }

    /** Parses {@code none | relu | relu6} (case-insensitive); the message names the value. */
    public static Activation parse(String text) {
        if (text != null) {
            for (Activation a : values()) {
                if (a.name().equalsIgnoreCase(text.trim())) return a;
            }
        }
        throw new IllegalArgumentException("activation must be one of none, relu, relu6, got '" + text + "'");
    }
}
