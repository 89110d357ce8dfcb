package org.convcl;

import java.util.Objects;

/**
 * What one convolution costs: parameters, multiply-accumulates (MACs), FLOPs and bytes moved, for a
 * {@link ConvSpec} applied to an input {@link Shape}; plus the closed-form formulas of the seed documents as
 * named static methods, so reports can show the prediction next to the general count.
 *
 * <p>The general MAC count is {@code N·Cout·OH·OW·(Cin/groups)·KH·KW}. It covers strides, non-square kernels,
 * dilation (which changes OH/OW only), groups, depth multiplier γ and batch. One MAC is two FLOPs.
 *
 * <p>{@link #bytes()} is a <em>minimum-traffic</em> model: every input, weight (and bias) and output element is
 * moved exactly once as fp32. Real kernels re-read inputs and weights, so achieved GB/s computed from it is a
 * lower bound on the traffic the device actually served.
 *
 * <p>Seed notation: {@code Dk} kernel side, {@code M} input channels, {@code N} output channels, {@code Df}
 * feature-map side (same padding, stride 1, so input and output sides are equal). Seed 002 writes
 * {@code N_i} for the input channels, {@code F_r × F_c} for the filter and {@code L_r × L_c} for the map.
 */
public final class Cost {
    private static final int FLOAT_BYTES = 4;

    private final ConvSpec spec;
    private final Shape input;
    private final Shape output;
    private final boolean bias;

