package org.convcl;

/**
 * A 2-D pooling window over each channel of an NCHW tensor, with ONNX's and PyTorch's semantics: explicit, possibly
 * asymmetric pads; dilation (max only); ceil mode (the last window must start inside the input or its top/left pad);
 * the average's divisor is the window clipped to the padded input when {@code countIncludePad}, else the taps read.
 * A max over a window that reads a NaN is NaN. Immutable.
 *
 * @param kind the reduction
 */
public record PoolSpec(Kind kind, int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft,
                       int padBottom, int padRight, int dilationH, int dilationW, boolean ceilMode, boolean countIncludePad) {
    /** The reduction over a window; {@link #code()} is the kernels' number. */
    public enum Kind {
        /** The largest value. */
        MAX(0),
        /** The mean. */
        AVERAGE(1);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        /** The value the pooling kernel's {@code kind} argument takes. */
        public int code() { return code; }
    }

    /** Checks every field: positive kernel, stride and dilation, pads in {@code [0, kernel)}, dilation 1 for AVERAGE. */
    public PoolSpec {
        if (kind == null) throw new IllegalArgumentException("pool kind must not be null");
        positive("kernelH", kernelH);
        positive("kernelW", kernelW);
        positive("strideH", strideH);
        positive("strideW", strideW);
        positive("dilationH", dilationH);
        positive("dilationW", dilationW);
        pad("padTop", padTop, kernelH);
        pad("padBottom", padBottom, kernelH);
        pad("padLeft", padLeft, kernelW);
        pad("padRight", padRight, kernelW);
        if (kind == Kind.AVERAGE && (dilationH != 1 || dilationW != 1)) {
            throw new IllegalArgumentException("average pooling takes no dilation, got dilation " + dilationH + "x" + dilationW);
        }
    }

    /** A global average over each channel of an {@code h × w} input. */
    public static PoolSpec globalAverage(int h, int w) {
        return new PoolSpec(Kind.AVERAGE, h, w, 1, 1, 0, 0, 0, 0, 1, 1, false, false);
    }

    private static void positive(String field, int v) {
        if (v < 1) throw new IllegalArgumentException("pool " + field + " must be positive, got " + v);
    }

    private static void pad(String field, int v, int kernel) {
        if (v < 0 || v >= kernel) throw new IllegalArgumentException("pool " + field + " must be in [0, " + kernel + "), got " + v);
    }

    /** The first of {@code outW} output columns whose window reads no left pad ({@code outW} when none). */
    public int firstInsideColumn(int outW) {
        return Math.min(outW, Math.floorDiv(padLeft + strideW - 1, strideW));
    }

    /**
     * One past the last of {@code outW} output columns whose window reads no pad over an input {@code inW} wide: the
     * columns {@code [firstInsideColumn(outW), endInsideColumn(inW, outW))} read only the input (an empty range when
     * none does).
     */
    public int endInsideColumn(int inW, int outW) {
        long span = (long) dilationW * (kernelW - 1) + 1;
        long end = Math.floorDiv(inW - span + padLeft, (long) strideW) + 1;
        return (int) Math.max(firstInsideColumn(outW), Math.min(outW, end));
    }

    /** Output size along one axis; PyTorch's rule for ceil mode. −1 when the window does not fit. */
    public static int outputSize(int in, int padBefore, int padAfter, int kernel, int stride, int dilation, boolean ceil) {
        long span = (long) dilation * (kernel - 1) + 1;
        long num = (long) in + padBefore + padAfter - span;
        if (num < 0) return -1;
        long out = (ceil ? Math.floorDiv(num + stride - 1, stride) : Math.floorDiv(num, stride)) + 1;
        if (ceil && (out - 1) * stride >= in + padBefore) out--; // the last window must start inside the input
        return out > Integer.MAX_VALUE ? -1 : (int) out;
    }

    /**
     * The output shape for {@code input}.
     *
     * @throws IllegalArgumentException naming both when the window does not fit the input
     */
    public Shape outputShape(Shape input) {
        if (input == null) throw new IllegalArgumentException("input shape must not be null");
        int oh = outputSize(input.h(), padTop, padBottom, kernelH, strideH, dilationH, ceilMode);
        int ow = outputSize(input.w(), padLeft, padRight, kernelW, strideW, dilationW, ceilMode);
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("pool window " + this + " does not fit input " + input);
        return new Shape(input.n(), input.c(), oh, ow);
    }
}
