package org.convcl.cpu;

import java.util.Arrays;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.SeparableBlock;
import org.convcl.Shape;

/**
 * The fused depthwise-separable block on the CPU. One task owns an image, a tile of consecutive output pixels
 * (flattened {@code y·OW + x}) and a chunk of output channels. It computes the depthwise output of every
 * intermediate channel for its pixels into a scratch tile sized to stay in cache ({@value #SCRATCH_FLOATS}
 * floats at most), applies the depthwise epilogue in place, then accumulates the pointwise step from that tile
 * four output channels at a time. The intermediate tensor is never materialised. Output channels are split
 * into chunks (each recomputing its tile) only when there are too few pixel tiles to keep every thread busy.
 */
final class FusedBlockKernel implements ConvKernel {
    /** Scratch tile limit: 64 Ki floats (256 KiB) stays within a core's L2. */
    static final int SCRATCH_FLOATS = 1 << 16;
    /** Pixel tile bounds; tiles are multiples of {@link #MIN_TILE}. */
    static final int MIN_TILE = 16, MAX_TILE = 1024;
    /** Output channels accumulated together, sharing each scratch load. */
    static final int CHANNEL_BLOCK = 4;

    private final ConvSpec dw;
    private final int cmid, cout, kh, kw, sh, sw, dh, dwl, gamma;
    private final float[] dwWeights, dwBias, pwWeights, pwBias;
    private final Activation dwActivation, pwActivation;

    FusedBlockKernel(SeparableBlock block, Epilogue.Folded depthwise, Epilogue.Folded pointwise) {
        dw = block.depthwise();
        cmid = block.midChannels();
        cout = block.outChannels();
        kh = dw.kernelH();
        kw = dw.kernelW();
        sh = dw.strideH();
        sw = dw.strideW();
        dh = dw.dilationH();
        dwl = dw.dilationW();
        gamma = dw.depthMultiplier();
        dwWeights = depthwise.weights();
        dwBias = depthwise.bias() == null ? new float[cmid] : depthwise.bias();
        dwActivation = depthwise.activation();
        pwWeights = pointwise.weights();
        pwBias = pointwise.bias() == null ? new float[cout] : pointwise.bias();
        pwActivation = pointwise.activation();
    }

    /** Pixels per tile: as many as fit the scratch limit for {@code cmid} channels, within the bounds. */
    static int tilePixels(int cmid) {
        int t = SCRATCH_FLOATS / Math.max(1, cmid) / MIN_TILE * MIN_TILE;
        return Math.max(MIN_TILE, Math.min(MAX_TILE, t));
    }

    @Override
    public String plan() {
        return tilePixels(cmid) + "-pixel tiles of all " + cmid + " depthwise channels in a cache-resident scratch, "
                + "then the pointwise step " + CHANNEL_BLOCK + " output channels per pass";
    }

