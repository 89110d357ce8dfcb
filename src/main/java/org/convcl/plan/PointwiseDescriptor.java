package org.convcl.plan;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The pointwise GEMM ({@code kernels/conv2d_pointwise.cl}) for 1×1, stride-1, unpadded, groups-1 specs: a matrix
 * product {@code W·X} per image, each work-item a register block of {@code TILE_OC} output channels × {@code VEC}
 * pixels, the reduction in steps of {@code KSTEP} input channels. Winograd's batched GEMMs run on it too
 * ({@link WinogradDescriptor}, with {@link #WEI_BATCH}).
 */
public final class PointwiseDescriptor implements AlgorithmDescriptor {
    /**
     * Output channels per work-item: rows of the register block. 12 accumulators plus {@link #KSTEP} input vectors
     * fit AVX-512's 32 registers with room to spare; 12 beat 8 by 10-20% on MobileNet-V1 at batch 1 and 8, and 16
     * lost on 7×7 layers at batch 8 (docs/results/2026-11-22-pocl-pointwise-kernel.md).
     */
    public static final int TILE_OC = 12;
    /** Pixels per work-item: one vector register per output channel. */
    public static final int VEC = 16;
    /** Input channels per step of the reduction loop. */
    public static final int KSTEP = 4;
    /** Local size: pixel blocks x channel blocks sharing weights and inputs in cache. */
    static final int L0 = 4, L1 = 4;
    /** Weight matrices the kernel cycles through over its batch (Winograd: one per transformed position). */
    public static final String WEI_BATCH = "WEI_BATCH";

    PointwiseDescriptor() {}

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return spec.kind() == ConvSpec.Kind.POINTWISE ? Optional.empty()
                : Optional.of("the pointwise kernel needs a 1x1 kernel, stride 1, no padding, groups 1");
    }

    @Override
    public String kernelFile() { return "conv2d_pointwise.cl"; }

    /** Its output-storing kernels add the residual ({@code HAS_RESIDUAL}). */
    @Override
    public boolean runsResidual() { return true; }

    @Override
    public String entryPoint() { return "conv2d_pointwise"; }

    /** TILE_OC, VEC, KSTEP, L0 (pixel blocks per group), L1 (channel blocks per group). */
    @Override
    public List<String> tunables() { return List.of(Plan.TILE_OC, Plan.VEC, Plan.KSTEP, "L0", "L1"); }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(tunables(), TILE_OC, VEC, KSTEP, L0, L1);
    }

    @Override
    public List<Map<String, Integer>> candidateChanges() {
        return List.of(
                Map.of(Plan.KSTEP, 8), Map.of(Plan.KSTEP, 16),
                Map.of(Plan.TILE_OC, 8, Plan.KSTEP, 8), Map.of(Plan.TILE_OC, 16), Map.of(Plan.TILE_OC, 16, Plan.VEC, 8),
                Map.of(Plan.VEC, 8),
                Map.of("L0", 8, "L1", 2), Map.of("L0", 2, "L1", 8), Map.of("L0", 16, "L1", 1), Map.of("L0", 1, "L1", 1));
    }

    /** {@code cin<=B,hw<=B,nB}: input channels, output pixels per image, batch. */
    @Override
    public String shapeClassKey(ConvSpec spec, Shape input) {
        return ShapeClass.channels(spec.inChannels()) + "," + ShapeClass.pixels(spec, input) + "," + ShapeClass.batch(input);
    }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, Map<String, Integer> params) {
        TreeMap<String, Integer> d = new TreeMap<>();
        d.put(Plan.TILE_OC, tileOc(spec, params));
        d.put(Plan.VEC, params.get(Plan.VEC));
        d.put(Plan.KSTEP, params.get(Plan.KSTEP));
        return d;
    }

    private static int tileOc(ConvSpec spec, Map<String, Integer> params) {
        return Math.min(params.get(Plan.TILE_OC), spec.outChannels());
    }

    @Override
    public long[] local(ConvSpec spec, Shape output, Map<String, Integer> params) {
        int l0 = params.get("L0"), l1 = params.get("L1");
        if (output == null) return new long[] {l0, l1, 1};
        return new long[] {Planner.fit(Plan.ceilDiv((long) output.h() * output.w(), params.get(Plan.VEC)), l0),
                Planner.fit(Plan.ceilDiv(output.c(), tileOc(spec, params)), l1), 1};
    }

    @Override
    public String describe(ConvSpec spec, Map<String, Integer> params, boolean forced) {
        return "pointwise: GEMM per image, " + tileOc(spec, params) + " channels x " + params.get(Plan.VEC)
                + " pixels per work-item, K step " + params.get(Plan.KSTEP);
    }

    /**
     * {@code (ceil(OH·OW / VEC), ceil(outChannels / TILE_OC), N)}; for images smaller than VEC pixels without
     * {@link #WEI_BATCH}, {@code (ceil(N·OH·OW / VEC), ceil(outChannels / TILE_OC), 1)}: the lanes run across the batch.
     */
    @Override
    public long[] globalSize(Plan plan, ConvSpec spec, Shape output) {
        long pixels = (long) output.h() * output.w();
        int vec = plan.define(Plan.VEC);
        boolean acrossBatch = pixels < vec && !plan.defines().containsKey(WEI_BATCH);
        return new long[] {Plan.ceilDiv(acrossBatch ? output.n() * pixels : pixels, vec),
                Plan.ceilDiv(output.c(), plan.define(Plan.TILE_OC)), acrossBatch ? 1 : output.n()};
    }
}
