package org.convcl.plan;

import java.util.Arrays;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * Chooses how to run a convolution: a pure function of the spec, the input shape and the device facts
 * (no OpenCL calls, no state). The defines depend only on the spec, so one compiled program serves every
 * image size; the input shape only trims the local size for small images.
 *
 * <p>Tile constants live here, in one place, named and documented.
 */
public final class Planner {
    /** Output channels per work-item (direct and pointwise): enough reuse of each input load, few registers. */
    public static final int TILE_OC = 4;
    /** Consecutive pixels per work-item (pointwise). */
    public static final int TILE_P = 4;
    /** Outputs along x per work-item (depthwise): the input window row is loaded once for all of them. */
    public static final int TILE_X = 4;
    /** Preferred local size along the fastest grid dimension. */
    static final int LOCAL_X = 16;
    /** Preferred local size along the second grid dimension. */
    static final int LOCAL_Y = 4;

    private Planner() {}

    /**
     * Plans {@code spec} for {@code input} on a device.
     *
     * @param spec   the convolution
     * @param input  the input shape, or {@code null} when not yet known (prepare time): the local size then
     *               assumes a large image; the defines are the same either way
     * @param device the device limits
     * @return the algorithm, defines, local size and a one-line reason
     */
    public static Plan plan(ConvSpec spec, Shape input, DeviceFacts device) {
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        if (device == null) throw new IllegalArgumentException("device facts must not be null");
        Shape output = input == null ? null : spec.outputShape(input);
        TreeMap<String, Integer> defines = new TreeMap<>();
        return switch (spec.kind()) {
            case POINTWISE -> {
                int tileOc = Math.min(TILE_OC, spec.outChannels());
                defines.put(Plan.TILE_OC, tileOc);
                defines.put(Plan.TILE_P, TILE_P);
                long[] local = output == null ? new long[] {LOCAL_X, LOCAL_Y, 1}
                        : new long[] {fit(Plan.ceilDiv((long) output.h() * output.w(), TILE_P), LOCAL_X),
                                fit(Plan.ceilDiv(output.c(), tileOc), LOCAL_Y), 1};
                yield new Plan(Algorithm.POINTWISE, defines, clamp(local, device),
                        "pointwise: 1x1 as W·X per image, " + tileOc + " channels x " + TILE_P + " pixels per work-item");
            }
            case DEPTHWISE -> {
                putWindow(defines, spec);
                defines.put("DEPTH_MULT", spec.depthMultiplier());
                defines.put(Plan.TILE_X, TILE_X);
                long[] local = output == null ? new long[] {LOCAL_X / 2, LOCAL_Y * 2, 1}
                        : new long[] {fit(Plan.ceilDiv(output.w(), TILE_X), LOCAL_X / 2), fit(output.h(), LOCAL_Y * 2), 1};
                yield new Plan(Algorithm.DEPTHWISE, defines, clamp(local, device),
                        "depthwise: γ=" + spec.depthMultiplier() + ", " + window(spec) + ", " + TILE_X
                                + " outputs along x per work-item");
            }
            case FULL, GROUPED -> {
                putWindow(defines, spec);
                int tileOc = Math.min(TILE_OC, spec.outChannelsPerGroup());
                defines.put(Plan.TILE_OC, tileOc);
                long[] local = output == null ? new long[] {LOCAL_X / 2, LOCAL_Y * 2, 1}
                        : new long[] {fit(output.w(), LOCAL_X / 2), fit(output.h(), LOCAL_Y * 2), 1};
                yield new Plan(Algorithm.DIRECT, defines, clamp(local, device),
                        "direct: groups=" + spec.groups() + ", " + window(spec) + ", " + tileOc
                                + " output channels per work-item");
            }
        };
    }

    private static void putWindow(TreeMap<String, Integer> defines, ConvSpec spec) {
        defines.put("KH", spec.kernelH());
        defines.put("KW", spec.kernelW());
        defines.put("SH", spec.strideH());
        defines.put("SW", spec.strideW());
        defines.put("DH", spec.dilationH());
        defines.put("DW", spec.dilationW());
    }

    private static String window(ConvSpec spec) {
        return "k" + spec.kernelH() + "x" + spec.kernelW() + " stride " + spec.strideH() + "x" + spec.strideW()
                + " dilation " + spec.dilationH() + "x" + spec.dilationW();
    }

    /** The preferred size, or the smallest power of two covering {@code extent} when that is smaller. */
    static long fit(long extent, long preferred) {
        long p = 1;
        while (p < extent && p < preferred) p <<= 1;
        return p;
    }

    /** Halves the largest local dimension until every per-dimension limit and the work-group limit hold. */
    static long[] clamp(long[] local, DeviceFacts device) {
        long[] l = local.clone();
        long[] perDim = device.maxWorkItemSizes();
        for (int i = 0; i < 3; i++) l[i] = Math.max(1, Math.min(l[i], perDim[i]));
        while (l[0] * l[1] * l[2] > device.maxWorkGroupSize()) {
            int largest = 0;
            for (int i = 1; i < 3; i++) if (l[i] > l[largest]) largest = i;
            l[largest] = Math.max(1, l[largest] / 2);
            if (Arrays.stream(l).allMatch(v -> v == 1)) break;
        }
        return l;
    }
}
