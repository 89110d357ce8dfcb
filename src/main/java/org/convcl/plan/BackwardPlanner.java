package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * Chooses the backward kernels of a convolution: per {@link BackwardPass}, the first descriptor of that pass's
 * registry that runs the spec ({@link KernelDescriptor#firstChoice}). Kept apart from the forward {@link Planner}'s
 * registries: a forward plan never picks a backward kernel. The input gradient of a stride-1 layer is a forward
 * convolution ({@link TransposedConv}), which the backends plan with the forward planner; the {@link #DATA_REGISTRY}
 * kernels run the others. The GPU family's data and filter registries put its own kernels first
 * ({@link #GPU_DATA_REGISTRY}, {@link #GPU_FILTER_REGISTRY}); its other passes use the CPU family's kernels. Pure: no OpenCL.
 */
public final class BackwardPlanner {
    static final BackwardFilterDescriptor FILTER = new BackwardFilterDescriptor();
    static final BackwardFilterPointwiseDescriptor FILTER_POINTWISE = new BackwardFilterPointwiseDescriptor();

    /** The input-gradient kernels, most preferred first. */
    public static final List<BackwardDescriptor> DATA_REGISTRY = List.of(new BackwardDataDepthwiseDescriptor(),
            new BackwardDataDepthwiseStridedDescriptor(), new BackwardDataDescriptor());
    /**
     * The GPU family's input-gradient kernels: its one-element-per-work-item gather first, then the CPU family's list
     * (what the GPU kernel does not run, or whose work-group does not fit the device).
     */
    public static final List<BackwardDescriptor> GPU_DATA_REGISTRY = Stream.concat(Stream.of(new BackwardDataGpuDescriptor()),
            DATA_REGISTRY.stream()).toList();
    /** The weight-gradient kernels, most preferred first. */
    public static final List<BackwardDescriptor> FILTER_REGISTRY = List.of(new BackwardFilterDepthwiseFlatDescriptor(),
            new BackwardFilterDepthwiseDescriptor(), new BackwardFilterPointwiseGemmDescriptor(FILTER_POINTWISE, KernelFamily.CPU),
            FILTER_POINTWISE, new BackwardFilterUnfoldGemmDescriptor(FILTER_POINTWISE, KernelFamily.CPU), FILTER);
    /**
     * The GPU family's weight-gradient kernels: its depthwise reduction and the GEMMs on its pointwise kernel first, then the CPU family's list (what
     * the GPU kernels do not run, or whose tiles do not fit the device).
     */
    public static final List<BackwardDescriptor> GPU_FILTER_REGISTRY = Stream.concat(
            Stream.of(new BackwardFilterDepthwiseGpuDescriptor(), new BackwardFilterPointwiseGemmDescriptor(FILTER_POINTWISE, KernelFamily.GPU),
                    new BackwardFilterUnfoldGemmDescriptor(FILTER_POINTWISE, KernelFamily.GPU)), FILTER_REGISTRY.stream()).toList();
    /** The bias-gradient kernel. */
    public static final List<BackwardDescriptor> BIAS_REGISTRY = List.of(new BackwardBiasDescriptor(FILTER));
    /** The activation-backward kernel. */
    public static final List<BackwardDescriptor> ACTIVATION_REGISTRY = List.of(new ActivationBackwardDescriptor(false));
    /** The kernel that adds a gradient computed apart. */
    public static final List<BackwardDescriptor> ACCUMULATE_REGISTRY = List.of(new ActivationBackwardDescriptor(true));

    private BackwardPlanner() {}

    /**
     * A backward kernel chosen for one layer and input: its descriptor, parameters and a one-line reason ({@code tuned [...]}
     * or {@code default}, as a forward {@link Plan}'s, then the descriptor's description).
     */
    public record BackwardPlan(BackwardDescriptor descriptor, SortedMap<String, Integer> params, String reason) {
        public BackwardPlan {
            params = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(params));
        }
    }

    /**
     * Plans {@code pass} of {@code spec} for a forward input of shape {@code input} on {@code device}: the descriptor
     * ({@code forced} when given and it takes the input, else {@link #choose}) and its parameters, from {@code tuning} when
     * the table has an entry for its {@link BackwardAlgorithm} and {@link ShapeClass} under the device's key, else its vendor
     * and type, else its type ({@link TuningTable#lookup(DeviceFacts, ShapeClass)}) that suits the spec
     * ({@link TunedKernel#misfit}) and fits the device ({@link BackwardDescriptor#misfit}), else the defaults; the reason
     * says which as the forward {@link Planner#plan} does ({@code tuned [...]}, {@code default [tuned entry for ... does
     * not fit: ...]}, {@code default [no tuning for ...]} on the GPU family), {@code forced } first when forced.
     *
     * @param forced a descriptor of this pass to use instead of the planner's choice (tests), or null
     */
    public static BackwardPlan plan(BackwardPass pass, ConvSpec spec, Shape input, DeviceFacts device, TuningTable tuning,
                                    BackwardDescriptor forced) {
        if (input == null) throw new IllegalArgumentException("input must not be null");
        if (tuning == null) throw new IllegalArgumentException("tuning table must not be null (use TuningTable.EMPTY)");
        boolean isForced = forced != null && forced.declinesInput(spec, input).isEmpty();
        BackwardDescriptor d = isForced ? forced : choose(pass, spec, input, device);
        SortedMap<String, Integer> params = d.defaults(spec);
        String source = "default";
        Optional<BackwardAlgorithm> kernel = BackwardAlgorithm.of(d).filter(ShapeClass::tunable);
        if (kernel.isPresent()) {
            Planner.Tuned t = Planner.tuned(device, tuning, ShapeClass.of(kernel.get(), spec, input), params, p -> {
                String misfit = kernel.get().misfit(spec, p);
                return misfit != null ? misfit : d.misfit(spec, p, device).orElse(null);
            });
            params = t.params();
            source = t.source();
        }
        return new BackwardPlan(d, params, (isForced ? "forced " : "") + source + ": " + d.describe(spec, params));
    }

    /** The registry of {@code pass} for {@code family}. */
    public static List<BackwardDescriptor> registry(BackwardPass pass, KernelFamily family) {
        return switch (pass) {
            case DATA -> family == KernelFamily.GPU ? GPU_DATA_REGISTRY : DATA_REGISTRY;
            case FILTER -> family == KernelFamily.GPU ? GPU_FILTER_REGISTRY : FILTER_REGISTRY;
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
