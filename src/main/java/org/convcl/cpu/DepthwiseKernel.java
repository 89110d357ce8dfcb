package org.convcl.cpu;

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
}
