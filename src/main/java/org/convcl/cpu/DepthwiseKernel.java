package org.convcl.cpu;

import java.util.Arrays;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Shape;

/**
 * Depthwise convolution (any kernel, stride, dilation, padding and depth multiplier γ), SIMD along x.
 *
 * <p>One unit of work is an image, an input channel and a band of output rows; it computes the γ output channels
 * that read that input channel. The band's input rows are copied once into a scratch of zero-padded rows split
 * into their stride phases ({@link PhaseRows}), so every tap of every output row becomes one contiguous run. Each
 * scratch row serves every output row and every one of the γ outputs whose window covers it (the sliding window
 * along rows), and the padded border is read as zeros with no bounds checks. Units are grouped into tasks so that
 * every worker gets several.
 *
 * <p>Stride 1 with padding that keeps the plane's size takes the flat-plane kernel instead when the SIMD path runs
 * it faster ({@link Simd#depthwiseFlatWins()}): a plane is one run of {@code H·W} outputs, so a vector spans rows
 * (a 7×7 plane fills 49 of 64 lanes instead of 7 of 16 per row) and the input is read in place ({@link #runFlat}).
 * Stride 2 with output rows of at most half a vector takes it too, over the plane split into its four stride phases.
 *
 * <p>Horizontal stride 2 on the Vector API path reads output rows of two vectors or more straight from the input plane
 * where their taps stay inside it ({@link InPlaceRows}); only the rows at the plane's edges are copied.
 */
final class DepthwiseKernel implements ConvKernel {
    private final ConvSpec spec;
    private final Simd simd;
    private final int kh, kw, sh, sw, dh, dw, gamma;
    private final float[] weights; // [cout][kh][kw]
    private final float[] bias;
    private final Activation activation;
    /** Horizontal stride 2 on whole rows ({@link Simd#stride2OnWholeRows}) instead of phase-split ones. */
    private final boolean wholeRows;
    /** Each plane as one flat run of outputs ({@link #runFlat}) instead of rows. */
    private final boolean flat;

    DepthwiseKernel(ConvSpec spec, Epilogue.Folded folded, Simd simd) {
        this.spec = spec;
        this.simd = simd;
        kh = spec.kernelH();
        kw = spec.kernelW();
        sh = spec.strideH();
        sw = spec.strideW();
        dh = spec.dilationH();
        dw = spec.dilationW();
        gamma = spec.depthMultiplier();
        weights = folded.weights();
        bias = folded.bias() == null ? new float[spec.outChannels()] : folded.bias();
        activation = folded.activation();
        wholeRows = sw == 2 && simd.stride2OnWholeRows();
        // stride 1 and padding that keeps the size: output planes the size of the input ones
        flat = simd.depthwiseFlatWins() && ((sh == 1 && sw == 1 && spec.padTop() + spec.padBottom() == (kh - 1) * dh
                && spec.padLeft() + spec.padRight() == (kw - 1) * dw) || (sh == 2 && sw == 2));
    }

    @Override
    public String plan() {
        return "depthwise γ=" + gamma + ", k" + kh + "x" + kw + " s" + sh + "x" + sw + " d" + dh + "x" + dw + " ("
                + simd.describe() + "): " + (flat && sh == 1 ? FLAT_PLAN : flat ? "output rows of at most half a vector: "
                + "each plane split into its 4 stride phases, then " + FLAT_PLAN + "; wider: " + ROWS_PLAN : ROWS_PLAN);
    }

    @Override
    public void run(float[] in, Shape inShape, float[] out, Shape outShape) {
        if (flat) {
            FlatPlane f = flatPlane(inShape, outShape);
            if (f.usable) {
                runFlat(in, inShape, out, outShape, f);
                return;
            }
        }
        int outH = outShape.h(), outW = outShape.w(), channels = inShape.n() * inShape.c();
        // Bands of rows only where there are too few channels to give every worker several units.
        int bandsWanted = (CpuPool.tasksFor(channels * outH) + channels - 1) / channels;
        int bandRows = (outH + Math.min(outH, bandsWanted) - 1) / Math.min(outH, bandsWanted);
        int bands = (outH + bandRows - 1) / bandRows;
        PhaseRows rows = rows(inShape, outShape, bandRows);
        int units = channels * bands;
        CpuPool.parallelRanges(units, CpuPool.tasksFor(units), (from, to) -> {
            float[] scratch = rows.scratch();
            float[] acc = new float[simd.rowScratch(outW)];
            for (int u = from; u < to; u++) {
                int band = u % bands, nc = u / bands;
                int y0 = band * bandRows, y1 = Math.min(outH, y0 + bandRows);
                int n = nc / inShape.c(), c = nc - n * inShape.c();
                channelBand(in, inShape, outW, rows, n, c, y0, y1, scratch, acc, out,
                        ((n * outShape.c() + c * gamma) * outH + y0) * outW, outH * outW);
            }
        });
    }

