package org.convcl.cpu;

import java.util.Arrays;
import org.convcl.Activation;
import org.convcl.ConvGradients;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Shape;
import org.convcl.plan.TransposedConv;

/**
 * The backward passes of one convolution on the CPU backend, immutable and thread-safe; every result is the same bits
 * whatever the number of threads (each output element is reduced by one task, in a fixed order).
 *
 * <ul>
 *   <li><b>Data, stride 1</b> (and {@code dilation·(K−1) ≥ pad} on each side): the gradient of the input is the forward
 *       convolution of {@code dz} with the transposed, flipped weights ({@link TransposedConv}), run by the forward
 *       kernels of this backend
 *       ({@link GemmKernel}, {@link DepthwiseKernel}, {@link DirectKernel} for non-finite padded weights).</li>
 *   <li><b>Data, other strides</b>: one task per input plane adds, output channel by output channel and tap by tap,
 *       each row of {@code dz} times the weight into the input rows it came from (the plane is the task's own, so no
 *       two tasks write one element).</li>
 *   <li><b>Filter, full/grouped/pointwise</b>: one task per block of output channels × unfolded columns ({@code j} over
 *       (channel, ky, kx)) walks the images and chunks of output pixels, unfolds the chunk's input windows, and multiplies
 *       the packed panels with {@link Simd#gemmTile} (the chunk's pixels as the depth), folding each tile into double
 *       sums. Each element's order (images, chunks of {@link #PIXEL_CHUNK} pixels, the pixels of a chunk) is the same
 *       whatever the blocks and the threads.</li>
 *   <li><b>Filter, depthwise</b>: one task per output channel keeps one row of float partial sums per tap, added
 *       row by row, reduced in double at the end.</li>
 *   <li><b>Bias</b>: per output channel, the double sum over images and pixels.</li>
 * </ul>
 */
final class CpuBackward {
    /** Output pixels unfolded at once by a filter task. */
    static final int PIXEL_CHUNK = 256;
    /** Output channels a filter task accumulates together (they share each unfolded chunk); fewer when work is scarce. */
    static final int CHANNEL_BLOCK = 64;
    /** Unfolded columns (input channel × tap) a filter task covers; fewer when work is scarce. */
    static final int COLUMN_BLOCK = 256;

    private final ConvSpec spec;
    private final Simd simd;
    private final float[] weights; // OIHW, as given to prepare
    private final ConvKernel transposed; // null: the strided path
    private final int kh, kw, sh, sw, dh, dw, padTop, padLeft, cinG, coutG;

    CpuBackward(ConvSpec spec, float[] weights, Simd simd) {
        this.spec = spec;
        this.simd = simd;
        this.weights = weights;
        kh = spec.kernelH();
        kw = spec.kernelW();
        sh = spec.strideH();
        sw = spec.strideW();
        dh = spec.dilationH();
        dw = spec.dilationW();
        padTop = spec.padTop();
        padLeft = spec.padLeft();
        cinG = spec.inChannelsPerGroup();
        coutG = spec.outChannelsPerGroup();
        ConvSpec t = TransposedConv.spec(spec);
        if (t == null) {
            transposed = null;
        } else {
            Epilogue.Folded folded = new Epilogue.Folded(TransposedConv.weights(spec, weights), null, Activation.NONE);
            boolean padded = t.padTop() > 0 || t.padLeft() > 0 || t.padBottom() > 0 || t.padRight() > 0;
            boolean finite = true;
            for (float v : weights) finite &= Float.isFinite(v);
            transposed = padded && !finite ? new DirectKernel(t, folded)
                    : t.kind() == ConvSpec.Kind.DEPTHWISE ? new DepthwiseKernel(t, folded, simd) : new GemmKernel(t, folded, simd);
        }
    }

