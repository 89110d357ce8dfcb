package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The bias gradient of any convolution ({@code kernels/conv2d_bwd_filter.cl}, {@code conv2d_bwd_bias}): one work-item
 * sums one output channel in {@code VEC} lanes, in a fixed order. Built with {@link BackwardFilterDescriptor}'s
 * defines, so a full layer's bias and filter kernels share one program.
 */
public final class BackwardBiasDescriptor implements BackwardDescriptor {
    private final BackwardFilterDescriptor filter;

    BackwardBiasDescriptor(BackwardFilterDescriptor filter) {
        this.filter = filter;
    }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) { return Optional.empty(); }

    @Override
    public String kernelFile() { return filter.kernelFile(); }

    @Override
    public BackwardPass pass() { return BackwardPass.BIAS; }

    @Override
    public List<String> entryPoints() { return List.of("conv2d_bwd_bias"); }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) { return filter.defaults(spec); }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, SortedMap<String, Integer> params, Activation activation) {
        return filter.defines(spec, params, activation);
    }

    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        Shape out = spec.outputShape(input);
        return List.of(new Launch("conv2d_bwd_bias", new long[] {out.c(), 1, 1}, BackwardDescriptor.local(device, Planner.fit(out.c(), 8), 1, 1),
                BackwardDescriptor.args(List.of(Operand.GRAD_OUTPUT, Operand.GRAD_BIAS), out.n(), out.c(), out.h() * out.w(),
                        accumulate ? 1 : 0)));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "backward bias: one output channel per work-item, " + params.get(Plan.VEC) + " lanes, fixed order";
    }
}
