package org.convcl;

import java.util.Objects;

/**
 * An immutable depthwise-separable block (MobileNet): a depthwise step (depth multiplier γ, kernel, stride,
 * dilation, padding) with its epilogue (typically batch-norm then ReLU or ReLU6), then a pointwise (1×1) step
 * to {@code outChannels} with its own epilogue (batch-norm, optional activation).
 *
 * <pre>
 *   in [N, C, H, W] → depthwise C→γC, KH×KW → bn → act → [N, γC, OH, OW] → pointwise γC→Cout → bn → act
 * </pre>
 *
 * <p>Weights are not part of the description; they are given to {@link Backend#prepareBlock}, where batch-norm
 * folds into them ({@link Epilogue#fold}). Invalid values throw {@link IllegalArgumentException} naming the field.
 */
public final class SeparableBlock {
    private final ConvSpec depthwise;
    private final ConvSpec pointwise;
    private final Epilogue depthwiseEpilogue;
    private final Epilogue pointwiseEpilogue;

    private SeparableBlock(ConvSpec depthwise, ConvSpec pointwise, Epilogue depthwiseEpilogue, Epilogue pointwiseEpilogue) {
        this.depthwise = depthwise;
        this.pointwise = pointwise;
        this.depthwiseEpilogue = Objects.requireNonNull(depthwiseEpilogue, "depthwiseEpilogue");
        this.pointwiseEpilogue = Objects.requireNonNull(pointwiseEpilogue, "pointwiseEpilogue");
        checkChannels("depthwise", depthwiseEpilogue, depthwise.outChannels());
        checkChannels("pointwise", pointwiseEpilogue, pointwise.outChannels());
    }

    private static void checkChannels(String step, Epilogue e, int channels) {
        if (e.hasBias() && e.biasValues().length != channels) {
            throw new IllegalArgumentException(step + " bias length " + e.biasValues().length + " does not match its "
                    + channels + " output channels");
        }
        if (e.batchNorm() != null && e.batchNorm().channels() != channels) {
            throw new IllegalArgumentException(step + " batchNorm length " + e.batchNorm().channels()
                    + " does not match its " + channels + " output channels");
        }
    }

    /** A builder for a block from {@code inChannels} to {@code outChannels}: 3×3, γ 1, stride 1, ReLU after each step. */
    public static Builder builder(int inChannels, int outChannels) {
        return new Builder(inChannels, outChannels);
    }

    /**
     * A MobileNet-V1 block: depthwise 3×3 (γ 1, padding 1, the given stride) → ReLU → pointwise
     * {@code inChannels→outChannels} → ReLU, without batch-norm (add it with {@link #withBatchNorm}).
     */
    public static SeparableBlock mobilenet(int inChannels, int outChannels, int stride) {
        return builder(inChannels, outChannels).stride(stride).build();
    }

    /**
     * Seed 002's "distributed" depth multiplication: a target multiplier γ (output channels {@code γ·inChannels})
     * split as √γ at the depthwise step ({@code C → √γ·C}, a {@code kernel×kernel} filter, stride 1, same padding)
     * and √γ at the pointwise step ({@code √γ·C → γ·C}), ReLU after each. γ must be a perfect square (1, 4, 9, …):
     * nothing is rounded, a non-square γ throws {@link IllegalArgumentException}.
     */
    public static SeparableBlock distributed(int inChannels, int gamma, int kernel) {
        if (gamma <= 0) throw new IllegalArgumentException("gamma must be positive, got " + gamma);
        int root = (int) Math.round(Math.sqrt(gamma));
        if (root * root != gamma) {
            throw new IllegalArgumentException("gamma must be a perfect square for the distributed form (√γ at each step), got "
                    + gamma);
        }
        return builder(inChannels, Math.multiplyExact(inChannels, gamma)).depthMultiplier(root).kernel(kernel).build();
    }

