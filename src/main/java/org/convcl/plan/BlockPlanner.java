package org.convcl.plan;

import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.BlockMode;
import org.convcl.SeparableBlock;
import org.convcl.Shape;

/**
 * Chooses how a {@link SeparableBlock} runs, fused or unfused: pure functions with a one-line reason, plus the
 * tiling of the fused OpenCL kernel ({@code kernels/conv2d_dsblock.cl}) in one place.
 *
 * <p>The fused kernel gives each work-group a block of consecutive output pixels (of the flattened image) and
 * (normally) all output channels: it computes the depthwise output of those pixels for every intermediate
 * channel once into local memory, then runs the pointwise GEMM from there with the register blocking of {@code conv2d_pointwise.cl}. What it saves
 * over the unfused path is the intermediate tensor's round trip through device memory; what it costs is
 * weight reuse (each work-group streams the whole pointwise weight matrix for only its pixels) and, on devices
 * whose work-groups cannot hold all output channels, a depthwise recomputation per channel group.
 */
public final class BlockPlanner {
    /** Consecutive output pixels (of the flattened image) per segment: one {@code float16} register. */
    public static final int VEC = 16;
    /** Output channels one work-item accumulates (one vector register each). */
    public static final int OC_TILE = 8;
    /** Intermediate channels per step of the pointwise GEMM (one {@code float8} weight load per output channel). */
    public static final int KSTEP = 8;
    /** Most segments per work-group. */
    public static final int MAX_PIX_SEGS = 16;
    /** Target size of the local depthwise tile ({@code MID × segments × SEG} floats): an eighth of a 1 MiB L2. */
    public static final long TILE_BUDGET_BYTES = 128 * 1024;
    /**
     * AUTO takes the fused OpenCL path only for stride-1 blocks with at most this many intermediate channels
     * (see {@link #chooseOpenCl}). Measured on PoCL (docs/separable.md): there the fused kernel ran at 0.87–1.46×
     * the unfused speed, parity or better on average; with more channels each work-group streams a weight
     * matrix (MID × Cout) it reuses for few pixels, and stride-2 tiles read twice the input: no consistent gain.
     */
    public static final int FUSED_MAX_MID = 128;

    private BlockPlanner() {}

    /** The path chosen and why. */
    public record Choice(BlockMode mode, String reason) {
        public Choice {
            if (mode == null || mode == BlockMode.AUTO) throw new IllegalArgumentException("choice mode must be FUSED or UNFUSED, got " + mode);
        }
    }

    /**
     * The fused kernel's tiling.
     *
     * @param seg            pixels per segment ({@link #VEC})
     * @param pixSegs        segments per work-group (local size along dim 0)
     * @param ocItems        work-items along dim 1, each owning {@link #OC_TILE} output channels
     * @param channelGroups  work-groups along dim 1; more than one recomputes the depthwise tile
     */
    public record Tiling(int seg, int pixSegs, int ocItems, int channelGroups) {
        /** The local size {@code (pixSegs, ocItems, 1)}. */
        public long[] local() {
            return new long[] {pixSegs, ocItems, 1};
        }

        /** The grid for {@code output}, a multiple of {@link #local()}: segments of the flattened image, channel groups, images. */
        public long[] global(Shape output) {
            long segments = ((long) output.h() * output.w() + seg - 1) / seg;
            return new long[] {(segments + pixSegs - 1) / pixSegs * pixSegs, (long) channelGroups * ocItems, output.n()};
        }

        /** Bytes of the local depthwise tile for {@code midChannels}. */
        public long tileBytes(int midChannels) {
            return 4L * midChannels * pixSegs * seg;
        }
    }

    /**
     * The fused kernel's tiling of {@code block} on {@code device}, or {@code null} when even one segment's tile
     * does not fit the device's local memory.
     */
    public static Tiling tiling(SeparableBlock block, DeviceFacts device) {
        if (block == null) throw new IllegalArgumentException("block must not be null");
        if (device == null) throw new IllegalArgumentException("device facts must not be null");
        int seg = VEC;
        long[] perDim = device.maxWorkItemSizes();
        long perSegment = 4L * block.midChannels() * seg;
        if (perSegment > device.localMemBytes()) return null;
        long byBudget = Math.max(1, Math.min(TILE_BUDGET_BYTES, device.localMemBytes()) / perSegment);
        long segs = Math.min(Math.min(MAX_PIX_SEGS, byBudget), Math.min(perDim[0], device.maxWorkGroupSize()));
        int channelItems = (block.outChannels() + OC_TILE - 1) / OC_TILE;
        long ocItems = Math.min(channelItems, Math.min(perDim[1], device.maxWorkGroupSize() / segs));
        if (segs < 1 || ocItems < 1) return null;
        int groups = (int) ((channelItems + ocItems - 1) / ocItems);
        return new Tiling(seg, (int) segs, (int) ocItems, groups);
    }

