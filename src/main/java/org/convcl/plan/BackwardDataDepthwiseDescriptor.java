package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The input gradient of depthwise convolutions, any γ ({@code kernels/conv2d_bwd_data_depthwise.cl}): one work-item per
 * {@code VEC} columns of one input row of one channel, the channel's γ·KH·KW weights in private memory.
 */
public final class BackwardDataDepthwiseDescriptor extends SingleKernelBackward {
    /** Input columns per work-item. */
    public static final int VEC = 8;

    BackwardDataDepthwiseDescriptor() {
        super(BackwardPass.DATA, "conv2d_bwd_data_depthwise", true);
    }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        if (spec.kind() != ConvSpec.Kind.DEPTHWISE) return Optional.of("needs groups == inChannels");
        // layers strided along x go to BackwardDataDepthwiseStridedDescriptor (phase by phase, no division per lane)
        return spec.strideW() == 1 ? Optional.empty() : Optional.of("needs stride 1 along x");
    }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(List.of(Plan.VEC), VEC);
    }

    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        Shape out = spec.outputShape(input);
        long blocksX = Plan.ceilDiv(input.w(), params.get(Plan.VEC));
        return List.of(launch(
                new long[] {blocksX, input.h(), (long) input.n() * input.c()},
                BackwardDescriptor.local(device, Planner.fit(blocksX, 8), 1, 1),
                BackwardDescriptor.args(List.of(Operand.GRAD_OUTPUT, Operand.WEIGHTS, Operand.GRAD_INPUT),
                        input.n(), input.c(), input.h(), input.w(), out.h(), out.w(), spec.padTop(), spec.padLeft(),
                        accumulate ? 1 : 0)));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "backward data depthwise: γ=" + spec.depthMultiplier() + ", " + params.get(Plan.VEC) + " columns per work-item";
    }
}
