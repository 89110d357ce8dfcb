package org.convcl.plan;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The implicit GEMM ({@code kernels/conv2d_igemm.cl}) for any spec (stride, dilation, padding, groups): register
 * blocks of {@code TILE_OC} output channels × {@code VEC} outputs along x, the input read straight from the tensor (no
 * im2col buffer). The planner picks it for full and grouped specs with at least {@link #MIN_OUT_PER_GROUP} output
 * channels per group.
 */
public final class ImplicitGemmDescriptor implements AlgorithmDescriptor {
    /** Fewest output channels per group worth a register block; below it the direct kernel runs. */
    public static final int MIN_OUT_PER_GROUP = 4;
    /** Output channels per work-item: rows of the register block. */
    public static final int TILE_OC = 8;
    /** Outputs along x per work-item: one vector register per output channel. */
    public static final int VEC = 16;
    /** Local size: one block along x, 4 rows, 4 channel blocks. */
    static final int L0 = 1, L1 = 4, L2 = 4;

    ImplicitGemmDescriptor() {}

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return Optional.empty();
    }

    @Override
    public Optional<String> passesOver(ConvSpec spec, DeviceFacts device) {
        return spec.outChannelsPerGroup() >= MIN_OUT_PER_GROUP ? Optional.empty()
                : Optional.of(spec.outChannelsPerGroup() + " output channels per group, fewer than " + MIN_OUT_PER_GROUP);
    }

    @Override
    public String kernelFile() { return "conv2d_igemm.cl"; }

    /** Its output-storing kernels add the residual ({@code HAS_RESIDUAL}). */
    @Override
    public boolean runsResidual() { return true; }

    @Override
    public String entryPoint() { return "conv2d_igemm"; }

    /** TILE_OC, VEC, L0 (blocks along x), L1 (rows), L2 (channel blocks). */
    @Override
    public List<String> tunables() { return List.of(Plan.TILE_OC, Plan.VEC, "L0", "L1", "L2"); }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(tunables(), TILE_OC, spec.strideW() == 2 ? Math.min(VEC, 8) : VEC, L0, L1, L2);
    }

    @Override
    public List<Map<String, Integer>> candidateChanges() {
        return List.of(
                Map.of(Plan.TILE_OC, 4), Map.of(Plan.TILE_OC, 16, Plan.VEC, 8), Map.of(Plan.VEC, 8),
                Map.of(Plan.TILE_OC, 12), Map.of(Plan.TILE_OC, 4, Plan.VEC, 8),
                Map.of("L1", 8, "L2", 2), Map.of("L1", 1, "L2", 16), Map.of("L0", 2, "L1", 2), Map.of("L1", 1, "L2", 1),
                // 16 outputs along x: the default at stride 1; at stride 2 the wide rows' winners (a 7-wide row wastes half)
                Map.of(Plan.VEC, 16), Map.of(Plan.TILE_OC, 12, Plan.VEC, 16), Map.of(Plan.TILE_OC, 16, Plan.VEC, 16));
    }

    /** {@code kKHxKW,sSHxSW,cin<=B,hw<=B,nB}: kernel, stride, input channels per group, output pixels per image, batch. */
    @Override
    public String shapeClassKey(ConvSpec spec, Shape input) {
        return ShapeClass.window(spec) + "," + ShapeClass.channels(spec.inChannels() / spec.groups()) + ","
                + ShapeClass.pixels(spec, input) + "," + ShapeClass.batch(input);
    }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, Map<String, Integer> params) {
        TreeMap<String, Integer> d = new TreeMap<>();
        Planner.putWindow(d, spec);
        d.put(Plan.TILE_OC, tileOc(spec, params));
        d.put(Plan.VEC, params.get(Plan.VEC));
        return d;
    }

    private static int tileOc(ConvSpec spec, Map<String, Integer> params) {
        return Math.min(params.get(Plan.TILE_OC), spec.outChannelsPerGroup());
    }

    @Override
    public long[] local(ConvSpec spec, Shape output, Map<String, Integer> params) {
        if (output == null) return new long[] {params.get("L0"), params.get("L1"), params.get("L2")};
        return new long[] {Planner.fit(Plan.ceilDiv(output.w(), params.get(Plan.VEC)), params.get("L0")),
                Planner.fit(output.h(), params.get("L1")),
                Planner.fit((long) output.n() * spec.groups() * Plan.ceilDiv(spec.outChannelsPerGroup(), tileOc(spec, params)),
                        params.get("L2"))};
    }

    @Override
    public String describe(ConvSpec spec, Map<String, Integer> params, boolean forced) {
        return "implicit GEMM: groups=" + spec.groups() + ", " + Planner.window(spec) + ", " + tileOc(spec, params)
                + " output channels x " + params.get(Plan.VEC) + " outputs along x per work-item";
    }

    /** {@code (ceil(OW / VEC), OH, N · groups · ceil(outChannelsPerGroup / TILE_OC))}. */
    @Override
    public long[] globalSize(Plan plan, ConvSpec spec, Shape output) {
        return new long[] {Plan.ceilDiv(output.w(), plan.define(Plan.VEC)), output.h(),
                (long) output.n() * spec.groups() * Plan.ceilDiv(spec.outChannelsPerGroup(), plan.define(Plan.TILE_OC))};
    }
}
