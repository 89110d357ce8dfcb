package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The element-wise backward steps ({@code kernels/conv2d_bwd_activation.cl}), one work-item per element: the
 * activation's backward from the layer's forward output (the layer's activation as the {@code ACTIVATION} define), or,
 * as the {@link BackwardPass#ACCUMULATE} descriptor, the addition of a gradient computed apart.
 */
public final class ActivationBackwardDescriptor implements BackwardDescriptor {
    /** Work-items per work-group. */
    static final int LOCAL = 64;

    private final boolean accumulate;

    /** {@code accumulate}: the {@link BackwardPass#ACCUMULATE} descriptor, else the {@link BackwardPass#ACTIVATION} one. */
    ActivationBackwardDescriptor(boolean accumulate) {
        this.accumulate = accumulate;
    }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) { return Optional.empty(); }

    @Override
    public String kernelFile() { return "conv2d_bwd_activation.cl"; }

    @Override
    public BackwardPass pass() { return accumulate ? BackwardPass.ACCUMULATE : BackwardPass.ACTIVATION; }

    @Override
    public List<String> entryPoints() { return List.of(accumulate ? "conv2d_bwd_accumulate" : "conv2d_bwd_activation"); }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) { return new TreeMap<>(); }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, SortedMap<String, Integer> params, Activation activation) {
        TreeMap<String, Integer> d = new TreeMap<>(params);
        d.put("HAS_BIAS", 0);
        d.put("ACTIVATION", accumulate ? Activation.NONE.code() : activation.code());
        return d;
    }

    /** {@code input}: the shape every tensor of the step has (the forward output's, or the gradient's for accumulation). */
    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean unused, DeviceFacts device) {
        long[] global = {input.count(), 1, 1};
        long[] local = BackwardDescriptor.local(device, Planner.fit(input.count(), LOCAL), 1, 1);
        return List.of(accumulate
                ? new Launch("conv2d_bwd_accumulate", global, local,
                        BackwardDescriptor.args(List.of(Operand.PARTIAL, Operand.GRAD_INPUT), input.count()))
                : new Launch("conv2d_bwd_activation", global, local,
                        BackwardDescriptor.args(List.of(Operand.OUTPUT, Operand.GRAD_OUTPUT, Operand.GRAD_PRE_ACTIVATION), input.count())));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return (accumulate ? "accumulate" : "activation backward") + ": one element per work-item";
    }
}
