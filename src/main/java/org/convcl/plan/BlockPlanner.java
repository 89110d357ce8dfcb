package org.convcl.plan;

import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.BlockMode;
import org.convcl.SeparableBlock;

/**
 * Chooses how a {@link SeparableBlock} runs, fused or unfused: a pure function with a one-line reason, plus the
 * tile constants of the fused OpenCL kernel ({@code kernels/conv2d_dsblock.cl}) in one place.
 *
 * <p>The fused kernel keeps a tile of the depthwise output on chip, so the intermediate never goes to device
 * memory; its price is that each group of {@link #channelsPerPass(DeviceFacts) output channels} recomputes the
 * depthwise tile it needs. AUTO takes the unfused path: the fused one measured slower (see {@link #FUSED_SLOWER});
 * FUSED is honoured when a fused path exists.
 */
public final class BlockPlanner {
    /** Largest share of extra MACs (depthwise recomputation over total block MACs) the fused path may cost. */
    public static final double MAX_RECOMPUTE_FRACTION = 0.25;
    /** Consecutive output pixels of one row in one work-item's vectors: the wide choice. */
    public static final int VEC = 16;
    /** The narrow vector width, for rows that would leave most of a {@link #VEC}-wide vector idle. */
    public static final int VEC_NARROW = 8;
    /** Row segments of {@link #VEC} pixels per work-group (local size along dim 0). */
    public static final int PIX_ITEMS = 4;
    /** Work-items along dim 1: each owns {@link #OC_PER_ITEM} output channels of every pixel of the tile. */
    public static final int OC_ITEMS = 8;
    /** Output channels accumulated in registers by one work-item. */
    public static final int OC_PER_ITEM = 8;
    /** Intermediate channels computed into local memory per step ({@code CM × TILE_P} floats). */
    public static final int CM = 32;

    private BlockPlanner() {}

    /** The path chosen and why. */
    public record Choice(BlockMode mode, String reason) {
        public Choice {
            if (mode == null || mode == BlockMode.AUTO) throw new IllegalArgumentException("choice mode must be FUSED or UNFUSED, got " + mode);
        }
    }

    /**
     * Picks the path for {@code block}.
     *
     * @param requested        AUTO lets the rule decide; FUSED or UNFUSED are honoured (FUSED needs a fused kernel)
     * @param channelsPerPass  output channels one fused pass covers (each pass recomputes the depthwise tile);
     *                         {@link Integer#MAX_VALUE} when the depthwise tile is computed once, 0 when the
     *                         backend has no fused path
     * @throws IllegalArgumentException when FUSED is requested and there is no fused path
     */
    public static Choice choose(SeparableBlock block, BlockMode requested, int channelsPerPass) {
        if (block == null) throw new IllegalArgumentException("block must not be null");
        if (requested == null) throw new IllegalArgumentException("requested mode must not be null");
        if (channelsPerPass < 0) throw new IllegalArgumentException("channelsPerPass must be non-negative, got " + channelsPerPass);
        if (requested == BlockMode.UNFUSED) return new Choice(BlockMode.UNFUSED, "requested");
        if (channelsPerPass == 0) {
            if (requested == BlockMode.FUSED) {
                throw new IllegalArgumentException("mode FUSED requested but this backend has no fused block path");
            }
            return new Choice(BlockMode.UNFUSED, "no fused block path on this backend");
        }
        long passes = (block.outChannels() + (long) channelsPerPass - 1) / channelsPerPass;
        double extra = recomputeFraction(block, passes);
        String cost = passes == 1 ? "depthwise tile computed once"
                : String.format("depthwise tile recomputed by %d channel groups (+%.0f%% MACs)", passes, 100 * extra);
        if (requested == BlockMode.FUSED) return new Choice(BlockMode.FUSED, "requested; " + cost);
        if (extra > MAX_RECOMPUTE_FRACTION) {
            return new Choice(BlockMode.UNFUSED, cost + " exceeds " + (int) (100 * MAX_RECOMPUTE_FRACTION) + "%");
        }
        return new Choice(BlockMode.UNFUSED, FUSED_SLOWER);
    }

    /**
     * Why AUTO takes the unfused path although the fused one fits: measured with {@code scripts/bench_blocks.sh}
     * on PoCL (2 CPU cores), the fused kernel ran at 0.13–0.95× the speed of the two tuned kernels on every
     * MobileNet-V1 block, batch 1 and 8, and the Java fused tile at 0.5–1.8× (below 1 on 14 of 18 cases).
     */
    static final String FUSED_SLOWER = "unfused: the fused path measured slower than the two tuned kernels";