    /** This block with batch-norm added after each step (activations and biases kept). */
    public SeparableBlock withBatchNorm(Epilogue.BatchNorm depthwiseNorm, Epilogue.BatchNorm pointwiseNorm) {
        return new SeparableBlock(depthwise, pointwise, withNorm(depthwiseEpilogue, depthwiseNorm),
                withNorm(pointwiseEpilogue, pointwiseNorm));
    }

    private static Epilogue withNorm(Epilogue e, Epilogue.BatchNorm norm) {
        return Epilogue.builder().bias(e.biasValues()).batchNorm(norm).activation(e.activationKind()).build();
    }

    /** The depthwise step: {@code C → γ·C}, groups C. */
    public ConvSpec depthwise() { return depthwise; }

    /** The pointwise step: {@code γ·C → outChannels}, 1×1. */
    public ConvSpec pointwise() { return pointwise; }

    /** Bias, batch-norm and activation after the depthwise step. */
    public Epilogue depthwiseEpilogue() { return depthwiseEpilogue; }

    /** Bias, batch-norm and activation after the pointwise step. */
    public Epilogue pointwiseEpilogue() { return pointwiseEpilogue; }

    public int inChannels() { return depthwise.inChannels(); }

    /** Channels between the steps: {@code γ · inChannels}. */
    public int midChannels() { return depthwise.outChannels(); }

    public int outChannels() { return pointwise.outChannels(); }

    /** The depthwise step's multiplier γ. */
    public int depthMultiplier() { return depthwise.depthMultiplier(); }

    /**
     * The standard convolution this block replaces: {@code inChannels → outChannels} with the depthwise step's
     * kernel, stride, dilation and padding, groups 1. It has the block's input and output shapes.
     */
    public ConvSpec standardEquivalent() {
        return ConvSpec.builder(inChannels(), outChannels(), depthwise.kernelH(), depthwise.kernelW())
                .stride(depthwise.strideH(), depthwise.strideW()).dilation(depthwise.dilationH(), depthwise.dilationW())
                .padding(depthwise.padTop(), depthwise.padLeft(), depthwise.padBottom(), depthwise.padRight()).build();
    }

    /** The intermediate (depthwise output) shape for an input shape. */
    public Shape midShape(Shape input) {
        return depthwise.outputShape(input);
    }

    /** The block's output shape for an input shape. */
    public Shape outputShape(Shape input) {
        return pointwise.outputShape(depthwise.outputShape(input));
    }

    /** A builder preloaded with this block's values. */
    public Builder toBuilder() {
        Builder b = builder(inChannels(), outChannels()).depthMultiplier(depthMultiplier())
                .kernel(depthwise.kernelH(), depthwise.kernelW()).stride(depthwise.strideH(), depthwise.strideW())
                .dilation(depthwise.dilationH(), depthwise.dilationW())
                .padding(depthwise.padTop(), depthwise.padLeft(), depthwise.padBottom(), depthwise.padRight());
        return b.depthwiseEpilogue(depthwiseEpilogue).pointwiseEpilogue(pointwiseEpilogue);
    }

    /** E.g. {@code block 32->64 γ=1 k3x3 s1x1 d1x1 p1,1,1,1 [bn relu | bn relu]}. */
    @Override
    public String toString() {
        ConvSpec d = depthwise;
        return "block " + inChannels() + "->" + outChannels() + " γ=" + depthMultiplier() + " k" + d.kernelH() + "x"
                + d.kernelW() + " s" + d.strideH() + "x" + d.strideW() + " d" + d.dilationH() + "x" + d.dilationW() + " p"
                + d.padTop() + "," + d.padLeft() + "," + d.padBottom() + "," + d.padRight() + " ["
                + describe(depthwiseEpilogue) + " | " + describe(pointwiseEpilogue) + "]";
    }

    private static String describe(Epilogue e) {
        return (e.hasBias() ? "bias " : "") + (e.batchNorm() != null ? "bn " : "") + e.activationKind().name().toLowerCase();
    }

