package org.convcl.cpu;

import org.convcl.Activation;

/** Writes accumulated values through the folded epilogue: {@code out = activation(acc + bias)}, or with a residual {@code r}, {@code activation(acc + bias + r)}. */
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

    /** The residual epilogue's last step on outputs that already hold {@code acc + bias}: {@code out = activation(out + residual)}. */
    static void addResidual(float[] out, float[] residual, Activation activation) {
        if (!activation.isClamp()) {
            for (int i = 0; i < out.length; i++) out[i] = Activation.hardSwish(out[i] + residual[i]);
            return;
        }
        float lower = activation.lower(), upper = activation.upper();
        for (int i = 0; i < out.length; i++) out[i] = Activation.clamp(out[i] + residual[i], lower, upper);
    }
}
