package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The backward of a layer's activation from its forward output ({@code kernels/conv2d_bwd_activation.cl}): one
 * work-item per element, the layer's activation as the {@code ACTIVATION} define.
 */
public final class ActivationBackwardDescriptor implements BackwardDescriptor {
    /** Work-items per work-group. */
    static final int LOCAL = 64;

    ActivationBackwardDescriptor() {}

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) { return Optional.empty(); }

    @Override
    public String kernelFile() { return "conv2d_bwd_activation.cl"; }

    @Override
    public BackwardPass pass() { return BackwardPass.ACTIVATION; }

    @Override
    public List<String> entryPoints() { return List.of("conv2d_bwd_activation"); }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) { return new TreeMap<>(); }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, SortedMap<String, Integer> params, Activation activation) {
        TreeMap<String, Integer> d = new TreeMap<>(params);
        d.put("HAS_BIAS", 0);
        d.put("ACTIVATION", activation.code());
        return d;
    }

    /** {@code input}: the shape of the forward output (all three tensors share it). */
    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        return List.of(new Launch("conv2d_bwd_activation", new long[] {input.count(), 1, 1},
                BackwardDescriptor.local(device, Planner.fit(input.count(), LOCAL), 1, 1),
                BackwardDescriptor.args(List.of(Operand.OUTPUT, Operand.GRAD_OUTPUT, Operand.GRAD_PRE_ACTIVATION), input.count())));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "activation backward: one element per work-item";
    }
}
