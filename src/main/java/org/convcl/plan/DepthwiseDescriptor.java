package org.convcl.plan;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The depthwise kernel ({@code kernels/conv2d_depthwise.cl}) for groups == inChannels with depth multiplier γ
 * (output channel o reads input channel o/γ): each work-item computes {@code TILE_Y} rows × {@code VEC} outputs along
 * x of one plane.
 */
public final class DepthwiseDescriptor implements AlgorithmDescriptor {
    /** Outputs along x per work-item: one vector register per output row and channel. */
    public static final int VEC = 8;
    /** Output rows per work-item: each input row is loaded once for all kernel rows that read it. */
    public static final int TILE_Y = 4;
    /**
     * Local size along x: blocks of one row of one plane, for locality. When a row has fewer blocks, the work-group is
     * filled up to {@link #GROUP} work-items with channels, so 7×7 and 14×14 layers still make compact work-groups
     * over several planes.
     */
    static final int L0 = 4;
    /** Work-items per work-group when channels fill it. */
    static final int GROUP = 16;

    DepthwiseDescriptor() {}

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return spec.kind() == ConvSpec.Kind.DEPTHWISE ? Optional.empty()
                : Optional.of("the depthwise kernel needs groups == inChannels");
    }

    @Override
    public String kernelFile() { return "conv2d_depthwise.cl"; }

    @Override
    public String entryPoint() { return "conv2d_depthwise"; }

    /** VEC, TILE_Y, L0 (blocks of one row per group), GROUP (work-items when channels fill the group). */
    @Override
    public List<String> tunables() { return List.of(Plan.VEC, Plan.TILE_Y, "L0", "GROUP"); }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(tunables(), spec.strideW() == 2 ? Math.min(VEC, 8) : VEC, TILE_Y, L0, GROUP);
    }

    @Override
    public List<Map<String, Integer>> candidateChanges() {
        return List.of(
                Map.of(Plan.TILE_Y, 2), Map.of(Plan.TILE_Y, 8), Map.of(Plan.VEC, 16), Map.of(Plan.VEC, 16, Plan.TILE_Y, 2),
                Map.of(Plan.VEC, 4, Plan.TILE_Y, 8), Map.of("L0", 8), Map.of("L0", 1, "GROUP", 1),
                Map.of("GROUP", 64), Map.of("GROUP", 4),
                // 7 rows: a whole 7×7 plane, or half a 14×14 one, per work-item (no rows past the image)
                Map.of(Plan.TILE_Y, 7), Map.of(Plan.VEC, 16, Plan.TILE_Y, 7));
    }

    /** {@code kKHxKW,sSHxSW,hw<=B,nB}: kernel, stride, output pixels per image, batch. */
    @Override
    public String shapeClassKey(ConvSpec spec, Shape input) {
        return ShapeClass.window(spec) + "," + ShapeClass.pixels(spec, input) + "," + ShapeClass.batch(input);
    }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, Map<String, Integer> params) {
        TreeMap<String, Integer> d = new TreeMap<>();
        Planner.putWindow(d, spec);
        d.put("DEPTH_MULT", spec.depthMultiplier());
        d.put(Plan.VEC, params.get(Plan.VEC));
        d.put(Plan.TILE_Y, params.get(Plan.TILE_Y));
        return d;
    }

    @Override
    public long[] local(ConvSpec spec, Shape output, Map<String, Integer> params) {
        int l0Pref = params.get("L0");
        if (output == null) return new long[] {l0Pref, 1, 1};
        long blocksX = Plan.ceilDiv(output.w(), params.get(Plan.VEC));
        long l0 = Planner.fit(blocksX, l0Pref);
        return new long[] {l0, 1, blocksX >= l0Pref ? 1 : Planner.fit((long) output.n() * spec.inChannels(), params.get("GROUP") / l0)};
    }

    @Override
    public String describe(ConvSpec spec, Map<String, Integer> params, boolean forced) {
        return "depthwise: γ=" + spec.depthMultiplier() + ", " + Planner.window(spec) + ", " + params.get(Plan.TILE_Y) + " rows x "
                + params.get(Plan.VEC) + " outputs along x per work-item";
    }

    /** {@code (ceil(OW / VEC), ceil(OH / TILE_Y), N · inChannels)}. */
    @Override
    public long[] globalSize(Plan plan, ConvSpec spec, Shape output) {
        return new long[] {Plan.ceilDiv(output.w(), plan.define(Plan.VEC)), Plan.ceilDiv(output.h(), plan.define(Plan.TILE_Y)),
                (long) output.n() * spec.inChannels()};
    }
}
