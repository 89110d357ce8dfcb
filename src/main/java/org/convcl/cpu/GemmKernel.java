package org.convcl.cpu;

import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Shape;

/**
 * Pointwise, full and grouped convolution as one register-blocked matrix product per group:
 * {@code out[o][col] = Σ_k W[o][k] · B[k][col]} with {@code M = Cout/groups} rows, {@code K = Cin/groups·KH·KW}
 * and one column per output pixel of every image ({@code N·OH·OW} columns, so small layers at batch > 1 fill
 * whole tiles). {@code B} is the input itself for 1×1 stride-1 unpadded layers and the implicit im2col matrix
 * otherwise; it is never materialised whole.
 *
 * <p>The weights are packed once, at prepare time, into panels of {@link Simd#tileRows()} output channels laid out
 * {@code [k][row]} (rows past {@code M} zero), the order the micro-tile reads them. One task owns a group, a block
 * of columns and a chunk of weight panels: it packs its block of {@code B} into panels of {@link Simd#tileCols()}
 * columns laid out {@code [k][col]} (at most {@value #BLOCK_FLOATS} floats, so the block stays in the core's L2
 * while every weight panel of the chunk passes over it; each weight panel is reused from L1 across the block),
 * then runs the micro-tile for each (weight panel, column panel) pair, the epilogue fused at its store.
 * Blocks and chunks are sized so that every worker gets work while keeping re-read weights and re-packed
 * inputs to a minimum. 1×1 stride-1 layers pack nothing: the micro-tile reads the input planes in place
 * ({@link #runOnPlanes}).
 */
final class GemmKernel implements ConvKernel {
    /** Upper bound on a task's packed input block: 64 Ki floats (256 KiB), a quarter of a core's 1 MiB L2. */
    static final int BLOCK_FLOATS = 1 << 16;
    /**
     * In-place pointwise layers with a reduction at most this long ({@link #runOnPlanes}) sweep each weight panel over
     * a strip of column panels before the next weight panel; deeper ones run every weight panel per column panel.
     */
    static final int STRIP_MAX_DEPTH = 32;
    /** Input floats of one strip (128 KiB: in L2 while the task's weight panels pass over it). */
    static final int STRIP_FLOATS = 1 << 15;

    private final ConvSpec spec;
    private final Simd simd;
    private final int mr, nr, groups, rows, depth, cinPerGroup, kh, kw, sh, sw, dh, dw, padTop, padLeft;
    private final int weightPanels;
    /** True for 1×1, stride 1, no padding: the input planes are the rows of {@code B}. */
    private final boolean channelRows;
    private final float[] packed; // [group][panel][k][mr]
    private final float[] bias;   // [cout], zeros when none
    private final float[] zeros;  // bias of the unbiased tiles stored to scratch
    private final Activation activation;

    GemmKernel(ConvSpec spec, Epilogue.Folded folded, Simd simd) {
        this.spec = spec;
        this.simd = simd;
        mr = simd.tileRows();
        nr = simd.tileCols();
        groups = spec.groups();
        rows = spec.outChannelsPerGroup();
        cinPerGroup = spec.inChannelsPerGroup();
        kh = spec.kernelH();
        kw = spec.kernelW();
        sh = spec.strideH();
        sw = spec.strideW();
        dh = spec.dilationH();
        dw = spec.dilationW();
        padTop = spec.padTop();
        padLeft = spec.padLeft();
        depth = cinPerGroup * kh * kw;
        weightPanels = (rows + mr - 1) / mr;
        channelRows = kh == 1 && kw == 1 && sh == 1 && sw == 1 && padTop == 0 && padLeft == 0
                && spec.padBottom() == 0 && spec.padRight() == 0;
        packed = pack(folded.weights());
        bias = folded.bias() == null ? new float[spec.outChannels()] : folded.bias();
        zeros = new float[mr];
        activation = folded.activation();
    }

    /** The packed weights ({@code [group][panel][k][mr]}); shared, do not write them. */
    float[] packedWeights() {
        return packed;
    }

    /** OIHW weights (each output channel's row is its {@code K} values in (ci, ky, kx) order) into micro-panels. */
    private float[] pack(float[] weights) {
        float[] p = new float[groups * weightPanels * depth * mr];
        for (int g = 0; g < groups; g++) {
            for (int panel = 0; panel < weightPanels; panel++) {
                int base = (g * weightPanels + panel) * depth * mr;
                for (int r = 0; r < mr && panel * mr + r < rows; r++) {
                    int src = (g * rows + panel * mr + r) * depth;
                    for (int k = 0; k < depth; k++) p[base + k * mr + r] = weights[src + k];
                }
            }
        }
        return p;
    }