    private Cost(ConvSpec spec, Shape input, boolean bias) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.input = Objects.requireNonNull(input, "input shape");
        this.output = spec.outputShape(input);
        this.bias = bias;
    }

    /** The cost of {@code spec} on {@code input}, without a bias; throws when the input does not fit the spec. */
    public static Cost of(ConvSpec spec, Shape input) {
        return new Cost(spec, input, false);
    }

    /** The cost of {@code spec} on {@code input}; {@code withBias} adds {@code Cout} parameters. */
    public static Cost of(ConvSpec spec, Shape input, boolean withBias) {
        return new Cost(spec, input, withBias);
    }

    public ConvSpec spec() { return spec; }

    public Shape input() { return input; }

    /** The output shape, from {@link ConvSpec#outputShape}. */
    public Shape output() { return output; }

    /** Weights only: {@code Cout·(Cin/groups)·KH·KW}. */
    public long weights() {
        return (long) spec.outChannels() * spec.inChannelsPerGroup() * spec.kernelH() * spec.kernelW();
    }

    /** Trainable parameters: {@link #weights()} plus {@code Cout} when the layer has a bias. */
    public long params() {
        return weights() + (bias ? spec.outChannels() : 0);
    }

    /** Multiply-accumulates: {@code N·Cout·OH·OW·(Cin/groups)·KH·KW}. */
    public long macs() {
        return (long) output.n() * output.c() * output.h() * output.w() * spec.reductionLength();
    }

    /** Floating-point operations, {@code 2·MACs}. */
    public long flops() {
        return 2 * macs();
    }

    /** Minimum traffic in bytes: input, parameters and output, each element once as fp32. */
    public long bytes() {
        return FLOAT_BYTES * ((long) input.count() + params() + output.count());
    }

    @Override
    public String toString() {
        return "Cost[" + spec + " on " + input + ": params=" + params() + ", MACs=" + macs() + ", bytes=" + bytes() + "]";
    }

    // ---- Seed 001: standard vs depthwise-separable (same padding, stride 1) ----

    /** Seed 001 eq. 1, standard convolution: {@code Dk²·M·N·Df²} MACs. */
    public static long standardMacs(int dk, int m, int n, int df) {
        return sq(dk) * m * n * sq(df);
    }

    /** Seed 001 eq. 2, depthwise convolution: {@code Dk²·M·Df²} MACs. */
    public static long depthwiseMacs(int dk, int m, int df) {
        return depthwiseMacs(dk, m, df, 1);
    }

    /** Depthwise convolution with depth multiplier γ: {@code γ·Dk²·M·Df²} MACs. */
    public static long depthwiseMacs(int dk, int m, int df, int gamma) {
        positive("gamma", gamma);
        return gamma * sq(dk) * m * sq(df);
    }

    /** Seed 001 eq. 3, pointwise convolution: {@code M·N·Df²} MACs. */
    public static long pointwiseMacs(int m, int n, int df) {
        return (long) m * n * sq(df);
    }

    /**
     * Seed 001 eq. 4: the depthwise-separable cost as a fraction of the standard one,
     * {@code C_reduction = 1/N + 1/Dk²}. The predicted speedup is its reciprocal.
     */
    public static double separableReduction(int n, int dk) {
        positive("n", n);
        positive("dk", dk);
        return 1.0 / n + 1.0 / sq(dk);
    }

    /**
     * Seed 002's break-even: depthwise-separable saves weights and MACs when the number of output filters
     * {@code N_o ≥ F_r·F_c / (F_r·F_c − 1)}; 9/8 for 3×3. Throws for a 1×1 filter, which never breaks even.
     */
    public static double breakEvenOutputs(int fr, int fc) {
        long area = (long) positive("fr", fr) * positive("fc", fc);
        if (area == 1) throw new IllegalArgumentException("a 1x1 filter has no break-even point (fr=1, fc=1)");
        return (double) area / (area - 1);
    }

    // ---- Seed 000: spatially separable kernels ----

    /** Weights of a {@code K×K} kernel per (input, output) channel pair: {@code K²}. */
    public static long spatialFullWeights(int k) {
        return sq(k);
    }

    /** Weights of the {@code K×1} + {@code 1×K} pair that replaces a {@code K×K} kernel: {@code 2K}. */
    public static long spatialSeparableWeights(int k) {
        return 2L * positive("k", k);
    }

    // ---- Seed 002: depth multiplier γ at the depthwise step, and the distributed √γ form ----

    /** γ at the depthwise step: {@code weights_d = γ·N_i·F_r·F_c}. */
    public static double gammaDepthwiseWeights(double gamma, int ni, int fr, int fc) {
        return gamma * ni * fr * fc;
    }

    /** γ at the depthwise step: {@code weights_p = γ·N_o·N_i} (the pointwise step reads γ·N_i maps). */
    public static double gammaPointwiseWeights(double gamma, int no, int ni) {
        return gamma * no * ni;
    }

    /** γ at the depthwise step: {@code MACs_d = γ·N_i·F_r·F_c·L_r·L_c}. */
    public static double gammaDepthwiseMacs(double gamma, int ni, int fr, int fc, int lr, int lc) {
        return gammaDepthwiseWeights(gamma, ni, fr, fc) * lr * lc;
    }

    /** γ at the depthwise step: {@code MACs_p = γ·N_o·N_i·L_r·L_c}. */
    public static double gammaPointwiseMacs(double gamma, int no, int ni, int lr, int lc) {
        return gammaPointwiseWeights(gamma, no, ni) * lr * lc;
    }

    /** Distributed form, √γ at the depthwise step: {@code weights_d = √γ·N_i·F_r·F_c}. */
    public static double distributedDepthwiseWeights(double gamma, int ni, int fr, int fc) {
        return Math.sqrt(gamma) * ni * fr * fc;
    }

    /** Distributed form, √γ at the pointwise step: {@code weights_p = γ^{3/2}·N_i²}. */
    public static double distributedPointwiseWeights(double gamma, int ni) {
        return Math.pow(gamma, 1.5) * ni * ni;
    }

    /** Distributed form: {@code MACs_d = √γ·N_i·F_r·F_c·L_r·L_c}. */
    public static double distributedDepthwiseMacs(double gamma, int ni, int fr, int fc, int lr, int lc) {
        return distributedDepthwiseWeights(gamma, ni, fr, fc) * lr * lc;
    }

    /** Distributed form: {@code MACs_p = γ^{3/2}·N_i²·L_r·L_c}. */
    public static double distributedPointwiseMacs(double gamma, int ni, int lr, int lc) {
        return distributedPointwiseWeights(gamma, ni) * lr * lc;
    }

    private static long sq(int v) {
        positive("size", v);
        return (long) v * v;
    }

    private static int positive(String field, int value) {
        if (value <= 0) throw new IllegalArgumentException(field + " must be positive, got " + value);
        return value;
    }
}