    /**
     * Builds a {@link SeparableBlock}. Defaults: γ 1, 3×3 kernel, stride 1, dilation 1, padding
     * {@code dilation·(kernel−1)/2} on each side of each axis (PyTorch's MobileNet padding), ReLU after each
     * step and no batch-norm.
     */
    public static final class Builder {
        private final int inChannels, outChannels;
        private int gamma = 1, kernelH = 3, kernelW = 3, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
        private int[] padding; // top, left, bottom, right; null = the default
        private Epilogue depthwiseEpilogue = Epilogue.activation(Activation.RELU);
        private Epilogue pointwiseEpilogue = Epilogue.activation(Activation.RELU);

        private Builder(int inChannels, int outChannels) {
            this.inChannels = inChannels;
            this.outChannels = outChannels;
        }

        /** Depth multiplier γ of the depthwise step (its output has {@code γ·inChannels} channels). */
        public Builder depthMultiplier(int gamma) { this.gamma = gamma; return this; }
        public Builder kernel(int k) { return kernel(k, k); }
        public Builder kernel(int kh, int kw) { kernelH = kh; kernelW = kw; return this; }
        public Builder stride(int s) { return stride(s, s); }
        public Builder stride(int sh, int sw) { strideH = sh; strideW = sw; return this; }
        public Builder dilation(int d) { return dilation(d, d); }
        public Builder dilation(int dh, int dw) { dilationH = dh; dilationW = dw; return this; }
        public Builder padding(int p) { return padding(p, p, p, p); }
        /** Explicit padding of the depthwise step, in the order top, left, bottom, right. */
        public Builder padding(int top, int left, int bottom, int right) {
            padding = new int[] {top, left, bottom, right};
            return this;
        }
        /** Bias, batch-norm and activation after the depthwise step. */
        public Builder depthwiseEpilogue(Epilogue e) {
            if (e == null) throw new IllegalArgumentException("depthwiseEpilogue must not be null");
            depthwiseEpilogue = e;
            return this;
        }
        /** Bias, batch-norm and activation after the pointwise step. */
        public Builder pointwiseEpilogue(Epilogue e) {
            if (e == null) throw new IllegalArgumentException("pointwiseEpilogue must not be null");
            pointwiseEpilogue = e;
            return this;
        }
        /** Batch-norm then {@code activation} after the depthwise step. */
        public Builder depthwise(Epilogue.BatchNorm norm, Activation activation) {
            return depthwiseEpilogue(Epilogue.builder().batchNorm(norm).activation(activation).build());
        }
        /** Batch-norm ({@code null} for none) then {@code activation} after the pointwise step. */
        public Builder pointwise(Epilogue.BatchNorm norm, Activation activation) {
            return pointwiseEpilogue(Epilogue.builder().batchNorm(norm).activation(activation).build());
        }

        /** Validates every value; throws {@link IllegalArgumentException} naming the field. */
        public SeparableBlock build() {
            if (inChannels <= 0) throw new IllegalArgumentException("inChannels must be positive, got " + inChannels);
            if (gamma <= 0) throw new IllegalArgumentException("depthMultiplier must be positive, got " + gamma);
            if (kernelH <= 0) throw new IllegalArgumentException("kernelH must be positive, got " + kernelH);
            if (kernelW <= 0) throw new IllegalArgumentException("kernelW must be positive, got " + kernelW);
            if (dilationH <= 0) throw new IllegalArgumentException("dilationH must be positive, got " + dilationH);
            if (dilationW <= 0) throw new IllegalArgumentException("dilationW must be positive, got " + dilationW);
            int[] p = padding != null ? padding : new int[] {dilationH * (kernelH - 1) / 2, dilationW * (kernelW - 1) / 2,
                    dilationH * (kernelH - 1) / 2, dilationW * (kernelW - 1) / 2};
            ConvSpec dw = ConvSpec.builder(inChannels, Math.multiplyExact(inChannels, gamma), kernelH, kernelW)
                    .groups(inChannels).stride(strideH, strideW).dilation(dilationH, dilationW)
                    .padding(p[0], p[1], p[2], p[3]).build();
            return new SeparableBlock(dw, ConvSpec.pointwise(dw.outChannels(), outChannels), depthwiseEpilogue,
                    pointwiseEpilogue);
        }
    }
}