    @Override
    public String plan() {
        String what = switch (spec.kind()) {
            case POINTWISE -> "pointwise";
            case GROUPED -> "implicit GEMM, groups=" + groups;
            default -> "implicit GEMM";
        };
        return what + " (" + simd.describe() + "): " + rows + "x" + depth + " weights packed in " + mr + "-row panels"
                + " times " + (channelRows ? "the input planes read in place, " + nr + " columns per tile"
                : "im2col columns in " + nr + "-column panels, blocks of up to " + BLOCK_FLOATS + " floats")
                + ", epilogue at the store";
    }

    @Override
    public void run(float[] in, Shape inShape, float[] out, Shape outShape) {
        int pixels = outShape.h() * outShape.w();
        int cols = outShape.n() * pixels;
        Split split = Split.of(groups, cols, nr, depth, weightPanels, mr);
        if (channelRows) {
            runOnPlanes(in, inShape, out, outShape, split, pixels, cols);
            return;
        }
        Im2col im2col = new Im2col(inShape, outShape);
        int units = split.units(groups);
        CpuPool.parallelRanges(units, units, (from, to) -> {
            float[] block = CpuPool.workerScratch(CpuPool.BLOCK_SCRATCH, depth * split.panelsPerBlock * nr); // every float read is packed first
            float[] tile = new float[mr * nr], spanning = new float[mr * nr];
            int[] columnScratch = new int[3 * nr];
            for (int u = from; u < to; u++) {
                Split.Unit unit = split.unit(u, cols, nr, weightPanels);
                int g = unit.group(), col0 = unit.col0(), panels = unit.panels();
                for (int j = 0; j < panels; j++) {
                    int c = col0 + j * nr;
                    im2col.pack(in, g, c, Math.min(nr, cols - c), block, j * depth * nr, columnScratch);
                }
                for (int panel = unit.firstPanel(); panel < unit.endPanel(); panel++) {
                    int aOff = (g * weightPanels + panel) * depth * mr;
                    int validRows = Math.min(mr, rows - panel * mr);
                    int o0 = g * rows + panel * mr;
                    for (int j = 0; j < panels; j++) {
                        int c = col0 + j * nr;
                        store(block, j * depth * nr, aOff, validRows, o0, c, Math.min(nr, cols - c), pixels,
                                outShape.c(), out, tile, spanning);
                    }
                }
            }
        });
    }

    /**
     * 1×1 stride-1 layers: the micro-tile reads its input rows in place ({@code bRows[k] = k·H·W}: channel
     * {@code k} of the column's image), so nothing is packed. Deep reductions run every weight panel of the task's
     * chunk on one column panel while its {@code depth × nr} floats stay in L1. Short ones (at most
     * {@value #STRIP_MAX_DEPTH}, MobileNet's pw1: there the output is twice the input and writing it dominates) sweep
     * each weight panel over a strip of {@link #STRIP_FLOATS} input floats, so each tile row is written in long runs
     * of few streams and the strip is re-read from L2. Panels that run past an image's last pixel are packed.
     */
    private void runOnPlanes(float[] in, Shape inShape, float[] out, Shape outShape, Split split, int pixels, int cols) {
        int[] planeRows = new int[depth];
        for (int k = 0; k < depth; k++) planeRows[k] = k * pixels;
        int units = split.units(groups);
        int strip = stripPanels();
        CpuPool.parallelRanges(units, units, (from, to) -> {
            float[] panelScratch = null; // the worker's own block scratch, taken at the first strip that needs packing
            float[] tile = new float[mr * nr], spanning = new float[mr * nr];
            int[] inOff = new int[strip], outOff = new int[strip]; // per panel of the strip; inOff -1: packed
            for (int u = from; u < to; u++) {
                Split.Unit unit = split.unit(u, cols, nr, weightPanels);
                int g = unit.group(), col0 = unit.col0(), panels = unit.panels();
                for (int s0 = 0; s0 < panels; s0 += strip) {
                    int count = Math.min(strip, panels - s0);
                    for (int i = 0; i < count; i++) { // where each panel reads and writes; pack those that span images
                        int c = col0 + (s0 + i) * nr, n = c / pixels, px = c - n * pixels;
                        boolean inPlace = px + nr <= pixels;
                        inOff[i] = inPlace ? (n * inShape.c() + g * cinPerGroup) * pixels + px : -1;
                        outOff[i] = (n * outShape.c() + g * rows) * pixels + px;
                        if (!inPlace) {
                            if (panelScratch == null) {
                                panelScratch = CpuPool.workerScratch(CpuPool.BLOCK_SCRATCH, strip * depth * nr);
                            }
                            packChannelRows(in, inShape, g, c, Math.min(nr, cols - c), panelScratch, i * depth * nr);
                        }
                    }
                    for (int panel = unit.firstPanel(); panel < unit.endPanel(); panel++) {
                        int aOff = (g * weightPanels + panel) * depth * mr;
                        int validRows = Math.min(mr, rows - panel * mr);
                        int o0 = g * rows + panel * mr;
                        for (int i = 0; i < count; i++) {
                            int c = col0 + (s0 + i) * nr, width = Math.min(nr, cols - c);
                            if (inOff[i] >= 0) {
                                simd.gemmTile(packed, aOff, in, inOff[i], planeRows, depth, out,
                                        outOff[i] + panel * mr * pixels, pixels, validRows, width, bias, o0, activation,
                                        tile);
                            } else {
                                store(panelScratch, i * depth * nr, aOff, validRows, o0, c, width, pixels, outShape.c(),
                                        out, tile, spanning);
                            }
                        }
                    }
                }
            }
        });
    }