    private static final String FLAT_PLAN = "each plane one flat run of outputs, SIMD across rows, columns outside the"
            + " plane masked";
    private static final String ROWS_PLAN = "zero-padded, stride-phased input rows per band, SIMD along x";

    /** Planes with fewer granules than this whose taps stay inside the plane are copied whole. */
    static final int MIN_IN_PLACE = 16;

    /** The flat layout of the last plane size run (a forward builds its own when the size differs). */
    private volatile FlatPlane lastFlat;

    private FlatPlane flatPlane(Shape inShape, Shape outShape) {
        FlatPlane f = lastFlat;
        if (f == null || f.inH != inShape.h() || f.inW != inShape.w()) {
            lastFlat = f = sh == 1 ? new FlatPlane(inShape.h(), inShape.w())
                    : new FlatPlane(inShape.h(), inShape.w(), outShape.h(), outShape.w());
        }
        return f;
    }

    /**
     * Stride 1 with output planes the size of the input: every plane is one flat run of {@code H·W} outputs
     * ({@link Simd#depthwiseFlat}), so vectors span rows and no lane idles on narrow planes. Vectors whose taps
     * stay inside the plane read the input in place; the first and last ones, whose taps reach above or below it,
     * read a copy of the plane's ends framed by zeros. Stride 2: each plane is first split into its stride phases
     * ({@link FlatPlane#split}), and every vector reads them. Units are planes, or parts of planes when there are too
     * few planes for every worker.
     */
    private void runFlat(float[] in, Shape inShape, float[] out, Shape outShape, FlatPlane f) {
        int planes = inShape.n() * inShape.c(), step = simd.flatStep();
        int granules = (f.count + step - 1) / step;
        int partsWanted = (CpuPool.tasksFor(planes * granules) + planes - 1) / planes;
        int granulesPerPart = (granules + Math.min(granules, partsWanted) - 1) / Math.min(granules, partsWanted);
        int parts = (granules + granulesPerPart - 1) / granulesPerPart;
        int units = planes * parts;
        CpuPool.parallelRanges(units, CpuPool.tasksFor(units), (fromUnit, toUnit) -> {
            float[] scratch = CpuPool.workerScratch(CpuPool.ROWS_SCRATCH, f.scratchFloats);
            Arrays.fill(scratch, 0, f.scratchFloats, 0f);
            float[] acc = new float[simd.rowScratch(f.outW)];
            for (int u = fromUnit; u < toUnit; u++) {
                int part = u % parts, plane = u / parts;
                int from = part * granulesPerPart * step, to = Math.min(f.count, from + granulesPerPart * step);
                int n = plane / inShape.c(), c = plane - n * inShape.c();
                if (f.phased) {
                    f.split(in, plane * f.inH * f.inW, scratch);
                    for (int j = 0; j < gamma; j++) {
                        int o = c * gamma + j;
                        flat(scratch, 0, from, to, f, o, out, (n * outShape.c() + o) * f.count, acc);
                    }
                    continue;
                }
                int planeOff = plane * f.count;
                if (from < f.headEnd) System.arraycopy(in, planeOff, scratch, f.zeros, f.headCopy);
                if (to > f.tailStart) {
                    System.arraycopy(in, planeOff + f.tailCopyFrom, scratch, f.zeros + f.tailCopyFrom,
                            f.count - f.tailCopyFrom);
                }
                for (int j = 0; j < gamma; j++) {
                    int o = c * gamma + j, outOff = (n * outShape.c() + o) * f.count;
                    int a = Math.min(to, f.headEnd), b = Math.max(a, Math.min(to, f.tailStart));
                    if (from < a) flat(scratch, f.zeros, from, a, f, o, out, outOff, acc);
                    if (Math.max(from, a) < b) flat(in, planeOff, Math.max(from, a), b, f, o, out, outOff, acc);
                    if (Math.max(from, b) < to) flat(scratch, f.zeros, Math.max(from, b), to, f, o, out, outOff, acc);
                }
            }
        });
    }

    private void flat(float[] src, int srcBase, int from, int to, FlatPlane f, int o, float[] out, int outOff,
                      float[] acc) {
        simd.depthwiseFlat(src, srcBase, from, to, f.taps, kw, f.colShift, f.cols, f.outW, weights, o * kh * kw, out,
                outOff, bias[o], activation, acc);
    }

