package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.DataType;
import org.convcl.Epilogue;
import org.convcl.SeparableBlock;
import org.convcl.Shape;

/**
 * The fused depthwise-separable kernel ({@code kernels/conv2d_dsblock.cl}) and its tiling, in one place.
 *
 * <p>The kernel gives each work-item a strip of consecutive output pixels (of the flattened image) and (normally) all
 * output channels: it computes the strip's depthwise output for every intermediate channel into its own tile of local
 * memory (sized to stay in the core's cache), then runs the pointwise GEMM from there in
 * {@code OC_TILE × PIX_VECS·VEC} register tiles, writing each output once. What it saves over the unfused path is the
 * intermediate tensor's round trip through memory and a second pass over the pixels; no barrier is needed, which
 * matters on CPU OpenCL (PoCL), where private state live across a barrier is spilled to memory.
 */
public final class DsBlockDescriptor implements BlockDescriptor {
    /** Pixels per vector register. */
    public static final int VEC = 16;
    /** Output channels of one register tile. */
    public static final int OC_TILE = 8;
    /** Pixel vectors of one register tile ({@code OC_TILE × PIX_VECS} accumulators). */
    public static final int PIX_VECS = 2;
    /**
     * Input channels per step of the pointwise GEMM's K loop (their tile vectors loaded before the step's FMAs): 4
     * measured 2–6% faster than 1 at the 25th percentile on the 56×56 blocks, the same within the noise at the median.
     */
    public static final int KSTEP = 4;
    /**
     * Output rows the depthwise step computes together (each input row loaded once for all of them): 4 covers the
     * 2-, 3-, 4- and 7-row strips of the MobileNet blocks (4 + 3) with no wasted row.
     */
    public static final int DW_ROWS = 4;
    /** Work-items per work-group, each with its own tile: one, as a CPU runs a work-group as a loop. */
    public static final int LOCAL_X = 1;
    /** Fewest and most pixels per strip. */
    public static final int MIN_STRIP = 64, MAX_STRIP = 256;
    /**
     * Largest depthwise tile ({@code MID × strip} floats) of one work-item: half of a 1 MiB L2, so the tile stays in
     * L2 while the register tiles stream it through L1; up to 512 intermediate channels this still gives
     * {@link #MAX_STRIP} pixels, so a strip holds whole rows of 56, 28 or 14 pixels (4, 9 or 18 rows) and
     * more of them than halo rows.
     */
    public static final long TILE_BUDGET_BYTES = 512 * 1024;
    /**
     * Outputs at least this large are written with non-temporal stores on CPUs (where the tiling prefetches): they
     * cannot stay in a 32 MiB L3 next to the input, and streaming them saves reading each output line before
     * writing it.
     */
    public static final long STREAM_OUTPUT_BYTES = 16L << 20;
    /** Work-items per compute unit the fused grid aims at; fewer strips than that split the output channels. */
    public static final int ITEMS_PER_UNIT = 4;
    /**
     * AUTO takes the fused OpenCL path for blocks with at most this many intermediate channels (see
     * {@link #passesOver}). Measured on PoCL (docs/separable.md, five runs on a shared machine): up to 256
     * channels (outputs of 28×28 and larger) the fused kernel ran 0.96–3.1× the unfused speed at batch 1 and
     * 0.81–2.2× at batch 8, above 1.1× in all but 7 of 60 cases; with 512 and 1024 channels (14×14 and 7×7 outputs,
     * one strip per image) 0.60–1.6× at batch 1 (below 1 in 9 of 15 cases), and at batch 8 either ~1.5× or, when its
     * 8 work-items split unevenly over the cores, ~0.8×.
     */
    public static final int FUSED_MAX_MID = 256;


    DsBlockDescriptor() {}

    /** Declines when even a {@link #VEC}-pixel strip's tile does not fit the device ({@link #tiling} is null). */
    @Override
    public Optional<String> declines(SeparableBlock block, DeviceFacts device) {
        return tiling(block, device) == null ? Optional.of("the fused kernel's tile does not fit the device") : Optional.empty();
    }

