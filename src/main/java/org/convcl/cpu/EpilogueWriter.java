package org.convcl.cpu;

import org.convcl.Activation;

/** Writes accumulated values through the folded epilogue: {@code out = activation(acc + bias)}. */
final class EpilogueWriter {
    private EpilogueWriter() {}

    /**
     * Writes {@code len} values from {@code acc[accOff..]} to {@code out[outOff..]}, each through
     * {@link Activation#clamp} with the activation's bounds (NaN passes every activation unchanged).
     */
    static void write(float[] acc, int accOff, float[] out, int outOff, int len, float bias, Activation activation) {
        float lower = activation.lower(), upper = activation.upper();
        for (int i = 0; i < len; i++) out[outOff + i] = Activation.clamp(acc[accOff + i] + bias, lower, upper);
    }
}