    /**
     * The flat-plane layout of {@code h × w} planes: the taps' offsets from their output, each kernel column's
     * shift, the column of every output, and where the vectors that must read the framed copy begin and end.
     */
    private final class FlatPlane {
        final int inH, inW, outW, count;
        final int[] taps = new int[kh * kw], colShift = new int[kw];
        final float[] cols;
        /** Stride 2: the plane is split into its four stride phases, each read as a plane of stride 1. */
        final boolean phased;
        /** Whether the flat kernel covers this size (stride 2: every input column a tap reads has its phase column). */
        final boolean usable;
        /** Outputs before {@code headEnd} and from {@code tailStart} on read the copy. */
        final int headEnd, tailStart;
        /** The copy: {@code zeros} zeros, then the plane's first {@code headCopy} floats ... its last from {@code tailCopyFrom}, then zeros. */
        final int zeros, headCopy, tailCopyFrom, scratchFloats;
        /** Stride 2: phase {@code (a, b)} (row, column parity) holds input {@code (2i + a, 2j + b)} at {@code phaseBase[2a + b] + i·OW + j}. */
        private final int[] phaseBase = new int[4];
        private final int phaseRows;

        /** Stride 1, output planes the size of the input ones. */
        FlatPlane(int h, int w) {
            inH = h;
            inW = w;
            outW = w;
            count = h * w;
            phased = false;
            usable = true;
            phaseRows = 0;
            int step = simd.flatStep(), rounded = (count + step - 1) / step * step;
            int lowest = 0, highest = 0;
            for (int kx = 0; kx < kw; kx++) colShift[kx] = kx * dw - spec.padLeft();
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    int t = (ky * dh - spec.padTop()) * w + colShift[kx];
                    taps[ky * kw + kx] = t;
                    lowest = Math.min(lowest, t);
                    highest = Math.max(highest, t);
                }
            }
            cols = new float[rounded];
            for (int p = 0; p < rounded; p++) cols[p] = p % w;
            zeros = -lowest;
            int head = Math.min(rounded, (zeros + step - 1) / step * step);
            // in place only while a whole granule and its highest tap stay inside the plane
            int lastInPlace = count - step - highest;
            int tail = Math.max(head, lastInPlace < 0 ? 0 : (lastInPlace / step + 1) * step);
            // a plane with few granules in place is read from one whole copy, in one call
            boolean whole = tail - head < MIN_IN_PLACE * step;
            headEnd = whole ? rounded : head;
            tailStart = whole ? rounded : tail;
            headCopy = Math.min(count, headEnd + highest);
            tailCopyFrom = Math.max(0, Math.min(count, tailStart + lowest));
            scratchFloats = zeros + rounded + highest;
        }

        /**
         * Stride 2: output {@code (y, x)} and tap {@code (ky, kx)} read input row {@code 2(y + di) + a} and column
         * {@code 2(x + dj) + b}, that is element {@code (y + di, x + dj)} of phase {@code (a, b)}; each phase is a
         * plane of pitch {@code OW} framed by zero rows, so a tap is a flat offset again. Columns past {@code OW}
         * cannot be held: sizes whose taps read there (no padding on the right, say) take the row kernel, and so
         * do output rows wider than half a vector.
         */
        FlatPlane(int h, int w, int oh, int ow) {
            inH = h;
            inW = w;
            outW = ow;
            count = oh * ow;
            phased = true;
            headEnd = tailStart = headCopy = tailCopyFrom = zeros = 0;
            int step = simd.flatStep(), rounded = (count + step - 1) / step * step;
            int reachRows = 0, reachCols = 0;
            boolean fits = true;
            int[] rowPhase = new int[kh], rowShift = new int[kh], colPhase = new int[kw];
            for (int ky = 0; ky < kh; ky++) {
                int r = ky * dh - spec.padTop();
                rowPhase[ky] = Math.floorMod(r, 2);
                rowShift[ky] = Math.floorDiv(r, 2);
                reachRows = Math.max(reachRows, Math.abs(rowShift[ky]));
            }
            for (int kx = 0; kx < kw; kx++) {
                int c = kx * dw - spec.padLeft();
                colPhase[kx] = Math.floorMod(c, 2);
                colShift[kx] = Math.floorDiv(c, 2);
                reachCols = Math.max(reachCols, Math.abs(colShift[kx]));
                // the last phase column an output reads must lie inside the pitch when it holds input
                fits &= Math.min(ow - 1 + colShift[kx], Math.floorDiv(w - 1 - colPhase[kx], 2)) < ow;
            }
            // output rows of at most half a vector: the row kernel leaves most lanes idle there; on wider rows it
            // measured as fast or faster (the split costs what the flat run saves)
            usable = fits && 2 * ow <= step;
            phaseRows = oh + reachRows + 1;
            int frame = (reachRows + 1) * ow + reachCols + step;
            int region = frame + Math.max(rounded, phaseRows * ow) + frame;
            for (int q = 0; q < 4; q++) phaseBase[q] = q * region + frame;
            scratchFloats = 4 * region;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    taps[ky * kw + kx] = phaseBase[2 * rowPhase[ky] + colPhase[kx]] + rowShift[ky] * ow + colShift[kx];
                }
            }
            cols = new float[rounded];
            for (int p = 0; p < rounded; p++) cols[p] = p % ow;
        }

        /**
         * Stride 2: writes the input plane at {@code in[plane..]} into its phases in {@code scratch}. Elements that
         * hold no input are never written, so the zeros of a cleared scratch stay.
         */
        void split(float[] in, int plane, float[] scratch) {
            int evens = Math.min(outW, (inW + 1) / 2), odds = Math.min(outW, inW / 2);
            int pairs = Math.min(evens, odds), step = simd.flatStep();
            // rows that fill their phase rows may split whole vectors: what they write past the row is rewritten
            // by the phase's next rows, so only the last rows of each phase stop at the row's end
            boolean fullRows = evens == outW && odds == outW;
            int vectorPairs = (pairs + step - 1) / step * step;
            for (int r = 0; r < inH; r++) {
                int i = r >> 1, a = r & 1;
                if (i >= phaseRows) break;
                int src = plane + r * inW, even = phaseBase[2 * a] + i * outW, odd = phaseBase[2 * a + 1] + i * outW;
                int storedRows = Math.min(phaseRows, (inH - a + 1) / 2);
                boolean whole = fullRows && i * outW + vectorPairs <= storedRows * outW
                        && src + 2 * vectorPairs <= in.length;
                simd.splitPhases(in, src, whole ? vectorPairs : pairs, scratch, even, scratch, odd);
                if (evens > pairs) scratch[even + pairs] = in[src + 2 * pairs];
            }
        }
    }

    /** The scratch layout of one forward whose bands have {@code bandRows} output rows. */
    PhaseRows rows(Shape inShape, Shape outShape, int bandRows) {
        return new PhaseRows(spec, inShape, outShape, bandRows, (wholeRows ? 2 : 1) * simd.rowOverrun(), !wholeRows,
                simd);
    }

    /**
     * The γ outputs of input channel {@code c} of image {@code n} over output rows {@code [y0, y1)}: output {@code j}
     * at {@code dst[dstOff + j·dstChannelStride + (y − y0)·OW + x]}. {@code scratch} holds {@code rows.planeFloats}
     * floats (zeros when new, see {@link PhaseRows}), {@code acc} {@link Simd#rowScratch} floats.
     */
    void channelBand(float[] in, Shape inShape, int outW, PhaseRows rows, int n, int c, int y0, int y1, float[] scratch,
                     float[] acc, float[] dst, int dstOff, int dstChannelStride) {
        if (wholeRows) {
            InPlaceRows p = inPlaceRows(inShape);
            if (p.usable) {
                p.band(in, rows, n, c, y0, y1, scratch, acc, dst, dstOff, dstChannelStride);
                return;
            }
        }
        copiedBand(in, inShape, outW, rows, n, c, y0, y1, scratch, acc, dst, dstOff, dstChannelStride);
    }

    /** {@link #channelBand} through the copied, zero-padded rows of {@link PhaseRows}. */
    private void copiedBand(float[] in, Shape inShape, int outW, PhaseRows rows, int n, int c, int y0, int y1,
                            float[] scratch, float[] acc, float[] dst, int dstOff, int dstChannelStride) {
        rows.fill(in, (n * inShape.c() + c) * inShape.h() * inShape.w(), y0, y1, scratch, 0);
        for (int j = 0; j < gamma; j++) {
            int o = c * gamma + j, off = dstOff + j * dstChannelStride;
            if (wholeRows) {
                simd.depthwiseRowsStride2(scratch, rows.firstRowTaps, rows.rowStep, y1 - y0, weights, o * kh * kw,
                        outW, dst, off, outW, bias[o], activation, acc);
            } else {
                simd.depthwiseRows(scratch, rows.firstRowTaps, rows.rowStep, y1 - y0, weights, o * kh * kw, outW,
                        dst, off, outW, bias[o], activation, acc);
            }
        }
    }

    /** The in-place layout of the last input plane size and channel count run (a forward builds its own when the size differs). */
    private volatile InPlaceRows lastInPlace;

    private InPlaceRows inPlaceRows(Shape inShape) {
        InPlaceRows p = lastInPlace;
        if (p == null || p.inShape.h() != inShape.h() || p.inShape.w() != inShape.w() || p.inShape.c() != inShape.c()) {
            lastInPlace = p = new InPlaceRows(inShape);
        }
        return p;
    }

    /**
     * Horizontal stride 2 read in place: the output rows whose taps all lie inside the plane, straight from the input
     * plane's own rows ({@link Simd#depthwiseRowsStride2} with each tap's columns), with no copy into padded rows.
     * The other rows, and bands whose vectors would read past either end of the input array, take the copied rows
     * ({@link #copiedBand}); so do rows narrower than two vectors, where the dropped columns cost what the copy saves.
     */
    private final class InPlaceRows {
        final Shape inShape;
        final int outW;
        /** Output rows {@code [yTop, yBottom)} read only rows inside the plane. */
        final int yTop, yBottom;
        final boolean usable;
        /** Tap {@code (ky, kx)}'s offset from the band's first input row: {@code ky·dh·W + kx·dw − padLeft}. */
        final int[] tapShift = new int[kh * kw];
        /** The output columns {@code [tapFrom[t], tapTo[t])} whose tap {@code t} reads inside the row (unbounded: none dropped). */
        final int[] tapFrom = new int[kh * kw], tapTo = new int[kh * kw];
        /** Floats a band's vectors read from its highest tap of the last row on: the last vector pair's reach. */
        final int rowReach;

        InPlaceRows(Shape inShape) {
            this.inShape = inShape;
            Shape outShape = spec.outputShape(inShape);
            outW = outShape.w();
            int h = inShape.h(), w = inShape.w(), outH = outShape.h();
            yTop = Math.min(outH, (spec.padTop() + sh - 1) / sh);
            yBottom = Math.max(yTop, Math.min(outH, Math.floorDiv(h - 1 - (kh - 1) * dh + spec.padTop(), sh) + 1));
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    int shift = kx * dw - spec.padLeft(), t = ky * kw + kx;
                    tapShift[t] = ky * dh * w + shift;
                    // column 2x + shift inside [0, w)
                    tapFrom[t] = shift >= 0 ? Integer.MIN_VALUE / 4 : (-shift + 1) / 2;
                    int to = Math.floorDiv(w - 1 - shift, 2) + 1;
                    tapTo[t] = to >= outW ? Integer.MAX_VALUE / 4 : to;
                }
            }
            int step = simd.rowOverrun(); // the vector length: pairs start at x = 0, L, 2L, ...
            rowReach = 2 * ((outW - 1) / step * step) + 2 * step;
            // the columns a tap drops cost masked loads: measured a loss on rows narrower than a vector (dw6) and no
            // gain on rows of one to two vectors (dw4)
            usable = yBottom > yTop && outW >= 2 * step;
        }

        void band(float[] in, PhaseRows rows, int n, int c, int y0, int y1, float[] scratch, float[] acc, float[] dst,
                  int dstOff, int dstChannelStride) {
            int a = Math.max(y0, Math.min(yTop, y1)), b = Math.max(a, Math.min(yBottom, y1));
            int plane = (n * inShape.c() + c) * inShape.h() * inShape.w(), w = inShape.w();
            int first = plane + (a * sh - spec.padTop()) * w; // the band's first input row
            int last = first + (b - a - 1) * sh * w + tapShift[kh * kw - 1] + rowReach; // exclusive
            if (a == b || first + tapShift[0] < 0 || last > in.length) {
                copiedBand(in, inShape, outW, rows, n, c, y0, y1, scratch, acc, dst, dstOff, dstChannelStride);
                return;
            }
            if (y0 < a) copiedBand(in, inShape, outW, rows, n, c, y0, a, scratch, acc, dst, dstOff, dstChannelStride);
            int[] taps = new int[kh * kw];
            for (int t = 0; t < taps.length; t++) taps[t] = first + tapShift[t];
            for (int j = 0; j < gamma; j++) {
                int o = c * gamma + j;
                simd.depthwiseRowsStride2(in, taps, tapFrom, tapTo, sh * w, b - a, weights, o * kh * kw, outW, dst,
                        dstOff + j * dstChannelStride + (a - y0) * outW, outW, bias[o], activation, acc);
            }
            if (b < y1) {
                copiedBand(in, inShape, outW, rows, n, c, b, y1, scratch, acc, dst, dstOff + (b - y0) * outW,
                        dstChannelStride);
            }
        }
    }
}
