package org.convcl.cpu;

import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Shape;

/**
 * Full convolution with a short reduction ({@code Cin·KH·KW ≤} {@value #MAX_DEPTH}; MobileNet's first layer, 3→32,
 * 3×3 stride 2, has 27) as the register-blocked matrix product of {@link GemmKernel}, but with the input rows read in
 * place instead of packed into im2col panels: a micro-tile covers {@link Simd#tileRows()} output channels times
 * {@link Simd#tileCols()} consecutive columns of one output row, and its row {@code k = (ci, ky, kx)} is the
 * contiguous run that tap {@code (ky, kx)} of input channel {@code ci} reads in the band's phase-split input rows
 * ({@link PhaseRows}). Preparing those rows costs about one copy per input element (SIMD for stride 2), where an
 * im2col panel costs {@code KH·KW} bounds-checked copies per output pixel, which cost more than the product itself
 * when the reduction is this short.
 *
 * <p>Output rows whose width is a multiple of half a tile ({@link #runFlat}; MobileNet's 112) are taken as one flat
 * run per band, so the last half-tile of a row pairs with the first of the next instead of leaving half a tile idle,
 * and each weight panel sweeps the whole band before the next (its output rows are written in long runs while the
 * band's input rows stay in L2). Other widths run tile by tile along each row, every weight panel per tile.
 *
 * <p>One unit is an image and a band of output rows; bands are cut so that every worker gets several units and the
 * band's input rows stay within {@link GemmKernel#BLOCK_FLOATS} floats (a quarter of a core's L2). Outputs
 * narrower than {@link #MIN_WIDTH} columns, where most of a tile's columns would be wasted, take the im2col GEMM.
 */
final class RowGemmKernel implements ConvKernel {
    /** The longest reduction taken: the band's phase-split rows of every input channel stay in L1/L2. */
    static final int MAX_DEPTH = 64;
    /** Narrower outputs take {@link GemmKernel}. */
    static final int MIN_WIDTH = 16;

    private final ConvSpec spec;
    private final Simd simd;
    private final GemmKernel gemm; // the packed weights, and the path for narrow outputs
    private final int mr, nr, cout, depth, taps;
    private final float[] bias;
    private final Activation activation;

    RowGemmKernel(ConvSpec spec, Epilogue.Folded folded, Simd simd) {
        if (!suits(spec)) throw new IllegalArgumentException("row GEMM takes full convolutions with Cin·KH·KW <= "
                + MAX_DEPTH + ", not " + spec);
        this.spec = spec;
        this.simd = simd;
        gemm = new GemmKernel(spec, folded, simd);
        mr = simd.tileRows();
        nr = simd.tileCols();
        cout = spec.outChannels();
        taps = spec.kernelH() * spec.kernelW();
        depth = spec.inChannels() * taps;
        bias = folded.bias() == null ? new float[cout] : folded.bias();
        activation = folded.activation();
    }

    /** Full (groups = 1, not 1×1 stride 1) convolutions whose reduction is at most {@value #MAX_DEPTH} long. */
    static boolean suits(ConvSpec spec) {
        return spec.kind() == ConvSpec.Kind.FULL
                && (long) spec.inChannels() * spec.kernelH() * spec.kernelW() <= MAX_DEPTH;
    }

    /** The most output rows whose phase-split input rows, of every input channel, fit {@link GemmKernel#BLOCK_FLOATS}. */
    private int maxBandRows(Shape inShape, Shape outShape) {
        PhaseRows oneRow = new PhaseRows(spec, inShape, outShape, 1, nr, true, simd); // each further row adds rowStep
        int first = inShape.c() * oneRow.planeFloats, next = inShape.c() * oneRow.rowStep;
        return Math.max(1, 1 + (GemmKernel.BLOCK_FLOATS - first) / next);
    }

    @Override
    public String plan() {
        return "row GEMM (" + simd.describe() + "): " + cout + "x" + depth + " weights packed in " + mr
                + "-row panels times phase-split input rows, " + nr + " columns of one output row per tile, epilogue at"
                + " the store; outputs narrower than " + MIN_WIDTH + " columns: im2col GEMM";
    }

