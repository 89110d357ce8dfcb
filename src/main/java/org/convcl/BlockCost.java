package org.convcl;

import java.util.Objects;

/**
 * What a two-step separable form costs next to the single convolution it replaces, built from one {@link Cost}
 * per step: a depthwise-separable block (seed 001, with γ or the distributed √γ of seed 002), a spatially
 * separable {@code K×1 + 1×K} pair (seed 000), or any two convolutions run back to back.
 *
 * <p>Parameters count a step's bias when it has one after folding (a bias or a batch-norm). Bytes follow
 * {@link Cost#bytes()}'s minimum-traffic model: unfused, the intermediate tensor is written once and read
 * once; {@link #fusedBytes()} leaves that traffic out, as the fused block kernel does.
 */
public final class BlockCost {
    private final Cost first;
    private final Cost second;
    private final Cost standard;

    private BlockCost(Cost first, Cost second, Cost standard) {
        this.first = first;
        this.second = second;
        this.standard = standard;
        if (!first.output().equals(second.input())) {
            throw new IllegalArgumentException("second step input " + second.input() + " is not the first step output "
                    + first.output());
        }
        if (!second.output().equals(standard.output())) {
            throw new IllegalArgumentException("the pair's output " + second.output()
                    + " differs from the replaced convolution's " + standard.output());
        }
    }

    /** A depthwise-separable block on {@code input}, next to {@link SeparableBlock#standardEquivalent()}. */
    public static BlockCost of(SeparableBlock block, Shape input) {
        Objects.requireNonNull(block, "block");
        Objects.requireNonNull(input, "input shape");
        Cost dw = Cost.of(block.depthwise(), input, hasBias(block.depthwiseEpilogue()));
        Cost pw = Cost.of(block.pointwise(), dw.output(), hasBias(block.pointwiseEpilogue()));
        return new BlockCost(dw, pw, Cost.of(block.standardEquivalent(), input));
    }

    /**
     * The spatially separable replacement of a {@code KH×KW} convolution (depthwise or standard, groups 1 or
     * groups == inChannels): a {@code KH×1} step carrying the vertical stride, dilation and padding (and the
     * channel change), then a {@code 1×KW} step carrying the horizontal ones, per output channel.
     */
    public static BlockCost spatial(ConvSpec spec, Shape input) {
        Objects.requireNonNull(spec, "spec");
        boolean depthwise = spec.groups() == spec.inChannels();
        if (!depthwise && spec.groups() != 1) {
            throw new IllegalArgumentException("spatial cost needs groups 1 or groups == inChannels, got " + spec);
        }
        ConvSpec column = ConvSpec.builder(spec.inChannels(), spec.outChannels(), spec.kernelH(), 1).groups(spec.groups())
                .stride(spec.strideH(), 1).dilation(spec.dilationH(), 1).padding(spec.padTop(), 0, spec.padBottom(), 0).build();
        int c = spec.outChannels();
        ConvSpec row = ConvSpec.builder(c, c, 1, spec.kernelW()).groups(depthwise ? c : 1).stride(1, spec.strideW())
                .dilation(1, spec.dilationW()).padding(0, spec.padLeft(), 0, spec.padRight()).build();
        Cost first = Cost.of(column, input);
        return new BlockCost(first, Cost.of(row, first.output()), Cost.of(spec, input));
    }

    private static boolean hasBias(Epilogue e) {
        return e.hasBias() || e.batchNorm() != null;
    }

    /** The first step (the depthwise step of a block, the {@code K×1} step of a spatial pair). */
    public Cost first() { return first; }

    /** The second step (the pointwise step of a block, the {@code 1×K} step of a spatial pair). */
    public Cost second() { return second; }

    /** The single convolution the pair replaces. */
    public Cost standard() { return standard; }

    public long weights() { return first.weights() + second.weights(); }

    public long params() { return first.params() + second.params(); }

    public long macs() { return first.macs() + second.macs(); }

    /** Unfused traffic: both steps' {@link Cost#bytes()}, so the intermediate is written and read once each. */
    public long bytes() { return first.bytes() + second.bytes(); }

    /** Fused traffic: {@link #bytes()} without the intermediate tensor's write and read. */
    public long fusedBytes() { return bytes() - 2 * first.output().bytes(); }

    /** MACs of the pair over the standard convolution's: seed 001's {@code C_reduction = 1/N + 1/Dk²} for a block. */
    public double macRatio() { return (double) macs() / standard.macs(); }

    /** Weights of the pair over the standard convolution's (10/25 for a 5×5 kernel split spatially). */
    public double weightRatio() { return (double) weights() / standard.weights(); }

    @Override
    public String toString() {
        return "BlockCost[weights=" + weights() + ", MACs=" + macs() + ", bytes=" + bytes() + ", MAC ratio="
                + macRatio() + " vs " + standard.spec() + "]";
    }
}
