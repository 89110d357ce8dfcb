package org.convcl.plan;

import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.ConvSpec;

/**
 * What the weight-gradient descriptors that run {@link BackwardGemm} share ({@link BackwardFilterPointwiseGemmDescriptor},
 * {@link BackwardFilterUnfoldGemmDescriptor}): the kernel family of the GEMM, its fit on the device, the chunk sum that adds
 * the per-image partial gradients, and how a plan names the GEMM.
 */
abstract class GemmFilterDescriptor implements BackwardDescriptor {
    /** The in-order sum of the partial gradients. */
    final BackwardFilterPointwiseDescriptor chunkSum;
    private final KernelFamily family;

    GemmFilterDescriptor(BackwardFilterPointwiseDescriptor chunkSum, KernelFamily family) {
        this.chunkSum = chunkSum;
        this.family = family;
    }

    @Override
    public final KernelFamily family() { return family; }

    @Override
    public final Optional<String> misfit(ConvSpec spec, Map<String, Integer> params, DeviceFacts device) {
        return BackwardGemm.misfit(family, spec, params, device);
    }

    /** Why the GEMM does not run on {@code device} ({@link BackwardGemm#declines}) with this spec's defaults. */
    final Optional<String> declinesGemm(ConvSpec spec, DeviceFacts device) {
        return BackwardGemm.declines(family, spec, defaults(spec), device);
    }

    /**
     * The GEMM as a plan names it: the kernel and what each work-item (CPU family) or work-group (GPU family) covers,
     * {@code rows} of {@code rowsWhat} (at most {@code rows} on the CPU family) by columns of {@code colsWhat}.
     */
    final String gemmDescription(SortedMap<String, Integer> params, int rows, String rowsWhat, String colsWhat) {
        return family == KernelFamily.GPU
                ? "the GPU family's pointwise kernel (work-groups of " + params.get("L0") * params.get("L1") + " items, "
                        + params.get(PointwiseGpuDescriptor.TILE_M) + " " + rowsWhat + " x " + params.get(PointwiseGpuDescriptor.TILE_N)
                        + " " + colsWhat + " each)"
                : "the forward pointwise kernel (" + Math.min(params.get(Plan.TILE_OC), rows) + " " + rowsWhat + " x "
                        + params.get(Plan.VEC) + " " + colsWhat + " per work-item)";
    }
}
