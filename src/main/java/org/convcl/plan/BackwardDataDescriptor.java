package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The input gradient of full, grouped and pointwise convolutions ({@code kernels/conv2d_bwd_data.cl}): an implicit GEMM
 * over the transposed, flipped weights, one work-item per {@code TILE_IC} input channels × {@code VEC} input columns
 * per stride phase (VEC·stride consecutive columns) of one row.
 */
public final class BackwardDataDescriptor extends SingleKernelBackward {
    /** Input channels per work-item: each dz value loaded feeds this many products. */
    public static final int TILE_IC = 4;
    /** Input columns per phase and work-item. */
    public static final int VEC = 8;
    /**
     * Input columns per phase and work-item when a group has fewer input channels than {@link #TILE_IC} (a network's
     * first layer: few channels, wide images), so each weight loaded feeds more lanes: MobileNet-V1's conv1 (3 channels,
     * 224 wide) ran 1.5–2× faster than with {@link #VEC} in three alternating runs under load.
     */
    public static final int VEC_FEW_CHANNELS = 16;
    /** Work-items per work-group (blocks of a row × rows): fewer, larger groups than one row's blocks each. */
    static final int LOCAL_ITEMS = 32;

    BackwardDataDescriptor() {
        super(BackwardPass.DATA, "conv2d_bwd_data", false);
    }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) { return Optional.empty(); }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(List.of("TILE_IC", Plan.VEC), Math.min(TILE_IC, spec.inChannelsPerGroup()),
                spec.inChannelsPerGroup() < TILE_IC ? VEC_FEW_CHANNELS : VEC);
    }

    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        Shape out = spec.outputShape(input);
        long blocksX = Plan.ceilDiv(input.w(), (long) params.get(Plan.VEC) * spec.strideW());
        long localX = Planner.fit(blocksX, 8);
        long channelBlocks = Plan.ceilDiv(spec.inChannelsPerGroup(), params.get("TILE_IC"));
        return List.of(launch(
                new long[] {blocksX, input.h(), input.n() * spec.groups() * channelBlocks},
                BackwardDescriptor.local(device, localX, Planner.fit(input.h(), LOCAL_ITEMS / localX), 1),
                BackwardDescriptor.args(List.of(Operand.GRAD_OUTPUT, Operand.WEIGHTS, Operand.GRAD_INPUT),
                        input.n(), input.c(), input.h(), input.w(), out.c(), out.h(), out.w(), spec.groups(), spec.padTop(),
                        spec.padLeft(), accumulate ? 1 : 0)));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "backward data: implicit GEMM over the transposed flipped weights, " + params.get("TILE_IC") + " input channels x "
                + params.get(Plan.VEC) + " columns per work-item";
    }
}
