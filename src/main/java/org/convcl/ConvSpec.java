package org.convcl;

import java.util.Objects;

/**
 * An immutable description of one 2D convolution layer: channels, kernel, stride, explicit
 * (possibly asymmetric) padding, dilation and groups. Tensor sizes are not part of the spec, so one
 * spec serves any input height and width.
 *
 * <p>Semantics are those of PyTorch's {@code torch.nn.functional.conv2d}: cross-correlation (no
 * kernel flip), activations NCHW, weights OIHW {@code [outChannels][inChannels/groups][kernelH][kernelW]}.
 * The {@linkplain #kind() kind} (full, grouped, depthwise with multiplier γ, pointwise) is derived.
 *
 * <p>Invalid values throw {@link IllegalArgumentException} naming the field and the value.
 */
public final class ConvSpec {

    /** What sort of convolution a spec describes; derived, never set. */
    public enum Kind {
        /** groups == 1 and not pointwise: every output channel reads every input channel. */
        FULL,
        /** 1 &lt; groups &lt; inChannels. */
        GROUPED,
        /** groups == inChannels: each output channel reads one input channel (γ = out/in of them per input). */
        DEPTHWISE,
        /** 1×1 kernel, stride 1, no padding, dilation 1, groups 1: a matrix product over channels. */
        POINTWISE
    }

    private final int inChannels, outChannels, kernelH, kernelW;
    private final int strideH, strideW, dilationH, dilationW, groups;
    private final int padTop, padLeft, padBottom, padRight;

    private ConvSpec(Builder b) {
        inChannels = positive("inChannels", b.inChannels);
        outChannels = positive("outChannels", b.outChannels);
        kernelH = positive("kernelH", b.kernelH);
        kernelW = positive("kernelW", b.kernelW);
        strideH = positive("strideH", b.strideH);
        strideW = positive("strideW", b.strideW);
        dilationH = positive("dilationH", b.dilationH);
        dilationW = positive("dilationW", b.dilationW);
        groups = positive("groups", b.groups);
        padTop = nonNegative("padTop", b.padTop);
        padLeft = nonNegative("padLeft", b.padLeft);
        padBottom = nonNegative("padBottom", b.padBottom);
        padRight = nonNegative("padRight", b.padRight);
        if (inChannels % groups != 0) {
            throw new IllegalArgumentException(
                    "groups=" + groups + " does not divide inChannels=" + inChannels);
        }
        if (outChannels % groups != 0) {
            throw new IllegalArgumentException(
                    "groups=" + groups + " does not divide outChannels=" + outChannels);
        }
        // Weight count must be addressable by an int on every backend.
        long weights = (long) outChannels * (inChannels / groups) * kernelH * kernelW;
        if (weights > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("weight count " + weights + " (outChannels=" + outChannels
                    + " x inChannels/groups=" + inChannels / groups + " x " + kernelH + "x" + kernelW
                    + ") exceeds " + Integer.MAX_VALUE);
        }
    }

    private static int positive(String field, int value) {
        if (value <= 0) throw new IllegalArgumentException(field + " must be positive, got " + value);
        return value;
    }

    private static int nonNegative(String field, int value) {
        if (value < 0) throw new IllegalArgumentException(field + " must be non-negative, got " + value);
        return value;
    }

    /** A builder for {@code inChannels → outChannels} with a {@code kernelH × kernelW} kernel; stride 1, no padding. */
    public static Builder builder(int inChannels, int outChannels, int kernelH, int kernelW) {
        return new Builder(inChannels, outChannels, kernelH, kernelW);
    }

    /** A standard (groups = 1) convolution with a square kernel. */
    public static Builder full(int inChannels, int outChannels, int kernel) {
        return builder(inChannels, outChannels, kernel, kernel);
    }

    /** A depthwise convolution: groups = channels, depth multiplier γ (outChannels = γ · channels). */
    public static Builder depthwise(int channels, int multiplier, int kernel) {
        if (multiplier <= 0) throw new IllegalArgumentException("multiplier must be positive, got " + multiplier);
        return builder(channels, Math.multiplyExact(channels, multiplier), kernel, kernel).groups(channels);
    }

    /** A pointwise (1×1) convolution. */
    public static ConvSpec pointwise(int inChannels, int outChannels) {
        return builder(inChannels, outChannels, 1, 1).build();
    }

