package org.convcl.plan;

import java.util.List;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * Chooses the backward kernels of a convolution: per {@link BackwardPass}, the first descriptor of that pass's
 * registry that runs the spec ({@link KernelDescriptor#firstChoice}). Kept apart from the forward {@link Planner}'s
 * registries: a forward plan never picks a backward kernel. The input gradient of a stride-1 layer is a forward
 * convolution ({@link TransposedConv}), which the backends plan with the forward planner; the {@link #DATA_REGISTRY}
 * kernels run the others. Both device families use these registries until the GPU
 * family has backward kernels of its own. Pure: no OpenCL.
 */
public final class BackwardPlanner {
    static final BackwardFilterDescriptor FILTER = new BackwardFilterDescriptor();
    static final BackwardFilterPointwiseDescriptor FILTER_POINTWISE = new BackwardFilterPointwiseDescriptor();

    /** The input-gradient kernels, most preferred first. */
    public static final List<BackwardDescriptor> DATA_REGISTRY = List.of(new BackwardDataDepthwiseDescriptor(),
            new BackwardDataDepthwiseStridedDescriptor(), new BackwardDataDescriptor());
    /** The weight-gradient kernels, most preferred first. */
    public static final List<BackwardDescriptor> FILTER_REGISTRY = List.of(new BackwardFilterDepthwiseFlatDescriptor(),
            new BackwardFilterDepthwiseDescriptor(),
            new BackwardFilterPointwiseGemmDescriptor(FILTER_POINTWISE), FILTER_POINTWISE, FILTER);
    /** The bias-gradient kernel. */
    public static final List<BackwardDescriptor> BIAS_REGISTRY = List.of(new BackwardBiasDescriptor(FILTER));
    /** The activation-backward kernel. */
    public static final List<BackwardDescriptor> ACTIVATION_REGISTRY = List.of(new ActivationBackwardDescriptor(false));
    /** The kernel that adds a gradient computed apart. */
    public static final List<BackwardDescriptor> ACCUMULATE_REGISTRY = List.of(new ActivationBackwardDescriptor(true));

    private BackwardPlanner() {}

    /** The registry of {@code pass} for {@code family}. */
    public static List<BackwardDescriptor> registry(BackwardPass pass, KernelFamily family) {
        return switch (pass) {
            case DATA -> DATA_REGISTRY;
            case FILTER -> FILTER_REGISTRY;
            case BIAS -> BIAS_REGISTRY;
            case ACTIVATION -> ACTIVATION_REGISTRY;
            case ACCUMULATE -> ACCUMULATE_REGISTRY;
        };
    }

    /** Every backward descriptor of every pass and family, each once. */
    public static List<BackwardDescriptor> all() {
        return Stream.of(BackwardPass.values()).flatMap(p -> Stream.of(KernelFamily.values()).flatMap(f -> registry(p, f).stream()))
                .distinct().toList();
    }

    /** The descriptor that runs {@code pass} of {@code spec} on {@code device}, whatever the input's shape. */
    public static BackwardDescriptor choose(BackwardPass pass, ConvSpec spec, DeviceFacts device) {
        return choose(pass, spec, null, device);
    }

    /**
     * The descriptor that runs {@code pass} of {@code spec} on {@code device} for a forward input of shape {@code input}
     * (null: any shape): the first of the registry that neither declines the spec nor its input
     * ({@link BackwardDescriptor#declinesInput}).
     */
    public static BackwardDescriptor choose(BackwardPass pass, ConvSpec spec, Shape input, DeviceFacts device) {
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        List<BackwardDescriptor> registry = registry(pass, device.family()).stream()
                .filter(d -> input == null || d.declinesInput(spec, input).isEmpty()).toList();
        return KernelDescriptor.firstChoice(registry, d -> d, spec, device)
                .orElseThrow(() -> new IllegalStateException("no " + pass + " backward kernel takes " + spec + (input == null ? "" : " on " + input)));
    }
}
