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
 * that read that input channel. The band's input rows are copied once into a scratch of zero-padded rows, each
 * split into its {@code strideW} phases ({@code phase[q][m] = padded[m·strideW + q]}), so every tap of every output
 * row becomes one contiguous run: tap {@code (ky, kx)} of output row {@code y} reads phase {@code (kx·dw) mod sw} of
 * padded row {@code y·sh + ky·dh} from element {@code (kx·dw) div sw}. Each scratch row serves every output row and
 * every one of the γ outputs whose window covers it (the sliding window along rows), and the padded border is
 * read as zeros with no bounds checks. Units are grouped into tasks so that every worker gets several.
 */
final class DepthwiseKernel implements ConvKernel {
    private final ConvSpec spec;
    private final Simd simd;
    private final int kh, kw, sh, sw, dh, dw, padTop, padLeft, gamma;
    private final float[] weights; // [cout][kh][kw]
    private final float[] bias;
    private final Activation activation;

    DepthwiseKernel(ConvSpec spec, Epilogue.Folded folded, Simd simd) {
        this.spec = spec;
        this.simd = simd;
        kh = spec.kernelH();
        kw = spec.kernelW();
        sh = spec.strideH();
        sw = spec.strideW();
        dh = spec.dilationH();
        dw = spec.dilationW();
        padTop = spec.padTop();
        padLeft = spec.padLeft();
        gamma = spec.depthMultiplier();
        weights = folded.weights();
        bias = folded.bias() == null ? new float[spec.outChannels()] : folded.bias();
        activation = folded.activation();
    }

    @Override
    public String plan() {
        return "depthwise γ=" + gamma + ", k" + kh + "x" + kw + " s" + sh + "x" + sw + " d" + dh + "x" + dw + " ("
                + simd.describe() + "): zero-padded, stride-phased input rows per band, SIMD along x";
    }

    @Override
    public void run(float[] in, Shape inShape, float[] out, Shape outShape) {
        int outH = outShape.h(), outW = outShape.w(), channels = inShape.n() * inShape.c();
        // Bands of rows only where there are too few channels to give every worker several units.
        int bandsWanted = (CpuPool.tasksFor(channels * outH) + channels - 1) / channels;
        int bandRows = (outH + Math.min(outH, bandsWanted) - 1) / Math.min(outH, bandsWanted);
        int bands = (outH + bandRows - 1) / bandRows;
        Geometry geo = new Geometry(inShape, outShape, bandRows);
        int units = channels * bands;
        CpuPool.parallelRanges(units, CpuPool.tasksFor(units), (from, to) -> {
            float[] scratch = new float[geo.scratchFloats];
            float[] acc = new float[simd.rowScratch(outW)];
            for (int u = from; u < to; u++) {
                int band = u % bands, nc = u / bands;
                int y0 = band * bandRows, y1 = Math.min(outH, y0 + bandRows);
                geo.fill(in, nc, y0, y1, scratch);
                int n = nc / inShape.c(), c = nc - n * inShape.c();
                for (int j = 0; j < gamma; j++) {
                    int o = c * gamma + j;
                    simd.depthwiseRows(scratch, geo.firstRowTaps, geo.rowStep, y1 - y0, weights, o * kh * kw, outW,
                            out, ((n * outShape.c() + o) * outH + y0) * outW, outW, bias[o], activation, acc);
                }
            }
        });
    }

    /** The scratch layout of one forward: rows of the band, each as {@code sw} phases of {@code phaseLength} floats. */
    private final class Geometry {
        final int inH, inW, phaseLength, rowsPerBand, scratchFloats;
        /** Scratch offsets of the taps of a band's first output row, in (ky, kx) order; each next row adds {@link #rowStep}. */
        final int[] firstRowTaps;
        final int rowStep;
        /** Per phase q: the elements {@code [phaseStart[q], phaseEnd[q])} hold input columns inside the row. */
        final int[] phaseStart, phaseEnd;

        Geometry(Shape inShape, Shape outShape, int bandRows) {
            inH = inShape.h();
            inW = inShape.w();
            phaseLength = outShape.w() + (kw - 1) * dw / sw + simd.rowOverrun();
            rowsPerBand = (bandRows - 1) * sh + (kh - 1) * dh + 1;
            scratchFloats = rowsPerBand * sw * phaseLength;
            rowStep = sh * sw * phaseLength;
            phaseStart = new int[sw];
            phaseEnd = new int[sw];
            for (int q = 0; q < sw; q++) {
                // element m of phase q holds input column m·sw + q − padLeft
                phaseStart[q] = Math.min(phaseLength, Math.max(0, Math.floorDiv(padLeft - q + sw - 1, sw)));
                phaseEnd[q] = Math.max(phaseStart[q], Math.min(phaseLength, Math.floorDiv(inW - 1 + padLeft - q, sw) + 1));
            }
            firstRowTaps = new int[kh * kw];
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    int shift = kx * dw;
                    firstRowTaps[ky * kw + kx] = (ky * dh * sw + shift % sw) * phaseLength + shift / sw;
                }
            }
        }


        /** The zero-padded, phase-split input rows that output rows {@code [y0, y1)} of plane {@code nc} read. */
        void fill(float[] in, int nc, int y0, int y1, float[] scratch) {
            int rows = (y1 - 1 - y0) * sh + (kh - 1) * dh + 1;
            int plane = nc * inH * inW;
            for (int r = 0; r < rows; r++) {
                int iy = y0 * sh - padTop + r;
                int rowOff = r * sw * phaseLength;
                if (iy < 0 || iy >= inH) {
                    Arrays.fill(scratch, rowOff, rowOff + sw * phaseLength, 0f);
                    continue;
                }
                int src = plane + iy * inW;
                for (int q = 0; q < sw; q++) {
                    int dst = rowOff + q * phaseLength, lo = phaseStart[q], hi = phaseEnd[q];
                    for (int m = 0; m < lo; m++) scratch[dst + m] = 0f;
                    if (sw == 1) {
                        System.arraycopy(in, src + lo - padLeft, scratch, dst + lo, hi - lo);
                    } else {
                        for (int m = lo; m < hi; m++) scratch[dst + m] = in[src + m * sw + q - padLeft];
                    }
                    for (int m = hi; m < phaseLength; m++) scratch[dst + m] = 0f;
                }
            }
        }
    }
}