    @Override
    public void run(float[] in, Shape inShape, float[] out, Shape outShape) {
        int outH = outShape.h(), outW = outShape.w(), images = inShape.n(), cin = inShape.c();
        if (outW < MIN_WIDTH) {
            gemm.run(in, inShape, out, outShape);
            return;
        }
        int bandsPerImage = Math.min(outH, (CpuPool.tasksFor(images * outH) + images - 1) / images);
        int bandRows = Math.min((outH + bandsPerImage - 1) / bandsPerImage, maxBandRows(inShape, outShape));
        int bands = (outH + bandRows - 1) / bandRows;
        PhaseRows rows = new PhaseRows(spec, inShape, outShape, bandRows, nr, true, simd);
        int[] bRows = new int[depth]; // row k = (ci, tap) of a tile: that tap's run in channel ci's rows
        for (int ci = 0; ci < cin; ci++) {
            for (int t = 0; t < taps; t++) bRows[ci * taps + t] = ci * rows.planeFloats + rows.firstRowTaps[t];
        }
        float[] packed = gemm.packedWeights();
        int panels = (cout + mr - 1) / mr, inPlane = inShape.h() * inShape.w(), outPlane = outH * outW;
        int units = images * bands, half = nr / 2;
        CpuPool.parallelRanges(units, CpuPool.tasksFor(units), (from, to) -> {
            float[] scratch = rows.scratch(cin);
            float[] tile = new float[mr * nr];
            for (int u = from; u < to; u++) {
                int band = u % bands, img = u / bands;
                int y0 = band * bandRows, y1 = Math.min(outH, y0 + bandRows);
                for (int ci = 0; ci < cin; ci++) {
                    rows.fill(in, (img * cin + ci) * inPlane, y0, y1, scratch, ci * rows.planeFloats);
                }
                if (outW % half == 0) {
                    runFlat(packed, scratch, rows.rowStep, bRows, out, (img * cout) * outPlane + y0 * outW,
                            outPlane, outW, (y1 - y0) * (outW / half), tile);
                    continue;
                }
                for (int y = y0; y < y1; y++) {
                    int rowBase = (y - y0) * rows.rowStep;
                    for (int x0 = 0; x0 < outW; x0 += nr) {
                        int cols = Math.min(nr, outW - x0);
                        for (int p = 0; p < panels; p++) {
                            int o0 = p * mr;
                            simd.gemmTile(packed, p * depth * mr, scratch, rowBase + x0, bRows, depth, out,
                                    (img * cout + o0) * outPlane + y * outW + x0, outPlane, Math.min(mr, cout - o0),
                                    cols, bias, o0, activation, tile);
                        }
                    }
                }
            }
        });
    }

    /**
     * A band of rows {@code outW} wide, a multiple of half a tile, as one flat run of {@code halves} half-tiles,
     * weight panel by weight panel: each tile pairs two consecutive half-tiles ({@link Simd#gemmTileHalves}), the
     * last of a row with the first of the next. {@code outBase} is the band's first pixel in output channel 0.
     */
    private void runFlat(float[] packed, float[] scratch, int rowStep, int[] bRows, float[] out, int outBase,
                         int outPlane, int outW, int halves, float[] tile) {
        int half = nr / 2, perRow = outW / half, panels = (cout + mr - 1) / mr;
        for (int p = 0; p < panels; p++) {
            int o0 = p * mr;
            for (int v = 0; v < halves; v += 2) {
                int y = v / perRow, x = (v - y * perRow) * half;
                int bOff = y * rowStep + x, bOff2 = bOff;
                if (v + 1 < halves) {
                    int y2 = (v + 1) / perRow;
                    bOff2 = y2 * rowStep + (v + 1 - y2 * perRow) * half;
                }
                int cols = Math.min(nr, (halves - v) * half), outOff = outBase + y * outW + x;
                simd.gemmTileHalves(packed, p * depth * mr, scratch, bOff, bOff2, bRows, depth, out,
                        outOff + o0 * outPlane, outPlane, Math.min(mr, cout - o0), cols, bias, o0, activation, tile);
            }
        }
    }
}
