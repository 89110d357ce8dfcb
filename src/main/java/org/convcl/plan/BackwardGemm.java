package org.convcl.plan;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.plan.BackwardDescriptor.Launch;
import org.convcl.plan.BackwardDescriptor.Operand;

/**
 * The batched GEMM of the weight-gradient descriptors ({@link BackwardFilterPointwiseGemmDescriptor},
 * {@link BackwardFilterUnfoldGemmDescriptor}) on a kernel family's forward pointwise kernel: the CPU family's
 * register-blocked {@link Algorithm#POINTWISE} ({@code TILE_OC, VEC, KSTEP, L0, L1}) or the GPU family's work-group tiled
 * {@link Algorithm#POINTWISE_GPU} ({@code TILE_M, TILE_N, TILE_K, L0, L1}, local memory, a fixed work-group), each with
 * {@code WEI_BATCH} past any batch so that GEMM {@code g} multiplies its own left matrix.
 */
final class BackwardGemm {
    /** A {@code WEI_BATCH} above any batch: GEMM {@code g} of the batched kernel multiplies left matrix {@code g}. */
    static final int EVERY_GEMM_ITS_OWN = 1 << 30;
    /** Output channels per work-item of the CPU family's GEMM (see {@link BackwardFilterPointwiseGemmDescriptor#TILE_OC}). */
    static final int CPU_TILE_OC = 16;

    private BackwardGemm() {}

    /** The GEMM's parameters for {@code family}: the CPU kernel's block and local size, or the GPU kernel's tiles. */
    static SortedMap<String, Integer> defaults(KernelFamily family) {
        if (family == KernelFamily.GPU) return Algorithm.POINTWISE_GPU.descriptor().defaults(null);
        return Tunables.params(List.of(Plan.TILE_OC, Plan.VEC, Plan.KSTEP, "L0", "L1"), CPU_TILE_OC, PointwiseDescriptor.VEC,
                PointwiseDescriptor.KSTEP, PointwiseDescriptor.L0, PointwiseDescriptor.L1);
    }

    /** The GEMM's own entries of {@code params} (a descriptor's parameters may hold others, its layout kernels'). */
    static SortedMap<String, Integer> own(KernelFamily family, Map<String, Integer> params) {
        SortedMap<String, Integer> p = new TreeMap<>();
        for (String name : defaults(family).keySet()) p.put(name, params.get(name));
        return p;
    }

    /** Why the GPU kernel's tiles in {@code params} do not fit {@code device}; empty for the CPU family (its local sizes are clamped). */
    static Optional<String> misfit(KernelFamily family, ConvSpec spec, Map<String, Integer> params, DeviceFacts device) {
        return family == KernelFamily.GPU ? Algorithm.POINTWISE_GPU.descriptor().misfit(spec, own(family, params), device) : Optional.empty();
    }

    /** The program's defines: the parameters ({@code TILE_OC} trimmed to {@code rows} on the CPU family), no epilogue, {@code WEI_BATCH}. */
    static SortedMap<String, Integer> defines(KernelFamily family, int rows, Map<String, Integer> params) {
        TreeMap<String, Integer> d = new TreeMap<>(own(family, params));
        if (family == KernelFamily.CPU) {
            d.remove("L0");
            d.remove("L1");
            d.put(Plan.TILE_OC, Math.min(params.get(Plan.TILE_OC), rows));
        }
        d.put(PointwiseDescriptor.WEI_BATCH, EVERY_GEMM_ITS_OWN);
        d.put("HAS_BIAS", 0);
        d.put("ACTIVATION", Activation.NONE.code());
        return d;
    }

    /**
     * {@code gemms} products {@code dst[g] = a[g] · b[g]} of {@code a} rows × {@code depth} ({@code a[g]} at
     * {@code g·rows·depth}) by {@code b} {@code depth} × {@code cols}: the kernel's weights are {@code a}, its input
     * {@code b} with {@code depth} channels of {@code cols} "pixels"; bias unread.
     */
    static Launch launch(KernelFamily family, Operand b, Operand a, Operand dst, int gemms, int depth, int rows, int cols,
                         Map<String, Integer> params, DeviceFacts device) {
        SortedMap<String, Integer> defines = defines(family, rows, params);
        List<Object> args = BackwardDescriptor.args(List.of(b, a, a, dst), gemms, depth, 1, cols, rows, 1, cols, 1, 0, 0);
        if (family == KernelFamily.GPU) {
            int l0 = params.get("L0"), l1 = params.get("L1");
            return new Launch(Algorithm.POINTWISE_GPU.entryPoint(), new long[] {Plan.ceilDiv(cols, params.get(PointwiseGpuDescriptor.TILE_N)) * l0,
                    Plan.ceilDiv(rows, params.get(PointwiseGpuDescriptor.TILE_M)) * l1, gemms}, new long[] {l0, l1, 1}, args,
                    Algorithm.POINTWISE_GPU.kernelFile(), defines);
        }
        long colBlocks = Plan.ceilDiv(cols, params.get(Plan.VEC)), rowBlocks = Plan.ceilDiv(rows, defines.get(Plan.TILE_OC));
        return new Launch(Algorithm.POINTWISE.entryPoint(), new long[] {colBlocks, rowBlocks, gemms},
                BackwardDescriptor.local(device, Planner.fit(colBlocks, params.get("L0")), Planner.fit(rowBlocks, params.get("L1")), 1),
                args, Algorithm.POINTWISE.kernelFile(), defines);
    }

    /** The in-order sum of {@code partials} partial gradients of {@code count} elements ({@link Operand#SCRATCH}) into {@code dw}. */
    static Launch chunkSum(BackwardFilterPointwiseDescriptor chunkSum, ConvSpec spec, int partials, long count, boolean accumulate,
                           DeviceFacts device) {
        long items = Plan.ceilDiv(count, BackwardFilterPointwiseDescriptor.REDUCE_VEC);
        return new Launch("conv2d_bwd_filter_chunks", new long[] {items, 1, 1}, BackwardDescriptor.local(device, Planner.fit(items, 8), 1, 1),
                BackwardDescriptor.args(List.of(Operand.SCRATCH, Operand.GRAD_WEIGHTS), partials, (int) count, accumulate ? 1 : 0),
                chunkSum.kernelFile(), chunkSum.defines(spec, chunkSum.defaults(spec), Activation.NONE));
    }

    /** Why a descriptor of {@code family} does not run on {@code device}: a GPU-family descriptor off that family, or defaults that do not fit. */
    static Optional<String> declines(KernelFamily family, ConvSpec spec, Map<String, Integer> defaults, DeviceFacts device) {
        if (family != KernelFamily.GPU) return Optional.empty();
        return SingleKernelBackward.otherFamily(device).or(() -> misfit(family, spec, defaults, device).map(why -> "its GEMM's default tiles do not fit: " + why));
    }
}
