package org.convcl;

import java.util.List;

/**
 * The Java definition of every {@link TensorOps} operator, on NCHW {@code float} arrays, and the shape checks every
 * backend's {@code TensorOps} shares. The CPU backend runs these on its tensors; the OpenCL kernels
 * ({@code kernels/net_ops.cl}) compute the same in float and are tested against them.
 */
public final class ArrayOps {
    private ArrayOps() {}

    /**
     * The output shape of {@code a op b}: per dimension the larger size, where the other is equal or 1.
     *
     * @throws IllegalArgumentException naming both shapes when a dimension differs and neither is 1
     */
    public static Shape broadcastShape(Shape a, Shape b) {
        int[] x = dims(a), y = dims(b), o = new int[4];
        for (int d = 0; d < 4; d++) {
            if (x[d] != y[d] && x[d] != 1 && y[d] != 1) {
                throw new IllegalArgumentException("shapes " + a + " and " + b + " do not broadcast (dimension " + d + ")");
            }
            o[d] = Math.max(x[d], y[d]);
        }
        return new Shape(o[0], o[1], o[2], o[3]);
    }

    /** Throws naming both shapes unless {@code out} is {@code expected}; {@code role} names the output's source. */
    public static void requireShape(Shape out, Shape expected, String role) {
        if (!out.equals(expected)) {
            throw new IllegalArgumentException("output shape " + out + " does not match " + expected + ", the output of " + role);
        }
    }

    /** The output shape of {@code concatChannels}: the inputs' N, H, W and the sum of their channels. */
    public static Shape concatShape(List<Shape> inputs) {
        if (inputs == null || inputs.isEmpty()) throw new IllegalArgumentException("concat needs at least one input");
        Shape first = inputs.get(0);
        long channels = 0;
        for (Shape s : inputs) {
            if (s.n() != first.n() || s.h() != first.h() || s.w() != first.w()) {
                throw new IllegalArgumentException("concat inputs " + first + " and " + s + " differ in N, H or W");
            }
            channels += s.c();
        }
        if (channels > Integer.MAX_VALUE) throw new IllegalArgumentException("concat of " + inputs + " has too many channels");
        return new Shape(first.n(), (int) channels, first.h(), first.w());
    }

    /** Throws unless {@code out} is none of {@code inputs} (the kernels read and write distinct buffers). */
    public static void requireDistinct(DeviceTensor out, List<DeviceTensor> inputs) {
        for (DeviceTensor in : inputs) {
            if (in == out) throw new IllegalArgumentException("output tensor " + out + " is also an input: use a distinct output");
        }
    }

    /** Checks a {@link TensorOps#pointwise} call's shapes. */
    public static void checkPointwise(Pointwise f, Shape x, Shape out) {
        if (f == null) throw new IllegalArgumentException("pointwise function must not be null");
        if (!out.equals(x)) requireShape(out, x, f.kind() + " of " + x); // messages built only on failure (run paths call these)
    }

    /** Checks a {@link TensorOps#binary} call's shapes. */
    public static void checkBinary(TensorOps.Binary op, Shape a, Shape b, Pointwise then, Shape out) {
        if (op == null) throw new IllegalArgumentException("binary operator must not be null");
        if (then == null) throw new IllegalArgumentException("pointwise function after " + op + " must not be null (identity: none)");
        Shape expected = broadcastShape(a, b);
        if (!out.equals(expected)) requireShape(out, expected, op + " of " + a + " and " + b);
    }

    /** Checks a {@link TensorOps#pool} call's shapes. */
    public static void checkPool(PoolSpec spec, Shape x, Shape out) {
        if (spec == null) throw new IllegalArgumentException("pool spec must not be null");
        Shape expected = spec.outputShape(x);
        if (!out.equals(expected)) requireShape(out, expected, spec + " of " + x);
    }

    /** Checks a {@link TensorOps#dense} call's shapes ({@code bias} null when there is none). */
    public static void checkDense(Shape x, Shape weights, Shape bias, Pointwise then, Shape out) {
        if (then == null) throw new IllegalArgumentException("pointwise function after dense must not be null (identity: none)");
        int k = x.c() * x.h() * x.w();
        if (weights.n() != k || weights.h() != 1 || weights.w() != 1) {
            throw new IllegalArgumentException("dense weights " + weights + " do not match input " + x + ": expected [" + k + ", O, 1, 1]");
        }
        if (bias != null && !bias.equals(new Shape(1, weights.c(), 1, 1))) {
            throw new IllegalArgumentException("dense bias " + bias + " does not match weights " + weights + ": expected [1, "
                    + weights.c() + ", 1, 1]");
        }
        Shape expected = new Shape(x.n(), weights.c(), 1, 1);
        if (!out.equals(expected)) requireShape(out, expected, "dense of " + x + " and weights " + weights);
    }

