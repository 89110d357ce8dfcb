package org.convcl.plan;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The names of the tunable backward kernels, each naming one {@link BackwardDescriptor} of {@link BackwardPlanner}'s
 * registries (a class and the family it is shaped for): what tuning files write in an entry's {@code algorithm} field for a backward kernel. Everything tunable
 * comes from the descriptor through one generic path: the parameters are its {@link BackwardDescriptor#defaults} (their
 * names do not depend on the spec), the candidates {@link Tunables#neighbours} of them, and the shape class
 * {@code kKHxKW,sSHxSW,cin<=B,hw<=B,nB} (kernel, stride, input channels per group, or all of them for a depthwise
 * layer, output pixels per image, batch; {@link ShapeClass}'s buckets).
 *
 * <p>The input gradient of a stride-1 layer is a forward convolution ({@link TransposedConv}): the forward planner plans
 * it, and forward entries tune it; none of these runs it.
 */
public enum BackwardAlgorithm implements TunedKernel {
    /** {@link BackwardDataDescriptor}: the strided input gradient of full, grouped and pointwise layers. */
    BACKWARD_DATA(BackwardDataDescriptor.class),
    /** {@link BackwardDataDepthwiseDescriptor}: the input gradient of depthwise layers strided along y only, or padded past the kernel. */
    BACKWARD_DATA_DEPTHWISE(BackwardDataDepthwiseDescriptor.class),
    /** {@link BackwardDataDepthwiseStridedDescriptor}: the input gradient of depthwise layers strided along x. */
    BACKWARD_DATA_DEPTHWISE_STRIDED(BackwardDataDepthwiseStridedDescriptor.class),
    /** {@link BackwardFilterDescriptor}: the weight gradient of full and grouped layers. */
    BACKWARD_FILTER(BackwardFilterDescriptor.class),
    /** {@link BackwardFilterDepthwiseDescriptor}: the weight gradient of depthwise layers. */
    BACKWARD_FILTER_DEPTHWISE(BackwardFilterDepthwiseDescriptor.class),
    /** {@link BackwardFilterDepthwiseFlatDescriptor}: the weight gradient of stride-1 depthwise layers on small planes, walked flat. */
    BACKWARD_FILTER_DEPTHWISE_FLAT(BackwardFilterDepthwiseFlatDescriptor.class),
    /** {@link BackwardFilterPointwiseDescriptor}: the weight gradient of pointwise layers of one pixel per image. */
    BACKWARD_FILTER_POINTWISE(BackwardFilterPointwiseDescriptor.class),
    /** {@link BackwardFilterPointwiseGemmDescriptor}: the weight gradient of pointwise layers through the forward GEMM. */
    BACKWARD_FILTER_POINTWISE_GEMM(BackwardFilterPointwiseGemmDescriptor.class),
    /** {@link BackwardFilterUnfoldGemmDescriptor}: the weight gradient of full and grouped layers through the unfolded input and the forward GEMM. */
    BACKWARD_FILTER_UNFOLD_GEMM(BackwardFilterUnfoldGemmDescriptor.class),
    /** The GPU family's {@link BackwardFilterPointwiseGemmDescriptor}: the GEMM on {@link Algorithm#POINTWISE_GPU}. */
    BACKWARD_FILTER_POINTWISE_GEMM_GPU(BackwardFilterPointwiseGemmDescriptor.class, KernelFamily.GPU),
    /** The GPU family's {@link BackwardFilterUnfoldGemmDescriptor}: an element per work-item unfold, the GEMM on {@link Algorithm#POINTWISE_GPU}. */
    BACKWARD_FILTER_UNFOLD_GEMM_GPU(BackwardFilterUnfoldGemmDescriptor.class, KernelFamily.GPU),
    /** {@link BackwardFilterDepthwiseGpuDescriptor}: the GPU family's depthwise weight gradient, a work-group per channel. */
    BACKWARD_FILTER_DEPTHWISE_GPU(BackwardFilterDepthwiseGpuDescriptor.class, KernelFamily.GPU),
    /** {@link BackwardDataGpuDescriptor}: the GPU family's strided input gradient, one element per work-item. */
    BACKWARD_DATA_GPU(BackwardDataGpuDescriptor.class, KernelFamily.GPU);

    /** The spec whose defaults give a descriptor's parameter names. */
    private static final ConvSpec NAMES_PROBE = ConvSpec.full(8, 8, 3).padding(1).build();

    private final Class<? extends BackwardDescriptor> type;
    private final KernelFamily family;

    BackwardAlgorithm(Class<? extends BackwardDescriptor> type) {
        this(type, KernelFamily.CPU);
    }

    BackwardAlgorithm(Class<? extends BackwardDescriptor> type, KernelFamily family) {
        this.type = type;
        this.family = family;
    }

    private boolean names(BackwardDescriptor d) {
        return d.getClass() == type && d.family() == family;
    }

    /** The registry descriptor this name stands for. */
    public BackwardDescriptor descriptor() {
        return BackwardPlanner.all().stream().filter(this::names).findFirst()
                .orElseThrow(() -> new IllegalStateException(this + ": no " + type.getSimpleName() + " in the backward registries"));
    }

    /** The name of {@code descriptor} when it is tunable (has parameters), else empty. */
    public static Optional<BackwardAlgorithm> of(BackwardDescriptor descriptor) {
        for (BackwardAlgorithm b : values()) if (b.names(descriptor)) return Optional.of(b);
        return Optional.empty();
    }

    @Override
    public List<String> tunables() {
        return List.copyOf(descriptor().defaults(NAMES_PROBE).keySet());
    }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return descriptor().defaults(spec);
    }

    /** {@link Tunables#neighbours} of the defaults. */
    @Override
    public List<Map<String, Integer>> candidateChanges(ConvSpec spec) {
        return Tunables.neighbours(defaults(spec));
    }

    @Override
    public String shapeClassKey(ConvSpec spec, Shape input) {
        int channels = spec.kind() == ConvSpec.Kind.DEPTHWISE ? spec.inChannels() : spec.inChannelsPerGroup();
        return ShapeClass.window(spec) + "," + ShapeClass.channels(channels) + "," + ShapeClass.pixels(spec, input) + ","
                + ShapeClass.batch(input);
    }

    /**
     * Why {@code params} do not suit {@code spec}: a {@code TILE_IC} above the layer's input channels per group (its
     * work-items would repeat clamped channels; the defaults never exceed them); null when they suit it. The kernels take
     * every valid value at every stride; what does not fit a device is {@link BackwardDescriptor#misfit}'s.
     */
    @Override
    public String misfit(ConvSpec spec, Map<String, Integer> params) {
        Integer tileIc = params.get(Tunables.TILE_IC);
        if (tileIc != null && tileIc > spec.inChannelsPerGroup()) {
            return "TILE_IC " + tileIc + " is above the layer's " + spec.inChannelsPerGroup() + " input channels per group";
        }
        return null;
    }
}