    /**
     * Extra MACs of the fused path over the block's own MACs, per output pixel:
     * {@code (passes − 1)·KH·KW / (KH·KW + outChannels)} (the intermediate channel count cancels).
     */
    static double recomputeFraction(SeparableBlock block, long passes) {
        double taps = (double) block.depthwise().kernelH() * block.depthwise().kernelW();
        return (passes - 1) * taps / (taps + block.outChannels());
    }

    /**
     * Output channels one pass of the fused OpenCL kernel covers on {@code device}: {@code OC_ITEMS·OC_PER_ITEM},
     * or 0 (no fused path) when its work-group or local tile does not fit the device.
     */
    public static int channelsPerPass(DeviceFacts device) {
        if (device == null) throw new IllegalArgumentException("device facts must not be null");
        long items = (long) PIX_ITEMS * OC_ITEMS;
        long[] perDim = device.maxWorkItemSizes();
        boolean fits = items <= device.maxWorkGroupSize() && PIX_ITEMS <= perDim[0] && OC_ITEMS <= perDim[1]
                && 4L * CM * PIX_ITEMS * Math.max(VEC, VEC_NARROW) <= device.localMemBytes();
        return fits ? OC_ITEMS * OC_PER_ITEM : 0;
    }

    /**
     * The vector width for an output row of {@code outputWidth} pixels: {@link #VEC_NARROW} when it keeps more than
     * 15% more lanes busy (e.g. 7 of 8 instead of 7 of 16), otherwise {@link #VEC}.
     */
    public static int vectorWidth(int outputWidth) {
        if (outputWidth <= 0) throw new IllegalArgumentException("outputWidth must be positive, got " + outputWidth);
        return laneUse(outputWidth, VEC_NARROW) > 1.15 * laneUse(outputWidth, VEC) ? VEC_NARROW : VEC;
    }

    private static double laneUse(int width, int vec) {
        return (double) width / ((width + vec - 1) / vec * vec);
    }

    /**
     * The fused kernel's defines for {@code block} and vector width {@code vec} (see {@link #vectorWidth}),
     * without the epilogue switches, which the backend adds.
     */
    public static SortedMap<String, Integer> fusedDefines(SeparableBlock block, int vec) {
        if (vec != VEC && vec != VEC_NARROW) throw new IllegalArgumentException("vec must be " + VEC + " or " + VEC_NARROW + ", got " + vec);
        var d = block.depthwise();
        TreeMap<String, Integer> defines = new TreeMap<>();
        defines.put("KH", d.kernelH());
        defines.put("KW", d.kernelW());
        defines.put("SH", d.strideH());
        defines.put("SW", d.strideW());
        defines.put("DH", d.dilationH());
        defines.put("DW", d.dilationW());
        defines.put("DEPTH_MULT", d.depthMultiplier());
        defines.put("VEC", vec);
        defines.put("PIX_ITEMS", PIX_ITEMS);
        defines.put("OC_ITEMS", OC_ITEMS);
        defines.put("OC_PER_ITEM", OC_PER_ITEM);
        defines.put("CM", CM);
        return defines;
    }

    /** The fused kernel's local size: {@code (PIX_ITEMS, OC_ITEMS, 1)}. */
    public static long[] fusedLocal() {
        return new long[] {PIX_ITEMS, OC_ITEMS, 1};
    }

    /**
     * The fused kernel's grid for an output shape, already a multiple of {@link #fusedLocal()}: row segments of
     * {@link #vectorWidth(int) vectorWidth(OW)} pixels, channel groups of {@code OC_ITEMS·OC_PER_ITEM} outputs, images.
     */
    public static long[] fusedGlobal(org.convcl.Shape output) {
        int vec = vectorWidth(output.w());
        long segments = (long) output.h() * ((output.w() + vec - 1) / vec);
        long groups = (output.c() + (long) OC_ITEMS * OC_PER_ITEM - 1) / ((long) OC_ITEMS * OC_PER_ITEM);
        return new long[] {(segments + PIX_ITEMS - 1) / PIX_ITEMS * PIX_ITEMS, groups * OC_ITEMS, output.n()};
    }

    /** Output channels padded to whole passes: the row length of the fused kernel's transposed pointwise weights. */
    public static int paddedOutChannels(int outChannels) {
        int pass = OC_ITEMS * OC_PER_ITEM;
        return (outChannels + pass - 1) / pass * pass;
    }
}
