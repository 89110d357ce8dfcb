package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The weight gradient of full, grouped and pointwise convolutions ({@code kernels/conv2d_bwd_filter.cl},
 * {@code conv2d_bwd_filter}): a register-blocked GEMM whose depth is the batch's output pixels, one work-item per tap ×
 * {@code TILE_OC} output channels × {@code TILE_IC} input channels, reduced in a fixed order.
 */
public final class BackwardFilterDescriptor extends SingleKernelBackward {
    /** Output channels per work-item. */
    public static final int TILE_OC = 4;
    /** Input channels per work-item. */
    public static final int TILE_IC = 4;
    /** Columns per step (partial sums per gradient element) of pointwise layers, whose planes are one long row. */
    public static final int VEC = 16;
    /** Columns per step of windowed layers (rows of 7 to 112 outputs, strided loads lane by lane). */
    public static final int VEC_WINDOWED = 8;

    BackwardFilterDescriptor() {
        super(BackwardPass.FILTER, "conv2d_bwd_filter", false);
    }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) { return Optional.empty(); }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(List.of("TILE_OC", "TILE_IC", Plan.VEC), TILE_OC, Math.min(TILE_IC, spec.inChannelsPerGroup()),
                spec.kind() == ConvSpec.Kind.POINTWISE ? VEC : VEC_WINDOWED);
    }

    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        Shape out = spec.outputShape(input);
        long inBlocks = Plan.ceilDiv(spec.inChannelsPerGroup(), params.get("TILE_IC"));
        long outBlocks = Plan.ceilDiv(spec.outChannelsPerGroup(), params.get("TILE_OC"));
        // a pointwise layer's planes are one long row each: whole vectors instead of a masked step per short row
        boolean flat = spec.kind() == ConvSpec.Kind.POINTWISE;
        int h = flat ? 1 : input.h(), w = flat ? input.h() * input.w() : input.w();
        int oh = flat ? 1 : out.h(), ow = flat ? out.h() * out.w() : out.w();
        return List.of(launch(
                new long[] {inBlocks, (long) spec.kernelH() * spec.kernelW(), spec.groups() * outBlocks},
                BackwardDescriptor.local(device, 1, 1, 1), // one work-item alone: its realv accumulators are the SIMD
                BackwardDescriptor.args(List.of(Operand.INPUT, Operand.GRAD_OUTPUT, Operand.GRAD_WEIGHTS),
                        input.n(), input.c(), h, w, out.c(), oh, ow, spec.groups(), spec.padTop(), spec.padLeft(),
                        accumulate ? 1 : 0)));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "backward filter: per tap, " + params.get("TILE_OC") + " output x " + params.get("TILE_IC")
                + " input channels per work-item, pixels in " + params.get(Plan.VEC) + " lanes, fixed order";
    }
}