    /** Passes over blocks with more than {@link #FUSED_MAX_MID} intermediate channels. */
    @Override
    public Optional<String> passesOver(SeparableBlock block, DeviceFacts device) {
        return block.midChannels() <= FUSED_MAX_MID ? Optional.empty() : Optional.of("unfused: " + block.midChannels()
                + " intermediate channels > " + FUSED_MAX_MID + ", where the fused kernel measured slower on small outputs");
    }

    @Override
    public String chosenBecause(SeparableBlock block) {
        return "fused: at most " + FUSED_MAX_MID + " intermediate channels, where the fused kernel measured faster";
    }

    @Override
    public String kernelFile() { return "conv2d_dsblock.cl"; }

    @Override
    public String entryPoint() { return "conv2d_dsblock"; }

    @Override
    public SortedMap<String, Integer> defines(SeparableBlock block, DeviceFacts device) {
        return tilingDefines(block, requireTiling(block, device));
    }

    /**
     * The depthwise weights, the depthwise bias (zeros when the step has none), and the pointwise weights
     * {@link #packByTiles packed by register tiles}.
     */
    @Override
    public List<Launch.Upload> uploads(SeparableBlock block, DeviceFacts device, Epilogue.Folded depthwise, Epilogue.Folded pointwise) {
        Tiling tiling = requireTiling(block, device);
        return List.of(new Launch.Upload(Launch.Role.DEPTHWISE_WEIGHTS, "depthwise weights", depthwise.weights()),
                new Launch.Upload(Launch.Role.DEPTHWISE_BIAS, "depthwise bias",
                        depthwise.bias() != null ? depthwise.bias() : new float[block.midChannels()]),
                new Launch.Upload(Launch.Role.WEIGHTS, "pointwise weights",
                        packByTiles(pointwise.weights(), block.outChannels(), block.midChannels(), tiling.ocTile())));
    }

    /**
     * The grid of {@link Tiling#grid} for the output, with arguments {@code src, dw weights, dw bias, pw weights, pw
     * bias, dst, N, C, H, W, OC, OH, OW, padTop, padLeft, channels per item, strip length, strips per item, stream}.
     */
    @Override
    public Launch launch(SeparableBlock block, DeviceFacts device, Shape in) {
        Tiling tiling = requireTiling(block, device);
        Shape out = block.outputShape(in);
        ConvSpec dw = block.depthwise();
        Grid grid = tiling.grid(out, device.computeUnits());
        return new Launch(0, grid.global(), tiling.local(), Launch.args(
                List.of(Launch.Role.INPUT, Launch.Role.DEPTHWISE_WEIGHTS, Launch.Role.DEPTHWISE_BIAS, Launch.Role.WEIGHTS,
                        Launch.Role.BIAS, Launch.Role.OUTPUT),
                in.n(), in.c(), in.h(), in.w(), out.c(), out.h(), out.w(), dw.padTop(), dw.padLeft(), grid.channelsPerItem(),
                grid.stripLength(), grid.stripsPerItem(), grid.streamOutput() ? 1 : 0));
    }

    @Override
    public String describe(SeparableBlock block, DeviceFacts device, String reason) {
        Tiling tiling = requireTiling(block, device);
        return "fused (" + reason + "): " + entryPoint() + ", a strip of " + tiling.strip() + " pixels x all output "
                + "channels per work-item (split into groups when a batch has few strips), depthwise tile of all "
                + block.midChannels() + " intermediate channels in local memory, " + tiling.ocTile() + " channels x "
                + tiling.pixVecs() * tiling.vec() + " pixels per register tile";
    }

    private static Tiling requireTiling(SeparableBlock block, DeviceFacts device) {
        Tiling t = tiling(block, device);
        if (t == null) throw new IllegalArgumentException("the fused kernel's tile for " + block + " does not fit the device");
        return t;
    }

