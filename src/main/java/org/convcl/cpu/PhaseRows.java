package org.convcl.cpu;

import java.util.Arrays;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The input rows that a band of output rows reads, zero-padded and split into their {@code strideW} phases
 * ({@code phase[q][m] = padded[m·strideW + q]}), so that every tap of every output row reads one contiguous run:
 * tap {@code (ky, kx)} of output row {@code y} reads phase {@code (kx·dw) mod sw} of padded row {@code y·sh + ky·dh}
 * from element {@code (kx·dw) div sw}. One plane's band takes {@link #planeFloats} floats: {@link #rowsPerBand}
 * rows of {@code sw} phases of {@link #phaseLength} floats, each phase holding the output width, the taps' reach and
 * {@code overrun} floats that a SIMD kernel may read past its last output.
 *
 * Rows may also be kept whole (one phase), for a kernel that applies the horizontal stride itself.
 *
 * <p>{@link #fill} writes only the elements of each phase that map to input columns; the padding around them keeps
 * the zeros of a cleared scratch ({@link #scratch}), so a task reuses it across bands and planes without clearing it
 * again.
 */
final class PhaseRows {
    /** Stride-2 rows with fewer pairs than this are split one by one: the SIMD call would not pay for itself. */
    static final int MIN_SIMD_SPLIT = 16;

    private final Simd simd;
    private final int kh, sh, phases, dh, padTop, padLeft, inH, inW;
    final int phaseLength, rowsPerBand, planeFloats;
    /** Offsets of the taps of a band's first output row, in (ky, kx) order; each next row adds {@link #rowStep}. */
    final int[] firstRowTaps;
    final int rowStep;
    /** Per phase q: the elements {@code [phaseStart[q], phaseEnd[q])} hold input columns inside the row. */
    private final int[] phaseStart, phaseEnd;
    /** Stride 2: the elements {@code [pairLo, pairHi)} that both phases hold inside the row. */
    private final int pairLo, pairHi;

    /**
     * {@code split}: rows split into their {@code strideW} phases; otherwise kept whole (one phase holding every
     * column, {@code strideW · OW + (KW − 1)·dw + overrun} floats), for a kernel that steps along x itself.
     */
    PhaseRows(ConvSpec spec, Shape inShape, Shape outShape, int bandRows, int overrun, boolean split, Simd simd) {
        this.simd = simd;
        kh = spec.kernelH();
        int kw = spec.kernelW(), dw = spec.dilationW();
        sh = spec.strideH();
        int sw = spec.strideW();
        phases = split ? sw : 1;
        dh = spec.dilationH();
        padTop = spec.padTop();
        padLeft = spec.padLeft();
        inH = inShape.h();
        inW = inShape.w();
        phaseLength = split ? outShape.w() + (kw - 1) * dw / sw + overrun : sw * outShape.w() + (kw - 1) * dw + overrun;
        rowsPerBand = (bandRows - 1) * sh + (kh - 1) * dh + 1;
        planeFloats = rowsPerBand * phases * phaseLength;
        rowStep = sh * phases * phaseLength;
        phaseStart = new int[phases];
        phaseEnd = new int[phases];
        for (int q = 0; q < phases; q++) {
            // element m of phase q holds input column m·phases + q − padLeft
            phaseStart[q] = Math.min(phaseLength, Math.max(0, Math.floorDiv(padLeft - q + phases - 1, phases)));
            phaseEnd[q] = Math.max(phaseStart[q],
                    Math.min(phaseLength, Math.floorDiv(inW - 1 + padLeft - q, phases) + 1));
        }
        pairLo = phases == 2 ? Math.max(phaseStart[0], phaseStart[1]) : 0;
        pairHi = phases == 2 ? Math.max(pairLo, Math.min(phaseEnd[0], phaseEnd[1])) : 0;
        firstRowTaps = new int[kh * kw];
        for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
                int shift = kx * dw;
                firstRowTaps[ky * kw + kx] = (ky * dh * phases + shift % phases) * phaseLength + shift / phases;
            }
        }
    }

    /** A scratch for one plane's band: the worker's own, zeroed (see {@link #fill}). */
    float[] scratch() {
        return scratch(1);
    }

    /** A zeroed scratch for the bands of {@code planes} planes, at offsets {@code p·planeFloats}. */
    float[] scratch(int planes) {
        float[] s = CpuPool.workerScratch(CpuPool.ROWS_SCRATCH, planes * planeFloats);
        Arrays.fill(s, 0, planes * planeFloats, 0f);
        return s;
    }

    /**
     * The rows that output rows {@code [y0, y1)} read from the input plane at {@code in[plane..]}, into
     * {@code scratch[at..]}. Rows outside the image are written as zeros.
     */
    void fill(float[] in, int plane, int y0, int y1, float[] scratch, int at) {
        int rows = (y1 - 1 - y0) * sh + (kh - 1) * dh + 1;
        boolean simdSplit = pairHi - pairLo >= MIN_SIMD_SPLIT;
        for (int r = 0; r < rows; r++) {
            int iy = y0 * sh - padTop + r;
            int rowOff = at + r * phases * phaseLength;
            if (iy < 0 || iy >= inH) {
                for (int q = 0; q < phases; q++) {
                    int dst = rowOff + q * phaseLength;
                    Arrays.fill(scratch, dst + phaseStart[q], dst + phaseEnd[q], 0f);
                }
                continue;
            }
            int src = plane + iy * inW;
            if (phases == 1) {
                System.arraycopy(in, src + phaseStart[0] - padLeft, scratch, rowOff + phaseStart[0],
                        phaseEnd[0] - phaseStart[0]);
            } else if (simdSplit) {
                // the pairs both phases hold inside the row in one SIMD pass, the borders one by one
                simd.splitPhases(in, src + 2 * pairLo - padLeft, pairHi - pairLo, scratch, rowOff + pairLo,
                        scratch, rowOff + phaseLength + pairLo);
                for (int q = 0; q < 2; q++) {
                    copyPhase(in, src, q, phaseStart[q], pairLo, scratch, rowOff + q * phaseLength);
                    copyPhase(in, src, q, pairHi, phaseEnd[q], scratch, rowOff + q * phaseLength);
                }
            } else {
                for (int q = 0; q < phases; q++) {
                    copyPhase(in, src, q, phaseStart[q], phaseEnd[q], scratch, rowOff + q * phaseLength);
                }
            }
        }
    }

    /** Elements {@code [from, to)} of phase {@code q} of the input row at {@code src}, one by one. */
    private void copyPhase(float[] in, int src, int q, int from, int to, float[] scratch, int dst) {
        for (int m = from; m < to; m++) scratch[dst + m] = in[src + m * phases + q - padLeft];
    }
}