    @Override
    public void run(float[] in, Shape inShape, float[] out, Shape outShape) {
        int pixels = outShape.h() * outShape.w();
        int tile = tilePixels(cmid);
        int tiles = (pixels + tile - 1) / tile;
        int perImage = inShape.n() * tiles;
        int wanted = 2 * CpuPool.parallelism();
        int chunks = perImage >= wanted ? 1 : Math.min((cout + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK, (wanted + perImage - 1) / perImage);
        int chunkSize = ((cout + chunks - 1) / chunks + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK * CHANNEL_BLOCK;
        int realChunks = (cout + chunkSize - 1) / chunkSize;
        int[][] columns = columns(inShape.w(), outShape.w());
        CpuPool.parallelFor(perImage * realChunks, task -> {
            int chunk = task % realChunks;
            int t = task / realChunks % tiles;
            int n = task / (realChunks * tiles);
            int p0 = t * tile;
            int len = Math.min(tile, pixels - p0);
            float[] scratch = new float[cmid * len];
            depthwiseTile(in, inShape, outShape.w(), columns, n, p0, len, scratch);
            pointwiseTile(scratch, len, out, (n * cout) * pixels + p0, pixels, chunk * chunkSize,
                    Math.min(cout, (chunk + 1) * chunkSize));
        });
    }

    /** For each kx: the first and one-past-last output column whose input column lies inside the image. */
    private int[][] columns(int inW, int outW) {
        int[] first = new int[kw], end = new int[kw];
        for (int kx = 0; kx < kw; kx++) {
            int off = kx * dwl - dw.padLeft();
            first[kx] = Math.min(outW, Math.max(0, Math.floorDiv(-off + sw - 1, sw)));
            end[kx] = Math.max(first[kx], Math.min(outW, Math.floorDiv(inW - 1 - off, sw) + 1));
        }
        return new int[][] {first, end};
    }

    /** The depthwise output (with its epilogue) of pixels {@code [p0, p0+len)} for every intermediate channel. */
    private void depthwiseTile(float[] in, Shape inShape, int outW, int[][] columns, int n, int p0, int len,
                               float[] scratch) {
        int inH = inShape.h(), inW = inShape.w();
        for (int c = 0; c < cmid; c++) {
            int plane = (n * inShape.c() + c / gamma) * inH * inW;
            int base = c * len;
            for (int p = p0; p < p0 + len; ) { // one output row segment at a time
                int y = p / outW, xa = p - y * outW, xb = Math.min(outW, xa + (p0 + len - p));
                int seg = base + (p - p0) - xa; // scratch index of column x is seg + x
                for (int ky = 0; ky < kh; ky++) {
                    int iy = y * sh - dw.padTop() + ky * dh;
                    if (iy < 0 || iy >= inH) continue;
                    int row = plane + iy * inW;
                    for (int kx = 0; kx < kw; kx++) {
                        int x0 = Math.max(xa, columns[0][kx]), x1 = Math.min(xb, columns[1][kx]);
                        float w = dwWeights[(c * kh + ky) * kw + kx];
                        int off = row + kx * dwl - dw.padLeft();
                        if (sw == 1) {
                            for (int x = x0; x < x1; x++) scratch[seg + x] += w * in[off + x];
                        } else {
                            for (int x = x0; x < x1; x++) scratch[seg + x] += w * in[off + x * sw];
                        }
                    }
                }
                p += xb - xa;
            }
            EpilogueWriter.write(scratch, base, scratch, base, len, dwBias[c], dwActivation);
        }
    }

    /** Output channels {@code [oStart, oEnd)} of the tile, from the scratch tile, through the pointwise epilogue. */
    private void pointwiseTile(float[] scratch, int len, float[] out, int outBase, int pixels, int oStart, int oEnd) {
        float[][] acc = new float[CHANNEL_BLOCK][len];
        for (int o = oStart; o < oEnd; o += CHANNEL_BLOCK) {
            int count = Math.min(CHANNEL_BLOCK, oEnd - o);
            for (float[] a : acc) Arrays.fill(a, 0f);
            if (count == CHANNEL_BLOCK) {
                float[] a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
                for (int c = 0; c < cmid; c++) {
                    float w0 = pwWeights[o * cmid + c], w1 = pwWeights[(o + 1) * cmid + c];
                    float w2 = pwWeights[(o + 2) * cmid + c], w3 = pwWeights[(o + 3) * cmid + c];
                    int s = c * len;
                    for (int p = 0; p < len; p++) {
                        float v = scratch[s + p];
                        a0[p] += w0 * v;
                        a1[p] += w1 * v;
                        a2[p] += w2 * v;
                        a3[p] += w3 * v;
                    }
                }
            } else {
                for (int k = 0; k < count; k++) {
                    float[] a = acc[k];
                    for (int c = 0; c < cmid; c++) {
                        float w = pwWeights[(o + k) * cmid + c];
                        int s = c * len;
                        for (int p = 0; p < len; p++) a[p] += w * scratch[s + p];
                    }
                }
            }
            for (int k = 0; k < count; k++) {
                EpilogueWriter.write(acc[k], 0, out, outBase + (o + k) * pixels, len, pwBias[o + k], pwActivation);
            }
        }
    }
}
