package org.convcl.plan;

import org.convcl.ConvSpec;

/**
 * The input gradient of a stride-1 convolution as a forward convolution: {@code dx = conv(dz, w')} with the transposed,
 * flipped weights {@code w'[g·Cin/g + i'][o'][KH−1−ky][KW−1−kx] = w[g·Cout/g + o'][i'][ky][kx]}, channels swapped,
 * groups and dilation kept, and pads {@code dilation·(K−1) − pad} on each side (then the output is the input's size).
 * Both backends run their forward kernels on it; the strided case has kernels of its own.
 */
public final class TransposedConv {
    private TransposedConv() {}

    /** The forward convolution whose output is the input gradient of {@code spec}, or null when a stride is above 1 or a pad exceeds {@code dilation·(K−1)}. */
    public static ConvSpec spec(ConvSpec spec) {
        if (spec.strideH() != 1 || spec.strideW() != 1) return null;
        int eh = spec.dilationH() * (spec.kernelH() - 1), ew = spec.dilationW() * (spec.kernelW() - 1);
        int t = eh - spec.padTop(), b = eh - spec.padBottom(), l = ew - spec.padLeft(), r = ew - spec.padRight();
        if (t < 0 || b < 0 || l < 0 || r < 0) return null;
        return ConvSpec.builder(spec.outChannels(), spec.inChannels(), spec.kernelH(), spec.kernelW())
                .groups(spec.groups()).dilation(spec.dilationH(), spec.dilationW()).padding(t, l, b, r).build();
    }

    /** The transposed, flipped weights of {@code spec}'s OIHW weights {@code w}. */
    public static float[] weights(ConvSpec spec, float[] w) {
        int kh = spec.kernelH(), kw = spec.kernelW(), k = kh * kw;
        int cinG = spec.inChannelsPerGroup(), coutG = spec.outChannelsPerGroup();
        float[] t = new float[w.length];
        for (int o = 0; o < spec.outChannels(); o++) {
            int g = o / coutG, oi = o - g * coutG;
            for (int ii = 0; ii < cinG; ii++) {
                int i = g * cinG + ii;
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        t[(i * coutG + oi) * k + (kh - 1 - ky) * kw + (kw - 1 - kx)] = w[(o * cinG + ii) * k + ky * kw + kx];
                    }
                }
            }
        }
        return t;
    }
}