    /** What runs, for messages and plans. */
    String describe() {
        return "backward data: " + (transposed == null ? "strided scatter per input plane" : "forward of the transposed weights, " + transposed.plan())
                + "; backward filter: " + (spec.kind() == ConvSpec.Kind.DEPTHWISE ? "per-tap row sums" : "unfolded pixel chunks x channel blocks");
    }

    /** {@code dx} (shape {@code inShape}) from {@code dz} (shape {@code outShape}); added to {@code dx} with {@code accumulate}. */
    void data(float[] dz, Shape outShape, float[] dx, Shape inShape, boolean accumulate) {
        if (transposed != null) {
            if (!accumulate) {
                transposed.run(dz, outShape, dx, inShape);
                return;
            }
            float[] tmp = new float[dx.length];
            transposed.run(dz, outShape, tmp, inShape);
            CpuPool.parallelRanges(dx.length, CpuPool.tasksFor(Math.max(1, dx.length >> 14)), (from, to) -> {
                for (int i = from; i < to; i++) dx[i] += tmp[i];
            });
            return;
        }
        int planes = inShape.n() * inShape.c();
        CpuPool.parallelRanges(planes, CpuPool.tasksFor(planes), (from, to) -> {
            for (int plane = from; plane < to; plane++) scatterPlane(dz, outShape, dx, inShape, plane, accumulate);
        });
    }