    /**
     * Picks the OpenCL path for {@code block} on {@code device}: FUSED or UNFUSED are honoured (FUSED needs a
     * tiling that fits); AUTO takes the fused kernel only where it measured at least as fast: stride 1 and at most
     * {@link #FUSED_MAX_MID} intermediate channels, the depthwise tile computed once.
     *
     * @throws IllegalArgumentException when FUSED is requested and the fused kernel does not fit the device
     */
    public static Choice chooseOpenCl(SeparableBlock block, BlockMode requested, DeviceFacts device) {
        check(block, requested);
        if (requested == BlockMode.UNFUSED) return new Choice(BlockMode.UNFUSED, "requested");
        Tiling tiling = tiling(block, device);
        if (tiling == null) return noFusedPath(requested, "the fused kernel's tile does not fit the device");
        String tile = tiling.channelGroups() == 1 ? "depthwise tile computed once"
                : String.format("depthwise tile recomputed by %d channel groups (+%.0f%% MACs)", tiling.channelGroups(),
                100 * recomputeFraction(block, tiling.channelGroups()));
        if (requested == BlockMode.FUSED) return new Choice(BlockMode.FUSED, "requested; " + tile);
        if (tiling.channelGroups() > 1) return new Choice(BlockMode.UNFUSED, tile);
        var dw = block.depthwise();
        if (dw.strideH() != 1 || dw.strideW() != 1) {
            return new Choice(BlockMode.UNFUSED, "unfused: stride " + dw.strideH() + "x" + dw.strideW()
                    + ", where the fused kernel measured no faster");
        }
        if (block.midChannels() > FUSED_MAX_MID) {
            return new Choice(BlockMode.UNFUSED, "unfused: " + block.midChannels() + " intermediate channels > "
                    + FUSED_MAX_MID + ", where the fused kernel measured no faster");
        }
        return new Choice(BlockMode.FUSED, "fused: stride 1, at most " + FUSED_MAX_MID
                + " intermediate channels, where the fused kernel measured at least as fast; " + tile);
    }

    /**
     * Picks the Java CPU backend's path: FUSED or UNFUSED are honoured; AUTO takes the unfused path
     * ({@link #CPU_FUSED_SLOWER}).
     */
    public static Choice chooseCpu(SeparableBlock block, BlockMode requested) {
        check(block, requested);
        if (requested == BlockMode.AUTO) return new Choice(BlockMode.UNFUSED, CPU_FUSED_SLOWER);
        return new Choice(requested, "requested");
    }

    /**
     * Why AUTO takes the unfused path on the Java CPU backend: with {@code scripts/bench_blocks.sh cpu 1,8 5} its
     * fused tile ran at 0.5–1.8× the unfused speed, below 1 on 14 of the 18 MobileNet-V1 cases.
     */
    static final String CPU_FUSED_SLOWER = "unfused: the Java fused tile measured slower than the two kernels";

    /** The choice when the fused path does not fit: UNFUSED for AUTO, an exception for FUSED. */
    private static Choice noFusedPath(BlockMode requested, String why) {
        if (requested == BlockMode.FUSED) throw new IllegalArgumentException("mode FUSED requested but " + why);
        return new Choice(BlockMode.UNFUSED, why);
    }

    private static void check(SeparableBlock block, BlockMode requested) {
        if (block == null) throw new IllegalArgumentException("block must not be null");
        if (requested == null) throw new IllegalArgumentException("requested mode must not be null");
    }

    /**
     * Extra MACs of the fused path over the block's own MACs, per output pixel:
     * {@code (groups − 1)·KH·KW / (KH·KW + outChannels)} (the intermediate channel count cancels).
     */
    static double recomputeFraction(SeparableBlock block, long groups) {
        double taps = (double) block.depthwise().kernelH() * block.depthwise().kernelW();
        return (groups - 1) * taps / (taps + block.outChannels());
    }

    /** The fused kernel's defines for {@code block} and {@code tiling}, without the epilogue switches, which the backend adds. */
    public static SortedMap<String, Integer> fusedDefines(SeparableBlock block, Tiling tiling) {
        if (tiling == null) throw new IllegalArgumentException("tiling must not be null");
        var d = block.depthwise();
        TreeMap<String, Integer> defines = new TreeMap<>();
        defines.put("KH", d.kernelH());
        defines.put("KW", d.kernelW());
        defines.put("SH", d.strideH());
        defines.put("SW", d.strideW());
        defines.put("DH", d.dilationH());
        defines.put("DW", d.dilationW());
        defines.put("DEPTH_MULT", d.depthMultiplier());
        defines.put("MID", block.midChannels());
        defines.put("SEG", tiling.seg());
        defines.put("PIX_SEGS", tiling.pixSegs());
        defines.put("OC_ITEMS", tiling.ocItems());
        defines.put("OC_TILE", OC_TILE);
        defines.put("KSTEP", KSTEP);
        return defines;
    }
}