    /**
     * The output size along one axis; the only place this formula lives.
     * {@code floor((in + padBefore + padAfter − dilation·(kernel−1) − 1) / stride) + 1}, which is below 1
     * when the dilated kernel is larger than the padded input.
     */
    public static int outputSize(int in, int padBefore, int padAfter, int kernel, int stride, int dilation) {
        long span = (long) in + padBefore + padAfter - (long) dilation * (kernel - 1) - 1;
        return span < 0 ? 0 : (int) (span / stride + 1);
    }

    /** Output height for an input of height {@code inH}; throws when the (dilated) kernel does not fit. */
    public int outHeight(int inH) {
        return checkedOut("height", inH, padTop, padBottom, kernelH, strideH, dilationH);
    }

    /** Output width for an input of width {@code inW}; throws when the (dilated) kernel does not fit. */
    public int outWidth(int inW) {
        return checkedOut("width", inW, padLeft, padRight, kernelW, strideW, dilationW);
    }

    private static int checkedOut(String axis, int in, int padA, int padB, int k, int s, int d) {
        if (in <= 0) throw new IllegalArgumentException("input " + axis + " must be positive, got " + in);
        int out = outputSize(in, padA, padB, k, s, d);
        if (out < 1) {
            throw new IllegalArgumentException("kernel " + axis + " " + k + " (dilated to " + ((long) d * (k - 1) + 1)
                    + ") is larger than the padded input " + axis + " " + ((long) in + padA + padB));
        }
        return out;
    }

    /** The output shape {@code [n, outChannels, OH, OW]} for an input shape; validates the input channels. */
    public Shape outputShape(Shape input) {
        Objects.requireNonNull(input, "input shape");
        if (input.c() != inChannels) {
            throw new IllegalArgumentException("input channels " + input.c() + " do not match spec inChannels=" + inChannels);
        }
        return new Shape(input.n(), outChannels, outHeight(input.h()), outWidth(input.w()));
    }

