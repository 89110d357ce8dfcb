package org.convcl.cpu;

import java.util.Arrays;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Shape;

/**
 * Pointwise (1×1) convolution as a blocked matrix product per image: {@code out[o][p] = Σ_i w[o][i] · x[i][p]}
 * over the {@code P = H·W} pixels. One task owns an image, a tile of {@value #PIXEL_TILE} pixels and a chunk
 * of output channels, so its input tile stays in cache while {@value #CHANNEL_BLOCK} output channels at a
 * time accumulate over the input channels. The inner loop runs over contiguous pixels, which the JIT vectorizes.
 */
final class PointwiseKernel implements ConvKernel {
    /** Pixels per task: with 4 accumulator rows this keeps the working rows within L1. */
    static final int PIXEL_TILE = 512;
    /** Output channels accumulated together, sharing each input load. */
    static final int CHANNEL_BLOCK = 4;
    /** Output channels per task, so that one input tile is reused from cache by several blocks. */
    static final int CHANNELS_PER_TASK = 32;

    private final int cin, cout;
    private final float[] weights; // [cout][cin]
    private final float[] bias;    // [cout], zeros when none
    private final Activation activation;

    PointwiseKernel(ConvSpec spec, Epilogue.Folded folded) {
        this.cin = spec.inChannels();
        this.cout = spec.outChannels();
        this.weights = folded.weights();
        this.bias = folded.bias() == null ? new float[cout] : folded.bias();
        this.activation = folded.activation();
    }

    @Override
    public String plan() {
        return "pointwise: blocked matrix product " + cout + "x" + cin + " · " + cin + "xP (P = H·W), "
                + CHANNEL_BLOCK + " output channels per pass, " + PIXEL_TILE + "-pixel tiles";
    }

    @Override
    public void run(float[] in, Shape inShape, float[] out, Shape outShape) {
        int pixels = inShape.h() * inShape.w();
        int tiles = (pixels + PIXEL_TILE - 1) / PIXEL_TILE;
        int chunks = (cout + CHANNELS_PER_TASK - 1) / CHANNELS_PER_TASK;
        CpuPool.parallelFor(inShape.n() * tiles * chunks, task -> {
            int chunk = task % chunks;
            int tile = task / chunks % tiles;
            int n = task / (chunks * tiles);
            int p0 = tile * PIXEL_TILE;
            int len = Math.min(PIXEL_TILE, pixels - p0);
            int oEnd = Math.min(cout, (chunk + 1) * CHANNELS_PER_TASK);
            runTile(in, n * cin * pixels + p0, out, n * cout * pixels + p0, pixels, len,
                    chunk * CHANNELS_PER_TASK, oEnd);
        });
    }

    /** Output channels {@code [oStart, oEnd)} for {@code len} pixels starting at the given offsets. */
    private void runTile(float[] in, int inBase, float[] out, int outBase, int pixels, int len, int oStart, int oEnd) {
        float[] a0 = new float[len], a1 = new float[len], a2 = new float[len], a3 = new float[len];
        int o = oStart;
        for (; o + CHANNEL_BLOCK <= oEnd; o += CHANNEL_BLOCK) {
            Arrays.fill(a0, 0f);
            Arrays.fill(a1, 0f);
            Arrays.fill(a2, 0f);
            Arrays.fill(a3, 0f);
            accumulate4(in, inBase, pixels, len, o, a0, a1, a2, a3);
            EpilogueWriter.write(a0, 0, out, outBase + o * pixels, len, bias[o], activation);
            EpilogueWriter.write(a1, 0, out, outBase + (o + 1) * pixels, len, bias[o + 1], activation);
            EpilogueWriter.write(a2, 0, out, outBase + (o + 2) * pixels, len, bias[o + 2], activation);
            EpilogueWriter.write(a3, 0, out, outBase + (o + 3) * pixels, len, bias[o + 3], activation);
        }
        for (; o < oEnd; o++) {
            Arrays.fill(a0, 0f);
            accumulate1(in, inBase, pixels, len, o, a0);
            EpilogueWriter.write(a0, 0, out, outBase + o * pixels, len, bias[o], activation);
        }
    }

    /** Four output channels from {@code o}; input channels two at a time to halve accumulator traffic. */
    private void accumulate4(float[] in, int inBase, int pixels, int len, int o,
                             float[] a0, float[] a1, float[] a2, float[] a3) {
        int r0 = o * cin, r1 = r0 + cin, r2 = r1 + cin, r3 = r2 + cin;
        int i = 0;
        for (; i + 1 < cin; i += 2) {
            float w00 = weights[r0 + i], w01 = weights[r0 + i + 1];
            float w10 = weights[r1 + i], w11 = weights[r1 + i + 1];
            float w20 = weights[r2 + i], w21 = weights[r2 + i + 1];
            float w30 = weights[r3 + i], w31 = weights[r3 + i + 1];
            int x0 = inBase + i * pixels, x1 = x0 + pixels;
            for (int p = 0; p < len; p++) {
                float v0 = in[x0 + p], v1 = in[x1 + p];
                a0[p] += w00 * v0 + w01 * v1;
                a1[p] += w10 * v0 + w11 * v1;
                a2[p] += w20 * v0 + w21 * v1;
                a3[p] += w30 * v0 + w31 * v1;
            }
        }
        if (i < cin) {
            float w0 = weights[r0 + i], w1 = weights[r1 + i], w2 = weights[r2 + i], w3 = weights[r3 + i];
            int x0 = inBase + i * pixels;
            for (int p = 0; p < len; p++) {
                float v = in[x0 + p];
                a0[p] += w0 * v;
                a1[p] += w1 * v;
                a2[p] += w2 * v;
                a3[p] += w3 * v;
            }
        }
    }

    /** One output channel (the remainder after blocks of four). */
    private void accumulate1(float[] in, int inBase, int pixels, int len, int o, float[] a0) {
        int r0 = o * cin;
        for (int i = 0; i < cin; i++) {
            float w = weights[r0 + i];
            int x0 = inBase + i * pixels;
            for (int p = 0; p < len; p++) a0[p] += w * in[x0 + p];
        }
    }
}
