package org.convcl.cpu;

import java.util.Arrays;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Shape;

/**
 * Direct convolution for full, grouped and depthwise layers (any kernel, stride, dilation, padding, γ), used for
 * weights that hold NaN or ±Inf: it never multiplies a weight by the zero padding (∞·0 would be NaN where the
 * reference, which skips the padded taps, gives a finite value). {@link GemmKernel} and {@link DepthwiseKernel}
 * read the padding as zeros and take every finite layer.
 *
 * <p>One task owns an image, a group and a block of up to {@value #CHANNEL_BLOCK} output channels of that
 * group (for depthwise, the γ outputs of one input channel). Each output row is accumulated tap by tap:
 * for every input channel of the group and every kernel tap {@code (ky, kx)} whose input row exists, the
 * output columns whose input column lies inside the image form one interval, computed once per forward, so
 * the inner loop runs over that interval without bounds checks (contiguous input when the stride is 1, which
 * the JIT vectorizes) and the padded border simply never contributes. Output channels in a block share each
 * input load.
 */
final class DirectKernel implements ConvKernel {
    /** Output channels accumulated together. */
    static final int CHANNEL_BLOCK = 4;

    private final ConvSpec spec;
    private final int kh, kw, sh, sw, dh, dw, padTop, padLeft, cinPerGroup, coutPerGroup;
    private final float[] weights; // OIHW
    private final float[] bias;    // zeros when none
    private final Activation activation;

    DirectKernel(ConvSpec spec, Epilogue.Folded folded) {
        this.spec = spec;
        kh = spec.kernelH();
        kw = spec.kernelW();
        sh = spec.strideH();
        sw = spec.strideW();
        dh = spec.dilationH();
        dw = spec.dilationW();
        padTop = spec.padTop();
        padLeft = spec.padLeft();
        cinPerGroup = spec.inChannelsPerGroup();
        coutPerGroup = spec.outChannelsPerGroup();
        weights = folded.weights();
        bias = folded.bias() == null ? new float[spec.outChannels()] : folded.bias();
        activation = folded.activation();
    }

    @Override
    public String plan() {
        String what = switch (spec.kind()) {
            case DEPTHWISE -> "depthwise γ=" + spec.depthMultiplier();
            case GROUPED -> "direct grouped: groups=" + spec.groups();
            default -> "direct full";
        };
        return what + ", k" + kh + "x" + kw + " s" + sh + "x" + sw + " d" + dh + "x" + dw
                + ": row-wise tap accumulation over in-image column ranges, "
                + Math.min(CHANNEL_BLOCK, coutPerGroup) + " output channels per pass";
    }