    /**
     * Validates the input shape a caller expects at prepare time ({@link Backend#prepare(ConvSpec, float[],
     * Epilogue, Shape)}): its channel count must be {@code inChannels} and the (dilated) kernel must fit its
     * padded height and width. {@code null} means unknown and passes.
     *
     * @return the output shape for {@code expectedInput}, or null when it is null
     * @throws IllegalArgumentException naming {@code expectedInput} and the value that does not fit
     */
    public Shape expectedOutputShape(Shape expectedInput) {
        if (expectedInput == null) return null;
        if (expectedInput.c() != inChannels) {
            throw new IllegalArgumentException("expectedInput " + expectedInput + " has c=" + expectedInput.c()
                    + " channels but spec inChannels=" + inChannels);
        }
        try {
            return outputShape(expectedInput);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expectedInput " + expectedInput + " does not fit " + this + ": "
                    + e.getMessage(), e);
        }
    }

    /** The derived kind of this convolution. */
    public Kind kind() {
        if (groups == 1 && kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1
                && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0) {
            return Kind.POINTWISE; // dilation is irrelevant for a 1×1 kernel
        }
        if (groups == 1) return Kind.FULL;
        if (groups == inChannels) return Kind.DEPTHWISE;
        return Kind.GROUPED;
    }

    /** Depth multiplier γ = outChannels / inChannels of a depthwise spec; 0 when the kind is not depthwise. */
    public int depthMultiplier() {
        return kind() == Kind.DEPTHWISE ? outChannels / inChannels : 0;
    }

    /** Number of weights: {@code outChannels · inChannels/groups · kernelH · kernelW}. */
    public int weightCount() {
        return outChannels * (inChannels / groups) * kernelH * kernelW;
    }

    /** Length of the reduction behind each output: {@code inChannels/groups · kernelH · kernelW}. */
    public int reductionLength() {
        return (inChannels / groups) * kernelH * kernelW;
    }

    public int inChannels() { return inChannels; }
    public int outChannels() { return outChannels; }
    public int kernelH() { return kernelH; }
    public int kernelW() { return kernelW; }
    public int strideH() { return strideH; }
    public int strideW() { return strideW; }
    public int dilationH() { return dilationH; }
    public int dilationW() { return dilationW; }
    public int groups() { return groups; }
    public int padTop() { return padTop; }
    public int padLeft() { return padLeft; }
    public int padBottom() { return padBottom; }
    public int padRight() { return padRight; }
    /** Input channels read by each output channel: {@code inChannels / groups}. */
    public int inChannelsPerGroup() { return inChannels / groups; }
    /** Output channels per group: {@code outChannels / groups}. */
    public int outChannelsPerGroup() { return outChannels / groups; }

    /** A builder preloaded with this spec's values. */
    public Builder toBuilder() {
        return builder(inChannels, outChannels, kernelH, kernelW).stride(strideH, strideW)
                .dilation(dilationH, dilationW).groups(groups).padding(padTop, padLeft, padBottom, padRight);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ConvSpec s)) return false;
        return inChannels == s.inChannels && outChannels == s.outChannels && kernelH == s.kernelH
                && kernelW == s.kernelW && strideH == s.strideH && strideW == s.strideW
                && dilationH == s.dilationH && dilationW == s.dilationW && groups == s.groups
                && padTop == s.padTop && padLeft == s.padLeft && padBottom == s.padBottom && padRight == s.padRight;
    }

    @Override
    public int hashCode() {
        return Objects.hash(inChannels, outChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW,
                groups, padTop, padLeft, padBottom, padRight);
    }

    /** A compact, readable form, e.g. {@code conv 32->64 k3x3 s2x2 p1,1,1,1 d1x1 g32 (DEPTHWISE γ=2)}. */
    @Override
    public String toString() {
        String kindText = kind() == Kind.DEPTHWISE ? "DEPTHWISE γ=" + depthMultiplier() : kind().name();
        return "conv " + inChannels + "->" + outChannels + " k" + kernelH + "x" + kernelW + " s" + strideH + "x" + strideW
                + " p" + padTop + "," + padLeft + "," + padBottom + "," + padRight + " d" + dilationH + "x" + dilationW
                + " g" + groups + " (" + kindText + ")";
    }

    /** Builds a {@link ConvSpec}; every value is validated by {@link #build()}. */
    public static final class Builder {
        private final int inChannels, outChannels, kernelH, kernelW;
        private int strideH = 1, strideW = 1, dilationH = 1, dilationW = 1, groups = 1;
        private int padTop, padLeft, padBottom, padRight;

        private Builder(int inChannels, int outChannels, int kernelH, int kernelW) {
            this.inChannels = inChannels;
            this.outChannels = outChannels;
            this.kernelH = kernelH;
            this.kernelW = kernelW;
        }

        public Builder stride(int s) { return stride(s, s); }
        public Builder stride(int sh, int sw) { strideH = sh; strideW = sw; return this; }
        public Builder dilation(int d) { return dilation(d, d); }
        public Builder dilation(int dh, int dw) { dilationH = dh; dilationW = dw; return this; }
        public Builder groups(int g) { groups = g; return this; }
        /** The same padding on all four sides. */
        public Builder padding(int p) { return padding(p, p, p, p); }
        /** Symmetric padding: {@code ph} rows top and bottom, {@code pw} columns left and right. */
        public Builder padding(int ph, int pw) { return padding(ph, pw, ph, pw); }
        /** Explicit padding in the order top, left, bottom, right. */
        public Builder padding(int top, int left, int bottom, int right) {
            padTop = top; padLeft = left; padBottom = bottom; padRight = right;
            return this;
        }

        /**
         * "Same" padding for an input of {@code inH × inW}: the output is {@code ceil(in / stride)} on each
         * axis, the extra row or column (when the total is odd) going to the bottom or right, as in
         * TensorFlow and PyTorch's {@code padding='same'}.
         */
        public Builder samePadding(int inH, int inW) {
            int[] h = samePads("inH", inH, kernelH, strideH, dilationH);
            int[] w = samePads("inW", inW, kernelW, strideW, dilationW);
            return padding(h[0], w[0], h[1], w[1]);
        }

        /** "Same" padding for stride 1, which does not depend on the input size. */
        public Builder samePadding() {
            if (strideH != 1 || strideW != 1) {
                throw new IllegalArgumentException("samePadding() without input size needs stride 1, got stride "
                        + strideH + "x" + strideW + "; use samePadding(inH, inW)");
            }
            return samePadding(1, 1);
        }

        private static int[] samePads(String field, int in, int k, int s, int d) {
            if (in <= 0) throw new IllegalArgumentException(field + " must be positive, got " + in);
            if (s <= 0 || d <= 0 || k <= 0) return new int[] {0, 0}; // build() reports the bad field
            long out = (in + (long) s - 1) / s;
            long total = Math.max(0, (out - 1) * s + (long) d * (k - 1) + 1 - in);
            return new int[] {(int) (total / 2), (int) (total - total / 2)};
        }

        public ConvSpec build() { return new ConvSpec(this); }
    }
}