    /** Input plane {@code plane} ({@code n·C + i}) of the strided data gradient. */
    private void scatterPlane(float[] dz, Shape out, float[] dx, Shape in, int plane, boolean accumulate) {
        int n = plane / in.c(), i = plane - n * in.c();
        int g = i / cinG, ii = i - g * cinG;
        int h = in.h(), w = in.w(), oh = out.h(), ow = out.w();
        int base = plane * h * w;
        if (!accumulate) Arrays.fill(dx, base, base + h * w, 0f);
        for (int oi = 0; oi < coutG; oi++) {
            int o = g * coutG + oi;
            int dzPlane = (n * out.c() + o) * oh * ow;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    float wv = weights[((o * cinG + ii) * kh + ky) * kw + kx];
                    int offX = kx * dw - padLeft;
                    // output columns whose input column offX + ox·sw lies in [0, w)
                    int x0 = offX >= 0 ? 0 : (-offX + sw - 1) / sw;
                    int x1 = Math.min(ow, offX >= w ? 0 : (w - 1 - offX) / sw + 1);
                    if (x0 >= x1) continue;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh - padTop + ky * dh;
                        if (iy < 0 || iy >= h) continue;
                        int src = dzPlane + oy * ow, dst = base + iy * w + offX;
                        if (sw == 1) {
                            for (int ox = x0; ox < x1; ox++) dx[dst + ox] += wv * dz[src + ox];
                        } else {
                            for (int ox = x0; ox < x1; ox++) dx[dst + ox * sw] += wv * dz[src + ox];
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code dw} (OIHW) and, when not null, {@code db} from the forward input {@code x} and {@code dz}; added to them with
     * {@code accumulate}.
     */
    void filter(float[] x, Shape in, float[] dz, Shape out, float[] dwOut, float[] db, boolean accumulate) {
        if (spec.kind() == ConvSpec.Kind.DEPTHWISE) {
            CpuPool.parallelFor(spec.outChannels(), o -> depthwiseFilter(x, in, dz, out, o, dwOut, accumulate));
        } else {
            int j = cinG * kh * kw, rTile = simd.tileRows();
            int oBlock = Math.max(rTile, CHANNEL_BLOCK / rTile * rTile), jBlock = COLUMN_BLOCK;
            // smaller blocks until every worker has units (blocks choose which elements a task owns, not their order)
            while (spec.groups() * ceilDiv(coutG, oBlock) * ceilDiv(j, jBlock) < 2 * CpuPool.parallelism()
                    && (oBlock > rTile || jBlock > simd.tileCols())) {
                if (oBlock > rTile) oBlock = Math.max(rTile, oBlock / 2 / rTile * rTile);
                else jBlock = Math.max(simd.tileCols(), jBlock / 2);
            }
            int ob = oBlock, jb = jBlock, oBlocks = ceilDiv(coutG, ob), jBlocks = ceilDiv(j, jb);
            CpuPool.parallelFor(spec.groups() * oBlocks * jBlocks, u -> {
                int g = u / (oBlocks * jBlocks), rest = u % (oBlocks * jBlocks), o0 = rest / jBlocks * ob, j0 = rest % jBlocks * jb;
                gemmFilter(x, in, dz, out, g, o0, Math.min(ob, coutG - o0), j0, Math.min(jb, j - j0), dwOut, accumulate);
            });
        }
        if (db != null) {
            int p = out.h() * out.w();
            CpuPool.parallelFor(spec.outChannels(), o -> {
                double sum = 0;
                for (int n = 0; n < out.n(); n++) {
                    int base = (n * out.c() + o) * p;
                    for (int q = 0; q < p; q++) sum += dz[base + q];
                }
                db[o] = accumulate ? (float) (db[o] + sum) : (float) sum;
            });
        }
    }

    /**
     * Output channels {@code [o0, o0 + oCount)} × unfolded columns {@code [j0, j0 + jCount)} of group {@code g}: per image
     * and pixel chunk, the chunk's dz rows and unfolded input columns are packed into panels and multiplied by
     * {@link Simd#gemmTile} (depth: the chunk's pixels), each tile folded into double sums.
     */
    private void gemmFilter(float[] x, Shape in, float[] dz, Shape out, int g, int o0, int oCount, int j0, int jCount,
                            float[] dwOut, boolean accumulate) {
        int rTile = simd.tileRows(), cTile = simd.tileCols();
        int j = cinG * kh * kw;
        int pixels = out.h() * out.w(), ow = out.w();
        int oPanels = (oCount + rTile - 1) / rTile, jPanels = (jCount + cTile - 1) / cTile;
        float[] col = new float[PIXEL_CHUNK * jCount];
        float[] aPack = new float[oPanels * PIXEL_CHUNK * rTile];
        float[] bPack = new float[jPanels * PIXEL_CHUNK * cTile];
        float[] part = new float[rTile * cTile], tile = new float[rTile * cTile], zeros = new float[rTile];
        double[] sum = new double[oCount * jCount];
        for (int n = 0; n < out.n(); n++) {
            for (int p0 = 0; p0 < pixels; p0 += PIXEL_CHUNK) {
                int rows = Math.min(PIXEL_CHUNK, pixels - p0);
                unfold(x, in, n, g, p0, rows, ow, col, j0, jCount);
                for (int op = 0; op < oPanels; op++) {
                    for (int r = 0; r < rTile; r++) {
                        int o = op * rTile + r;
                        int src = (n * out.c() + g * coutG + o0 + o) * pixels + p0;
                        int dst = op * PIXEL_CHUNK * rTile + r;
                        for (int k = 0; k < rows; k++) aPack[dst + k * rTile] = o < oCount ? dz[src + k] : 0f;
                    }
                }
                for (int jp = 0; jp < jPanels; jp++) {
                    int cols = Math.min(cTile, jCount - jp * cTile);
                    for (int k = 0; k < rows; k++) {
                        int dst = (jp * PIXEL_CHUNK + k) * cTile;
                        System.arraycopy(col, k * jCount + jp * cTile, bPack, dst, cols);
                        if (cols < cTile) Arrays.fill(bPack, dst + cols, dst + cTile, 0f);
                    }
                }
                for (int op = 0; op < oPanels; op++) {
                    int oRows = Math.min(rTile, oCount - op * rTile);
                    for (int jp = 0; jp < jPanels; jp++) {
                        int cols = Math.min(cTile, jCount - jp * cTile);
                        simd.gemmTile(aPack, op * PIXEL_CHUNK * rTile, bPack, jp * PIXEL_CHUNK * cTile, rows, part, 0, cTile,
                                rTile, cTile, zeros, 0, Activation.NONE, tile);
                        for (int r = 0; r < oRows; r++) {
                            int base = (op * rTile + r) * jCount + jp * cTile;
                            for (int c = 0; c < cols; c++) sum[base + c] += part[r * cTile + c];
                        }
                    }
                }
            }
        }
        for (int o = 0; o < oCount; o++) {
            for (int c = 0; c < jCount; c++) {
                int idx = (g * coutG + o0 + o) * j + j0 + c;
                dwOut[idx] = accumulate ? (float) (dwOut[idx] + sum[o * jCount + c]) : (float) sum[o * jCount + c];
            }
        }
    }

    /**
     * {@code col[r·jCount + q]}: for output pixel {@code p0 + r}, unfolded column {@code j0 + q} (columns in (ci, ky, kx)
     * order) of group {@code g}: the input under that tap, 0 outside the image.
     */
    private void unfold(float[] x, Shape in, int n, int g, int p0, int rows, int ow, float[] col, int j0, int jCount) {
        int h = in.h(), w = in.w(), taps = kh * kw;
        for (int q = 0; q < jCount; q++) {
            int jj = j0 + q, ci = jj / taps, ky = (jj % taps) / kw, kx = jj % kw;
            int plane = (n * in.c() + g * cinG + ci) * h * w;
            for (int r = 0; r < rows; r++) {
                int p = p0 + r, oy = p / ow, ox = p - oy * ow;
                int iy = oy * sh - padTop + ky * dh, ix = ox * sw - padLeft + kx * dw;
                col[r * jCount + q] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[plane + iy * w + ix] : 0f;
            }
        }
    }

    /** Output channel {@code o} of a depthwise layer: per-tap float row sums, reduced in double. */
    private void depthwiseFilter(float[] x, Shape in, float[] dz, Shape out, int o, float[] dwOut, boolean accumulate) {
        int c = o / coutG; // γ = coutG outputs per input channel
        int h = in.h(), w = in.w(), oh = out.h(), ow = out.w();
        int taps = kh * kw;
        float[] rowSums = new float[taps * ow];
        for (int n = 0; n < out.n(); n++) {
            int src = (n * in.c() + c) * h * w, grad = (n * out.c() + o) * oh * ow;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    int offX = kx * dw - padLeft;
                    int x0 = offX >= 0 ? 0 : (-offX + sw - 1) / sw;
                    int x1 = Math.min(ow, offX >= w ? 0 : (w - 1 - offX) / sw + 1);
                    int t = (ky * kw + kx) * ow;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh - padTop + ky * dh;
                        if (iy < 0 || iy >= h) continue;
                        int xr = src + iy * w + offX, gr = grad + oy * ow;
                        if (sw == 1) {
                            for (int ox = x0; ox < x1; ox++) rowSums[t + ox] += dz[gr + ox] * x[xr + ox];
                        } else {
                            for (int ox = x0; ox < x1; ox++) rowSums[t + ox] += dz[gr + ox] * x[xr + ox * sw];
                        }
                    }
                }
            }
        }
        for (int tap = 0; tap < taps; tap++) {
            double sum = 0;
            for (int ox = 0; ox < ow; ox++) sum += rowSums[tap * ow + ox];
            int idx = o * taps + tap;
            dwOut[idx] = accumulate ? (float) (dwOut[idx] + sum) : (float) sum;
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** The activation backward of {@link ConvGradients#activationBackward}: {@code dst} may be {@code dy}. */
    static void activation(Activation activation, float[] y, float[] dy, float[] dst) {
        float lower = activation.lower(), upper = activation.upper();
        CpuPool.parallelRanges(dst.length, CpuPool.tasksFor(Math.max(1, dst.length >> 14)), (from, to) -> {
            for (int i = from; i < to; i++) dst[i] = ConvGradients.passes(y[i], lower, upper) ? dy[i] : 0f;
        });
    }
}
