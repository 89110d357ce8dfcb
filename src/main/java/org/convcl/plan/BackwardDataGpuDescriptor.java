package org.convcl.plan;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The GPU family's input gradient of strided convolutions, full, grouped, pointwise and depthwise (any γ)
 * ({@code kernels/conv2d_bwd_data_gpu.cl}): one work-item per dx element, neighbouring work-items on neighbouring
 * columns, in work-groups of {@code L0 × L1} items (columns × rows). A stride-1 input gradient is a forward
 * convolution ({@link TransposedConv}), so it declines those.
 */
public final class BackwardDataGpuDescriptor extends SingleKernelBackward {
    /** Default work-items per work-group along a row (columns). */
    public static final int DEFAULT_L0 = 64;
    /** Default work-items per work-group across rows. */
    public static final int DEFAULT_L1 = 1;

    BackwardDataGpuDescriptor() {
        super(BackwardPass.DATA, "conv2d_bwd_data_gpu", false);
    }

    @Override
    public KernelFamily family() { return KernelFamily.GPU; }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        if (spec.strideH() == 1 && spec.strideW() == 1) return Optional.of("stride 1 (its input gradient is a forward convolution)");
        return otherFamily(device).or(() -> misfit(spec, defaults(spec), device).map(why -> "its default work-group does not fit: " + why));
    }

    /** A work-group of {@code L0 × L1} items beyond the device's work-group limits. */
    @Override
    public Optional<String> misfit(ConvSpec spec, Map<String, Integer> params, DeviceFacts device) {
        return GpuWorkGroup.misfit(local(params), 0, device);
    }

    private static long[] local(Map<String, Integer> params) {
        return new long[] {params.get(PointwiseGpuDescriptor.L0), params.get(PointwiseGpuDescriptor.L1), 1};
    }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(List.of(PointwiseGpuDescriptor.L0, PointwiseGpuDescriptor.L1), DEFAULT_L0, DEFAULT_L1);
    }

    /** One launch of {@code (w_in, h_in, n · c_in)} items, the local size {@code (L0, L1, 1)} as given (it fits: {@link #misfit}). */
    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        Shape out = spec.outputShape(input);
        return List.of(launch(new long[] {input.w(), input.h(), (long) input.n() * input.c()}, local(params),
                BackwardDescriptor.args(List.of(Operand.GRAD_OUTPUT, Operand.WEIGHTS, Operand.GRAD_INPUT),
                        input.n(), input.c(), input.h(), input.w(), out.c(), out.h(), out.w(), spec.groups(), spec.padTop(),
                        spec.padLeft(), accumulate ? 1 : 0)));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "backward data GPU: one input-gradient element per work-item, work-groups of " + params.get(PointwiseGpuDescriptor.L0)
                + " x " + params.get(PointwiseGpuDescriptor.L1) + " (columns x rows)";
    }
}