    /** Column panels a weight panel sweeps before the next one starts (1: every weight panel per column panel). */
    private int stripPanels() {
        return depth <= STRIP_MAX_DEPTH ? Math.max(1, STRIP_FLOATS / (depth * nr)) : 1;
    }

    /** Runs one micro-tile and stores it; a tile whose columns span two images goes through scratch. */
    private void store(float[] block, int bOff, int aOff, int validRows, int o0, int c, int count, int pixels,
                       int cout, float[] out, float[] tile, float[] acc) {
        int n = c / pixels, p = c - n * pixels;
        if (p + count <= pixels) {
            simd.gemmTile(packed, aOff, block, bOff, depth, out, (n * cout + o0) * pixels + p, pixels, validRows, count,
                    bias, o0, activation, tile);
            return;
        }
        simd.gemmTile(packed, aOff, block, bOff, depth, acc, 0, nr, validRows, nr, zeros, 0, Activation.NONE, tile);
        for (int done = 0; done < count; ) {
            int img = (c + done) / pixels, px = (c + done) - img * pixels;
            int len = Math.min(count - done, pixels - px);
            for (int r = 0; r < validRows; r++) {
                EpilogueWriter.write(acc, r * nr + done, out, (img * cout + o0 + r) * pixels + px, len, bias[o0 + r],
                        activation);
            }
            done += len;
        }
    }

    /** Columns {@code [c, c+count)} of the input planes of group {@code g} into one {@code [k][nr]} panel, zero-padded. */
    private void packChannelRows(float[] in, Shape inShape, int g, int c, int count, float[] dst, int dstOff) {
        int pixels = inShape.h() * inShape.w();
        for (int done = 0; done < nr; ) {
            if (done >= count) {
                for (int k = 0; k < depth; k++) {
                    int d = dstOff + k * nr;
                    for (int j = done; j < nr; j++) dst[d + j] = 0f;
                }
                break;
            }
            int img = (c + done) / pixels, px = (c + done) - img * pixels;
            int len = Math.min(count - done, pixels - px);
            int src = (img * inShape.c() + g * cinPerGroup) * pixels + px;
            for (int k = 0; k < depth; k++) System.arraycopy(in, src + k * pixels, dst, dstOff + k * nr + done, len);
            done += len;
        }
    }

    /** The implicit im2col matrix of one forward: column {@code n·OH·OW + y·OW + x}, row {@code (ci·KH + ky)·KW + kx}. */
    private final class Im2col {
        private final int inC, inH, inW, outW, pixels, cols, plane;

        Im2col(Shape inShape, Shape outShape) {
            inC = inShape.c();
            inH = inShape.h();
            inW = inShape.w();
            outW = outShape.w();
            pixels = outShape.h() * outShape.w();
            cols = outShape.n() * pixels;
            plane = inH * inW;
        }