    /**
     * The pointwise weights {@code w [rows][cols]} (rows: output channels) packed by register tiles of {@code tile}
     * rows: {@code [ceil(rows / tile)][cols][tile]}, the rows past {@code rows} zero, so one tile's weights are
     * consecutive.
     */
    static float[] packByTiles(float[] w, int rows, int cols, int tile) {
        int tiles = (rows + tile - 1) / tile;
        float[] packed = new float[tiles * cols * tile];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) packed[((r / tile) * cols + c) * tile + r % tile] = w[r * cols + c];
        }
        return packed;
    }

    /**
     * The fused kernel's tiling, fixed at prepare time; the grid (strip length, strips per work-item, channel groups) follows the input shape ({@link #grid}).
     *
     * @param strip    output pixels per work-item (a multiple of {@code vec})
     * @param vec      pixels per vector register
     * @param ocTile   output channels per register tile
     * @param pixVecs  pixel vectors per register tile
     * @param localX   work-items per work-group, each with its own tile
     */
    public record Tiling(int strip, int vec, int ocTile, int pixVecs, int localX, boolean prefetch, boolean ocOuter) {
        public Tiling {
            if (vec != 8 && vec != 16) throw new IllegalArgumentException("vec must be 8 or 16, got " + vec);
            if (strip < vec || strip % vec != 0) throw new IllegalArgumentException("strip must be a positive multiple of vec " + vec + ", got " + strip);
            if (ocTile < 1) throw new IllegalArgumentException("ocTile must be positive, got " + ocTile);
            if (pixVecs < 1) throw new IllegalArgumentException("pixVecs must be positive, got " + pixVecs);
            if (localX < 1) throw new IllegalArgumentException("localX must be positive, got " + localX);
        }

        /** The local size {@code (localX, 1, 1)}. */
        public long[] local() {
            return new long[] {localX, 1, 1};
        }

        /**
         * Pixels per strip for an output of {@code height} rows of {@code width}: whole rows when a row fits a strip
         * (so the depthwise step runs along full rows). Preferably the most rows (at most {@code strip} pixels) that
         * split the height evenly and make a strip whole vectors, so the GEMM computes no pixel twice (28-wide
         * rows: 4 rows = 112 pixels = 7 vectors, where 7 rows = 196 pixels took 13 vectors for 12.25 and measured
         * 6–8% slower); otherwise spread evenly (the fewest strips of at most {@code strip} pixels, each as many
         * rows as the others, give or take one); {@code strip} when one row is longer.
         */
        public int stripLength(int height, int width) {
            if (width > strip) return strip;
            int maxRows = strip / width;
            for (int rows = Math.min(maxRows, height); rows >= 1; rows--) {
                if (height % rows == 0 && wholeVectors(rows, width)) return rows * width;
            }
            int strips = (height + maxRows - 1) / maxRows;
            return (height + strips - 1) / strips * width;
        }

        /** Whether {@code rows} rows of {@code width} pixels are whole vectors. */
        private boolean wholeVectors(long rows, int width) {
            return rows * width % vec == 0;
        }

        /**
         * How the fused kernel's grid covers {@code output} on {@code computeUnits}: strips of {@link #stripLength}
         * pixels; consecutive strips of one image per work-item (so each prefetches its next strip's input while
         * computing the current one) as long as the batch still gives {@link #ITEMS_PER_UNIT} work-items per compute
         * unit. With fewer strips than that, strips get shorter (whole rows, but one row more when that makes them
         * whole vectors), then the output channels split into the number of groups that brings the work-items
         * nearest to it (each group recomputes the depthwise tile, which is memory-bound: 7 strips stay 7 work-items
         * on 2 compute units rather than 14, measured ~10% faster at 28 x 28; at most one group per {@code ocTile}
         * channels).
         */
        public Grid grid(Shape output, int computeUnits) {
            long pixels = (long) output.h() * output.w();
            long wanted = (long) ITEMS_PER_UNIT * computeUnits;
            int stripLength = stripLength(output.h(), output.w());
            if ((pixels + stripLength - 1) / stripLength * output.n() < wanted) {
                // too few strips: shorter ones, down to one register tile's pixels, before splitting the channels
                // (which recomputes the depthwise step); whole rows when a row fits a strip
                int least = vec * pixVecs;
                if (output.w() <= strip) {
                    long rows = Math.max((least + output.w() - 1) / output.w(), (long) output.h() * output.n() / wanted);
                    if (!wholeVectors(rows, output.w()) && wholeVectors(rows + 1, output.w())) rows++;
                    stripLength = (int) Math.min(stripLength, rows * output.w());
                } else {
                    long perItem = (pixels * output.n() + wanted - 1) / wanted;
                    stripLength = (int) Math.min(stripLength, Math.max(least, (perItem + vec - 1) / vec * vec));
                }
            }
            int strips = (int) ((pixels + stripLength - 1) / stripLength);
            long all = (long) strips * output.n();
            int perItem = (int) Math.max(1, Math.min(strips, all / wanted));
            int items = (strips + perItem - 1) / perItem;
            long tiles = (output.c() + ocTile - 1) / ocTile;
            int groups = (int) Math.max(1, Math.min(tiles, Math.round((double) wanted / all)));
            int perGroup = (output.c() + groups - 1) / groups;
            int channels = (perGroup + ocTile - 1) / ocTile * ocTile;
            groups = (output.c() + channels - 1) / channels;
            boolean stream = prefetch && DataType.FLOAT32.bytes(output.count()) >= STREAM_OUTPUT_BYTES;
            return new Grid(new long[] {(items + localX - 1) / localX * localX, groups, output.n()}, stripLength, perItem,
                    channels, stream);
        }

        /** Bytes of local memory one work-group's tiles take for {@code midChannels}. */
        public long tileBytes(int midChannels) {
            return DataType.FLOAT32.bytes((long) midChannels * strip * localX);
        }
    }

    /**
     * The fused kernel's grid for one input shape.
     *
     * @param global          the global size: work-items along strips (a multiple of the local size), channel groups, images
     * @param stripLength     pixels per strip, at most the tiling's {@code strip} (kernel argument)
     * @param stripsPerItem   consecutive strips per work-item (kernel argument)
     * @param channelsPerItem output channels per work-item, a multiple of {@code ocTile} (kernel argument)
     * @param streamOutput    whether the output is written with non-temporal (cache-bypassing) stores (kernel argument)
     */
    public record Grid(long[] global, int stripLength, int stripsPerItem, int channelsPerItem, boolean streamOutput) {
        public Grid {
            global = global.clone();
        }

        @Override
        public long[] global() { return global.clone(); }
    }

    /**
     * The fused kernel's tiling of {@code block} on {@code device}: the strip is the largest multiple of {@link #VEC}
     * whose tile fits {@link #TILE_BUDGET_BYTES}, within [{@link #MIN_STRIP}, {@link #MAX_STRIP}], shortened to fit
     * the device's local memory; {@code null} when even a {@link #VEC}-pixel strip does not fit.
     */
    public static Tiling tiling(SeparableBlock block, DeviceFacts device) {
        if (block == null) throw new IllegalArgumentException("block must not be null");
        if (device == null) throw new IllegalArgumentException("device facts must not be null");
        long perPixel = DataType.FLOAT32.bytes((long) block.midChannels() * LOCAL_X);
        long byBudget = TILE_BUDGET_BYTES / perPixel / VEC * VEC;
        long strip = Math.max(MIN_STRIP, Math.min(MAX_STRIP, byBudget));
        strip = Math.min(strip, device.localMemBytes() / perPixel / VEC * VEC);
        if (strip < VEC || LOCAL_X > Math.min(device.maxWorkGroupSize(), device.maxWorkItemSizes()[0])) return null;
        return new Tiling((int) strip, VEC, OC_TILE, PIX_VECS, LOCAL_X, "CPU".equals(device.type()), true);
    }

    /** The fused kernel's defines for {@code block} and {@code tiling}, without the epilogue switches, which the backend adds. */
    public static SortedMap<String, Integer> tilingDefines(SeparableBlock block, Tiling tiling) {
        if (tiling == null) throw new IllegalArgumentException("tiling must not be null");
        var d = block.depthwise();
        TreeMap<String, Integer> defines = new TreeMap<>();
        Planner.putWindow(defines, d);
        defines.put("DEPTH_MULT", d.depthMultiplier());
        defines.put("MID", block.midChannels());
        defines.put("STRIP", tiling.strip());
        defines.put("VEC", tiling.vec());
        defines.put("OC_TILE", tiling.ocTile());
        defines.put("PIX_VECS", tiling.pixVecs());
        defines.put("DW_ROWS", DW_ROWS);
        defines.put("KSTEP", KSTEP);
        defines.put("LOCAL_X", tiling.localX());
        defines.put("OC_OUTER", tiling.ocOuter() ? 1 : 0);
        defines.put("PREFETCH", tiling.prefetch() ? 1 : 0);
        defines.put("NT_STORE", tiling.prefetch() ? 1 : 0);
        return defines;
    }
}