    @Override
    public void run(float[] in, Shape inShape, float[] out, Shape outShape) {
        Columns columns = new Columns(inShape.w(), outShape.w());
        int blocksPerGroup = (coutPerGroup + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK;
        int groups = spec.groups();
        CpuPool.parallelFor(inShape.n() * groups * blocksPerGroup, task -> {
            int block = task % blocksPerGroup;
            int g = task / blocksPerGroup % groups;
            int n = task / (blocksPerGroup * groups);
            int oStart = g * coutPerGroup + block * CHANNEL_BLOCK;
            int oEnd = Math.min(oStart + CHANNEL_BLOCK, (g + 1) * coutPerGroup);
            runBlock(in, inShape, outShape, columns, n, g, oStart, oEnd, 0, outShape.h(), out,
                    (n * outShape.c() + oStart) * outShape.h() * outShape.w(), outShape.h() * outShape.w());
        });
    }

    /**
     * Depthwise only: the γ outputs of input channel {@code c} of image {@code n} over output rows {@code [y0, y1)},
     * output {@code j} at {@code dst[dstOff + j·dstChannelStride + (y − y0)·OW + x]}.
     */
    void depthwiseBand(float[] in, Shape inShape, Shape outShape, int n, int c, int y0, int y1, float[] dst, int dstOff,
                       int dstChannelStride) {
        if (spec.kind() != ConvSpec.Kind.DEPTHWISE) throw new IllegalStateException("not depthwise: " + spec);
        int gamma = spec.depthMultiplier();
        runBlock(in, inShape, outShape, new Columns(inShape.w(), outShape.w()), n, c, c * gamma, (c + 1) * gamma, y0, y1,
                dst, dstOff, dstChannelStride);
    }

    /** For each kx: the first and one-past-last output column whose input column is inside the image. */
    private final class Columns {
        final int[] first = new int[kw], end = new int[kw], offset = new int[kw];

        Columns(int inW, int outW) {
            for (int kx = 0; kx < kw; kx++) {
                int off = kx * dw - padLeft; // input column of output column x is x·sw + off
                offset[kx] = off;
                first[kx] = Math.min(outW, Math.max(0, Math.floorDiv(-off + sw - 1, sw)));
                end[kx] = Math.max(first[kx], Math.min(outW, Math.floorDiv(inW - 1 - off, sw) + 1));
            }
        }
    }

    /**
     * Output channels {@code [oStart, oEnd)} (of group {@code g}) of image {@code n}, rows {@code [y0, y1)}: output
     * {@code o} at {@code dst[dstOff + (o − oStart)·dstChannelStride + (y − y0)·OW + x]}.
     */
    private void runBlock(float[] in, Shape inShape, Shape outShape, Columns cols, int n, int g, int oStart, int oEnd,
                          int y0, int y1, float[] dst, int dstOff, int dstChannelStride) {
        int inH = inShape.h(), inW = inShape.w(), outW = outShape.w();
        int count = oEnd - oStart;
        float[][] acc = new float[count][outW];
        float[] a0 = acc[0];
        float[] a1 = count > 1 ? acc[1] : null, a2 = count > 2 ? acc[2] : null, a3 = count > 3 ? acc[3] : null;
        int perOutput = cinPerGroup * kh * kw;
        for (int y = y0; y < y1; y++) {
            for (float[] a : acc) Arrays.fill(a, 0f);
            for (int ig = 0; ig < cinPerGroup; ig++) {
                int plane = (n * inShape.c() + g * cinPerGroup + ig) * inH;
                for (int ky = 0; ky < kh; ky++) {
                    int iy = y * sh - padTop + ky * dh;
                    if (iy < 0 || iy >= inH) continue;
                    int row = (plane + iy) * inW;
                    for (int kx = 0; kx < kw; kx++) {
                        int x0 = cols.first[kx], x1 = cols.end[kx];
                        if (x0 >= x1) continue;
                        int base = row + cols.offset[kx];
                        int w = oStart * perOutput + (ig * kh + ky) * kw + kx;
                        if (count == CHANNEL_BLOCK) {
                            tap4(in, base, x0, x1, weights[w], weights[w + perOutput], weights[w + 2 * perOutput],
                                    weights[w + 3 * perOutput], a0, a1, a2, a3);
                        } else {
                            for (int k = 0; k < count; k++) tap1(in, base, x0, x1, weights[w + k * perOutput], acc[k]);
                        }
                    }
                }
            }
            for (int k = 0; k < count; k++) {
                int o = oStart + k;
                EpilogueWriter.write(acc[k], 0, dst, dstOff + k * dstChannelStride + (y - y0) * outW, outW, bias[o],
                        activation);
            }
        }
    }

    /** {@code a[x] += w · in[base + x·sw]} for x in [x0, x1). */
    private void tap1(float[] in, int base, int x0, int x1, float w, float[] a) {
        if (sw == 1) {
            for (int x = x0; x < x1; x++) a[x] += w * in[base + x];
        } else {
            for (int x = x0; x < x1; x++) a[x] += w * in[base + x * sw];
        }
    }

    /** Four output channels sharing each input value. */
    private void tap4(float[] in, int base, int x0, int x1, float w0, float w1, float w2, float w3,
                      float[] a0, float[] a1, float[] a2, float[] a3) {
        if (sw == 1) {
            for (int x = x0; x < x1; x++) {
                float v = in[base + x];
                a0[x] += w0 * v;
                a1[x] += w1 * v;
                a2[x] += w2 * v;
                a3[x] += w3 * v;
            }
        } else {
            for (int x = x0; x < x1; x++) {
                float v = in[base + x * sw];
                a0[x] += w0 * v;
                a1[x] += w1 * v;
                a2[x] += w2 * v;
                a3[x] += w3 * v;
            }
        }
    }
}