        /** Columns {@code [c, c+count)} into one {@code [k][nr]} panel; padding and columns past the end are zero. */
        void pack(float[] in, int g, int c, int count, float[] dst, int dstOff, int[] scratch) {
            // Per column: the offset of its image's first channel of the group, and the input row and column of tap (0, 0).
            int[] base = scratch; // [0, nr): image offset, [nr, 2nr): iy0, [2nr, 3nr): ix0
            for (int j = 0; j < nr; j++) {
                if (j < count) {
                    int col = c + j, img = col / pixels, px = col - img * pixels, y = px / outW, x = px - y * outW;
                    base[j] = (img * inC + g * cinPerGroup) * plane;
                    base[nr + j] = y * sh - padTop;
                    base[2 * nr + j] = x * sw - padLeft;
                } else {
                    base[j] = 0;
                    base[nr + j] = -inH - (kh - 1) * dh - 1; // below the image for every tap: reads nothing
                    base[2 * nr + j] = 0;
                }
            }
            int k = 0;
            for (int ci = 0; ci < cinPerGroup; ci++) {
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++, k++) {
                        int d = dstOff + k * nr, chan = ci * plane;
                        for (int j = 0; j < nr; j++) {
                            int iy = base[nr + j] + ky * dh, ix = base[2 * nr + j] + kx * dw;
                            dst[d + j] = iy >= 0 && iy < inH && ix >= 0 && ix < inW
                                    ? in[base[j] + chan + iy * inW + ix] : 0f;
                        }
                    }
                }
            }
        }
    }

    /**
     * How one forward splits into tasks: column blocks of {@code panelsPerBlock} panels (at most
     * {@link #BLOCK_FLOATS} packed floats) times chunks of {@code panelsPerChunk} weight panels.
     */
    record Split(int colBlocks, int panelsPerBlock, int rowChunks, int panelsPerChunk) {

        /** One task: group {@code group}, the column panels from column {@code col0}, weight panels {@code [firstPanel, endPanel)}. */
        record Unit(int group, int col0, int panels, int firstPanel, int endPanel) {}

        /** How many units a layer of {@code groups} groups splits into. */
        int units(int groups) {
            return groups * colBlocks * rowChunks;
        }

        /** Unit {@code u} (row chunks vary fastest, then column blocks, then groups) of a layer of {@code cols} columns. */
        Unit unit(int u, int cols, int nr, int weightPanels) {
            int chunk = u % rowChunks;
            int colBlock = u / rowChunks % colBlocks;
            int col0 = colBlock * panelsPerBlock * nr;
            int count = Math.min(cols - col0, panelsPerBlock * nr);
            int firstPanel = chunk * panelsPerChunk;
            return new Unit(u / (rowChunks * colBlocks), col0, (count + nr - 1) / nr, firstPanel,
                    Math.min(weightPanels, firstPanel + panelsPerChunk));
        }

        /**
         * Among the splits that give {@link CpuPool#tasksFor} tasks (or as many as the layer allows), the one that
         * moves the least data: every column block re-reads its chunk's weights, every row chunk re-packs its block.
         */
        static Split of(int groups, int cols, int nr, int depth, int weightPanels, int mr) {
            int colPanels = (cols + nr - 1) / nr;
            int budget = Math.max(1, BLOCK_FLOATS / Math.max(1, depth * nr));
            int wanted = CpuPool.tasksFor(groups * colPanels * weightPanels);
            Split best = null;
            long bestCost = Long.MAX_VALUE;
            int bestTasks = 0;
            for (int blocks = (colPanels + budget - 1) / budget; blocks <= colPanels; blocks++) {
                int perBlock = (colPanels + blocks - 1) / blocks;
                int realBlocks = (colPanels + perBlock - 1) / perBlock;
                if (realBlocks != blocks) continue;
                int chunks = Math.min(weightPanels, Math.max(1, (wanted + groups * blocks - 1) / (groups * blocks)));
                int perChunk = (weightPanels + chunks - 1) / chunks;
                int realChunks = (weightPanels + perChunk - 1) / perChunk;
                int tasks = groups * blocks * realChunks;
                long cost = (long) blocks * weightPanels * mr + (long) realChunks * colPanels * nr;
                int capped = Math.min(tasks, wanted);
                if (capped > bestTasks || (capped == bestTasks && cost < bestCost)) {
                    best = new Split(blocks, perBlock, realChunks, perChunk);
                    bestCost = cost;
                    bestTasks = capped;
                }
                if (groups * blocks >= wanted) break; // more blocks only re-read the weights more often
            }
            return best;
        }
    }
}
