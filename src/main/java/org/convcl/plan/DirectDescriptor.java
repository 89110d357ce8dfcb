package org.convcl.plan;

import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The direct kernel ({@code kernels/conv2d_full.cl}) for any spec: each work-item sums over one group's input
 * channels for {@code TILE_OC} output channels at one output pixel. The planner's last resort: it runs what no
 * register-blocked kernel is picked for (fewer than {@link ImplicitGemmDescriptor#MIN_OUT_PER_GROUP} output channels
 * per group). Not tuned.
 */
public final class DirectDescriptor implements AlgorithmDescriptor {
    /** Output channels per work-item (at most the group's, which is below {@link ImplicitGemmDescriptor#MIN_OUT_PER_GROUP} when picked). */
    public static final int TILE_OC = 4;
    /** Preferred local size along x and y. */
    static final int LOCAL_X = 8, LOCAL_Y = 8;

    DirectDescriptor() {}

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return Optional.empty();
    }

    @Override
    public String kernelFile() { return "conv2d_full.cl"; }

    /** Its output-storing kernels add the residual ({@code HAS_RESIDUAL}). */
    @Override
    public boolean runsResidual() { return true; }

    @Override
    public String entryPoint() { return "conv2d_full"; }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, Map<String, Integer> params) {
        TreeMap<String, Integer> d = new TreeMap<>();
        Planner.putWindow(d, spec);
        d.put(Plan.TILE_OC, tileOc(spec));
        return d;
    }

    private static int tileOc(ConvSpec spec) {
        return Math.min(TILE_OC, spec.outChannelsPerGroup());
    }

    @Override
    public long[] local(ConvSpec spec, Shape output, Map<String, Integer> params) {
        return output == null ? new long[] {LOCAL_X, LOCAL_Y, 1}
                : new long[] {Planner.fit(output.w(), LOCAL_X), Planner.fit(output.h(), LOCAL_Y), 1};
    }

    @Override
    public String describe(ConvSpec spec, Map<String, Integer> params, boolean forced) {
        return "direct: groups=" + spec.groups() + ", " + Planner.window(spec) + ", " + tileOc(spec)
                + " output channels per work-item (fewer than " + ImplicitGemmDescriptor.MIN_OUT_PER_GROUP
                + " per group: too few for a register block)";
    }

    /** {@code (OW, OH, N · groups · ceil(outChannelsPerGroup / TILE_OC))}. */
    @Override
    public long[] globalSize(Plan plan, ConvSpec spec, Shape output) {
        return new long[] {output.w(), output.h(),
                (long) output.n() * spec.groups() * Plan.ceilDiv(spec.outChannelsPerGroup(), plan.define(Plan.TILE_OC))};
    }
}
