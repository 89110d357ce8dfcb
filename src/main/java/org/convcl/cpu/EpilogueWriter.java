package org.convcl.cpu;

import org.convcl.Activation;

/** Writes accumulated values through the folded epilogue: {@code out = activation(acc + bias)}. */
final class EpilogueWriter {
    private EpilogueWriter() {}

    /**
     * Writes {@code len} values from {@code acc[accOff..]} to {@code out[outOff..]}, each through the activation
     * ({@link Activation#clamp} with its bounds, or {@link Activation#hardSwish}; NaN passes every one unchanged).
     */
    static void write(float[] acc, int accOff, float[] out, int outOff, int len, float bias, Activation activation) {
        if (!activation.isClamp()) {
            for (int i = 0; i < len; i++) out[outOff + i] = Activation.hardSwish(acc[accOff + i] + bias);
            return;
        }
        float lower = activation.lower(), upper = activation.upper();
        for (int i = 0; i < len; i++) out[outOff + i] = Activation.clamp(acc[accOff + i] + bias, lower, upper);
    }
}
