package org.convcl.cpu;

import org.convcl.Activation;

/** Writes accumulated values through the folded epilogue: {@code out = activation(acc + bias)}. */
final class EpilogueWriter {
    private EpilogueWriter() {}

    /**
     * Writes {@code len} values from {@code acc[accOff..]} to {@code out[outOff..]}. Comparisons are written so
     * that NaN passes every activation unchanged, as in {@link Activation#apply}.
     */
    static void write(float[] acc, int accOff, float[] out, int outOff, int len, float bias, Activation activation) {
        switch (activation) {
            case NONE -> {
                for (int i = 0; i < len; i++) out[outOff + i] = acc[accOff + i] + bias;
            }
            case RELU -> {
                for (int i = 0; i < len; i++) {
                    float v = acc[accOff + i] + bias;
                    out[outOff + i] = v < 0f ? 0f : v;
                }
            }
            case RELU6 -> {
                for (int i = 0; i < len; i++) {
                    float v = acc[accOff + i] + bias;
                    out[outOff + i] = v < 0f ? 0f : (v > 6f ? 6f : v);
                }
            }
            default -> throw new AssertionError(activation);
        }
    }
}
