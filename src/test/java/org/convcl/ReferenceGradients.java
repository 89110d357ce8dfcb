package org.convcl;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The naive backward passes, test-only, written from the definition of the convolution rather than from any forward
 * code: for every term {@code dz[n][o][oy][ox] · w[o][i'][ky][kx] · x[n][i][iy][ix]} of the sum that makes
 * {@code z = conv(x, w) + b}, with {@code iy = oy·sh − padTop + ky·dh} and {@code ix = ox·sw − padLeft + kx·dw} inside
 * the input, the gradient of {@code x[n][i][iy][ix]} receives {@code dz·w} and that of {@code w[o][i'][ky][kx]} receives
 * {@code dz·x}; {@code db[o]} is the sum of {@code dz[·][o][·][·]}. Double accumulation throughout; the output size is
 * {@link Reference#outputSize}'s own.
 */
public final class ReferenceGradients {
    private ReferenceGradients() {}

    /** The gradients of one convolution, in double: {@code dx} NCHW, {@code dw} OIHW, {@code db} per output channel. */
    public record Grads(double[] dx, double[] dw, double[] db) {}

    /** Every gradient of {@code z = conv(x, w) + b} for the upstream gradient {@code dz}. */
    public static Grads gradients(Tensor x, ConvSpec s, float[] w, Tensor dz) {
        Shape in = x.shape();
        Shape out = Reference.outputShape(in, s);
        if (!out.equals(dz.shape())) throw new IllegalArgumentException("reference: dz " + dz.shape() + ", expected " + out);
        int cinG = s.inChannels() / s.groups(), coutG = s.outChannels() / s.groups();
        double[] dx = new double[in.count()], dw = new double[w.length], db = new double[s.outChannels()];
        for (int n = 0; n < out.n(); n++) {
            for (int o = 0; o < out.c(); o++) {
                int group = o / coutG;
                for (int oy = 0; oy < out.h(); oy++) {
                    for (int ox = 0; ox < out.w(); ox++) {
                        double g = dz.get(n, o, oy, ox);
                        db[o] += g;
                        for (int ig = 0; ig < cinG; ig++) {
                            int i = group * cinG + ig;
                            for (int ky = 0; ky < s.kernelH(); ky++) {
                                int iy = oy * s.strideH() - s.padTop() + ky * s.dilationH();
                                if (iy < 0 || iy >= in.h()) continue;
                                for (int kx = 0; kx < s.kernelW(); kx++) {
                                    int ix = ox * s.strideW() - s.padLeft() + kx * s.dilationW();
                                    if (ix < 0 || ix >= in.w()) continue;
                                    int wi = ((o * cinG + ig) * s.kernelH() + ky) * s.kernelW() + kx;
                                    dx[in.index(n, i, iy, ix)] += g * w[wi];
                                    dw[wi] += g * x.get(n, i, iy, ix);
                                }
                            }
                        }
                    }
                }
            }
        }
        return new Grads(dx, dw, db);
    }

    /** The forward {@code z = conv(x, w) + b} in double ({@code b} may be null), for finite differences. */
    public static double[] forward64(double[] x, Shape in, ConvSpec s, double[] w, double[] b) {
        Shape out = Reference.outputShape(in, s);
        int cinG = s.inChannels() / s.groups(), coutG = s.outChannels() / s.groups();
        double[] z = new double[out.count()];
        for (int n = 0; n < out.n(); n++) {
            for (int o = 0; o < out.c(); o++) {
                for (int oy = 0; oy < out.h(); oy++) {
                    for (int ox = 0; ox < out.w(); ox++) {
                        double acc = b == null ? 0 : b[o];
                        for (int ig = 0; ig < cinG; ig++) {
                            int i = (o / coutG) * cinG + ig;
                            for (int ky = 0; ky < s.kernelH(); ky++) {
                                int iy = oy * s.strideH() - s.padTop() + ky * s.dilationH();
                                for (int kx = 0; kx < s.kernelW(); kx++) {
                                    int ix = ox * s.strideW() - s.padLeft() + kx * s.dilationW();
                                    if (iy < 0 || iy >= in.h() || ix < 0 || ix >= in.w()) continue;
                                    acc += x[in.index(n, i, iy, ix)] * w[((o * cinG + ig) * s.kernelH() + ky) * s.kernelW() + kx];
                                }
                            }
                        }
                        z[out.index(n, o, oy, ox)] = acc;
                    }
                }
            }
        }
        return z;
    }

    /** A float array as doubles. */
    public static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** The largest absolute value (0 for none; NaN values ignored). */
    public static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) if (Math.abs(v) > m) m = Math.abs(v);
        return m;
    }

    /**
     * Fails naming {@code context} and the worst element, laid out as {@code shape}, unless every element is within
     * {@code rel · max|expected|} (plus a floor of 1e-6 for all-zero gradients): the issue's {@code 1e-4·max|grad|}
     * criterion when {@code rel} is 1e-4. NaN must match NaN.
     */
    public static void assertClose(double[] expected, float[] actual, Shape shape, double rel, String context) {
        if (expected.length != actual.length) fail(context + ": length " + actual.length + ", expected " + expected.length);
        double tol = rel * maxAbs(expected) + 1e-6;
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) && Double.isNaN(a)) continue;
            double diff = Math.abs(a - e);
            double excess = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff - tol;
            if (excess > worstExcess || (worst < 0 && excess > 0)) {
                worst = i;
                worstExcess = excess;
            }
        }
        if (worst >= 0) {
            int x = worst % shape.w(), y = worst / shape.w() % shape.h(), c = worst / (shape.w() * shape.h()) % shape.c(),
                    n = worst / (shape.w() * shape.h() * shape.c());
            fail(String.format("%s: worst element at (%d, %d, %d, %d) of %s: expected %s, got %s (|diff| %.3g > %.3g = %.0e·max|e| + 1e-6)",
                    context, n, c, y, x, shape, expected[worst], actual[worst], Math.abs(actual[worst] - expected[worst]), tol, rel));
        }
    }
}
