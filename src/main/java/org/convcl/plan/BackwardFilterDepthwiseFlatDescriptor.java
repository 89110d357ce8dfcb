package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The weight gradient of stride-1 depthwise convolutions whose output rows are as wide as their input rows, on small
 * planes ({@code kernels/conv2d_bwd_filter_depthwise_flat.cl}): one work-item per output channel walks its dz plane as
 * flat vectors, the taps' columns leaving the row masked out, reduced in a fixed order. Larger planes, and planes of
 * fewer than a vector, go to {@link BackwardFilterDepthwiseDescriptor}'s row-by-row kernel.
 */
public final class BackwardFilterDepthwiseFlatDescriptor extends SingleKernelBackward {
    /** Values per step (partial sums per tap). */
    public static final int VEC = 16;
    /** The largest output plane (values per image and channel) this kernel takes: beyond it rows are long enough. */
    static final int MAX_PLANE = 256;

    BackwardFilterDepthwiseFlatDescriptor() {
        super(BackwardPass.FILTER, "conv2d_bwd_filter_depthwise_flat", true);
    }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        if (spec.kind() != ConvSpec.Kind.DEPTHWISE) return Optional.of("needs groups == inChannels");
        if (spec.strideH() != 1 || spec.strideW() != 1) return Optional.of("needs stride 1");
        if (spec.padLeft() + spec.padRight() != (spec.kernelW() - 1) * spec.dilationW())
            return Optional.of("needs output rows as wide as the input's (padLeft + padRight == (kernelW - 1) * dilationW)");
        return Optional.empty();
    }

    @Override
    public Optional<String> declinesInput(ConvSpec spec, Shape input) {
        Shape out = spec.outputShape(input);
        long plane = (long) out.h() * out.w();
        if (plane > MAX_PLANE) return Optional.of("output planes of " + plane + " values, over " + MAX_PLANE);
        if (plane < VEC || (long) input.h() * input.w() < VEC) return Optional.of("planes of fewer than " + VEC + " values");
        return Optional.empty();
    }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(List.of(Plan.VEC), VEC);
    }

    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        Shape out = spec.outputShape(input);
        return List.of(launch(new long[] {out.c(), 1, 1},
                BackwardDescriptor.local(device, Planner.fit(out.c(), 8), 1, 1),
                BackwardDescriptor.args(List.of(Operand.INPUT, Operand.GRAD_OUTPUT, Operand.GRAD_WEIGHTS),
                        input.n(), input.c(), input.h(), input.w(), out.h(), spec.padTop(), spec.padLeft(), accumulate ? 1 : 0)));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "backward filter depthwise flat: γ=" + spec.depthMultiplier() + ", one channel per work-item, planes as flat "
                + params.get(Plan.VEC) + "-value steps, fixed order";
    }
}
