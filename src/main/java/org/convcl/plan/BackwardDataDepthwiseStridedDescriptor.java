package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The input gradient of depthwise convolutions strided along x, any γ ({@code kernels/conv2d_bwd_data_depthwise_strided.cl}):
 * one work-item per {@code ROWS} input rows × {@code VEC} columns per stride phase of one channel, phase by phase, each
 * dz row read as whole vectors (shuffled into place at the row's ends) and stride 2 stored as whole interleaved vectors.
 */
public final class BackwardDataDepthwiseStridedDescriptor extends SingleKernelBackward {
    /** Input columns per stride phase and work-item. */
    public static final int VEC = 8;
    /** Input rows per work-item: the weights and the per-phase column set-up are shared by them. */
    public static final int ROWS = 32;

    BackwardDataDepthwiseStridedDescriptor() {
        super(BackwardPass.DATA, "conv2d_bwd_data_depthwise_strided", true);
    }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        if (spec.kind() != ConvSpec.Kind.DEPTHWISE) return Optional.of("needs groups == inChannels");
        return spec.strideW() >= 2 ? Optional.empty() : Optional.of("needs stride >= 2 along x");
    }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(List.of("ROWS", Plan.VEC), ROWS, VEC);
    }

    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        Shape out = spec.outputShape(input);
        long blocksX = Plan.ceilDiv(input.w(), (long) params.get(Plan.VEC) * spec.strideW());
        long blocksY = Plan.ceilDiv(input.h(), params.get("ROWS"));
        return List.of(launch(
                new long[] {blocksX, blocksY, (long) input.n() * input.c()},
                BackwardDescriptor.local(device, Planner.fit(blocksX, 8), Planner.fit(blocksY, 2), 1),
                BackwardDescriptor.args(List.of(Operand.GRAD_OUTPUT, Operand.WEIGHTS, Operand.GRAD_INPUT),
                        input.n(), input.c(), input.h(), input.w(), out.h(), out.w(), spec.padTop(), spec.padLeft(),
                        accumulate ? 1 : 0)));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "backward data depthwise strided: γ=" + spec.depthMultiplier() + ", " + params.get("ROWS") + " rows x "
                + params.get(Plan.VEC) + " columns per phase per work-item";
    }
}