    /**
     * {@code out[n][o] = then(Σ_k x[n][k] · w[k][o] + bias[o])} ({@link TensorOps#dense}): for each output the sum runs
     * over k in ascending order, each step one fused multiply-add, starting from +0; {@code bias} may be null.
     */
    public static void dense(float[] x, Shape xs, float[] w, Shape ws, float[] bias, Pointwise then, float[] out) {
        int k = xs.c() * xs.h() * xs.w(), o = ws.c();
        float[] acc = new float[o];
        for (int n = 0; n < xs.n(); n++) {
            java.util.Arrays.fill(acc, 0f);
            for (int i = 0; i < k; i++) {
                float v = x[n * k + i];
                int row = i * o;
                for (int j = 0; j < o; j++) acc[j] = Math.fma(w[row + j], v, acc[j]);
            }
            for (int j = 0; j < o; j++) out[n * o + j] = then.apply(bias == null ? acc[j] + 0f : acc[j] + bias[j]);
        }
    }

    /** Checks a {@link TensorOps#copy} call's shapes. */
    public static void checkCopy(Shape src, Shape dst) {
        if (src.count() != dst.count()) {
            throw new IllegalArgumentException("copy of " + src + " into " + dst + ": the element counts differ");
        }
    }

    /** {@code out[i] = f(x[i])}. */
    public static void pointwise(Pointwise f, float[] x, float[] out) {
        for (int i = 0; i < out.length; i++) out[i] = f.apply(x[i]);
    }

    /** {@code out = then(a op b)} with broadcasting ({@link #broadcastShape} of the shapes must be {@code so}). */
    public static void binary(TensorOps.Binary op, float[] a, Shape sa, float[] b, Shape sb, Pointwise then, float[] out, Shape so) {
        int[] ta = strides(sa), tb = strides(sb);
        int i = 0;
        for (int n = 0; n < so.n(); n++) {
            for (int c = 0; c < so.c(); c++) {
                for (int y = 0; y < so.h(); y++) {
                    int ra = n * ta[0] + c * ta[1] + y * ta[2], rb = n * tb[0] + c * tb[1] + y * tb[2];
                    for (int x = 0; x < so.w(); x++, i++) out[i] = then.apply(op.apply(a[ra + x * ta[3]], b[rb + x * tb[3]]));
                }
            }
        }
    }

    /** Element strides of {@code s}, 0 along its dimensions of size 1 (they broadcast). */
    public static int[] strides(Shape s) {
        int[] d = dims(s), t = new int[4];
        int stride = 1;
        for (int k = 3; k >= 0; k--) {
            t[k] = d[k] == 1 ? 0 : stride;
            stride *= d[k];
        }
        return t;
    }

    /** Pools each channel of {@code x} (shape {@code sx}) into {@code out} (shape {@code spec.outputShape(sx)}). */
    public static void pool(PoolSpec spec, float[] x, Shape sx, float[] out, Shape so) {
        poolPlanes(spec, x, sx, out, so, 0, so.n() * so.c());
    }

    /**
     * {@link #pool} of the planes (image, channel) {@code from} to {@code to} (exclusive, counted over {@code n·c}) only:
     * the unit a multi-threaded backend splits.
     */
    public static void poolPlanes(PoolSpec spec, float[] x, Shape sx, float[] out, Shape so, int from, int to) {
        boolean max = spec.kind() == PoolSpec.Kind.MAX;
        int h = sx.h(), w = sx.w(), oh = so.h(), ow = so.w();
        int kh = spec.kernelH(), kw = spec.kernelW(), sh = spec.strideH(), sw = spec.strideW();
        int dh = spec.dilationH(), dw = spec.dilationW(), padTop = spec.padTop(), padLeft = spec.padLeft();
        for (int plane = from; plane < to; plane++) {
            int base = plane * h * w, outBase = plane * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = oy * sh - padTop;
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = ox * sw - padLeft;
                    float acc = max ? Float.NEGATIVE_INFINITY : 0f;
                    int taps = 0;
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = y0 + ky * dh;
                        if (iy < 0 || iy >= h) continue;
                        int row = base + iy * w;
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = x0 + kx * dw;
                            if (ix < 0 || ix >= w) continue;
                            float v = x[row + ix];
                            if (max) acc = Float.isNaN(v) || v > acc ? v : acc; // a NaN, once taken, stays
                            else acc += v;
                            taps++;
                        }
                    }
                    out[outBase + oy * ow + ox] = max ? acc : acc / averageDivisor(spec, h, w, y0, x0, taps);
                }
            }
        }
    }

    /**
     * PyTorch's divisor of the average window starting at {@code (y0, x0)}: the window clipped to the padded input
     * when padding counts, else the number of taps read.
     */
    public static int averageDivisor(PoolSpec spec, int h, int w, int y0, int x0, int taps) {
        if (!spec.countIncludePad()) return taps;
        int yEnd = Math.min(y0 + spec.kernelH(), h + spec.padBottom()), xEnd = Math.min(x0 + spec.kernelW(), w + spec.padRight());
        return (yEnd - y0) * (xEnd - x0);
    }

    /** Concatenates {@code inputs} (shapes {@code shapes}) along channels into {@code out} (shape {@code so}). */
    public static void concatChannels(List<float[]> inputs, List<Shape> shapes, float[] out, Shape so) {
        int plane = so.h() * so.w(), offset = 0;
        for (int i = 0; i < inputs.size(); i++) {
            int row = shapes.get(i).c() * plane;
            for (int n = 0; n < so.n(); n++) System.arraycopy(inputs.get(i), n * row, out, n * so.c() * plane + offset, row);
            offset += row;
        }
    }

    private static int[] dims(Shape s) {
        return new int[] {s.n(), s.c(), s.h(), s.w()};
    }
}
