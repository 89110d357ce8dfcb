package org.convcl.cpu;

import org.convcl.Activation;
import org.convcl.Epilogue;
import org.convcl.SeparableBlock;
import org.convcl.Shape;

/**
 * The fused depthwise-separable block on the CPU, built from the unfused kernels' pieces. One unit is an image and a
 * band of output rows: the depthwise step writes every intermediate channel of the band into a per-task buffer of
 * at most {@link GemmKernel#BLOCK_FLOATS} floats ({@link DepthwiseKernel#channelBand}; {@link DirectKernel}'s band
 * when the depthwise weights hold NaN or ±Inf and the layer is padded), and the pointwise step consumes it at once:
 * the GEMM micro-tile reads the buffer's channel rows in place ({@link Simd#gemmTile} with row offsets), weight panel
 * by weight panel over the band's column panels, epilogue at the store. The intermediate tensor is never written
 * whole; bands are cut so that every worker gets several units where the layer allows.
 */
final class FusedBlockKernel implements ConvKernel {
    private final SeparableBlock block;
    private final Simd simd;
    private final DepthwiseKernel depthwise; // null when the depthwise step takes the direct kernel
    private final DirectKernel direct;       // null unless it does
    private final float[] packed;            // the pointwise weights in micro-panels
    private final float[] bias;
    private final Activation activation;
    private final int cmid, cout, mr, nr, panels;

    FusedBlockKernel(SeparableBlock block, Epilogue.Folded dwFolded, Epilogue.Folded pwFolded, Simd simd) {
        this.block = block;
        this.simd = simd;
        if (CpuBackend.isPadded(block.depthwise()) && !CpuBackend.allFinite(dwFolded.weights())) {
            depthwise = null;
            direct = new DirectKernel(block.depthwise(), dwFolded);
        } else {
            depthwise = new DepthwiseKernel(block.depthwise(), dwFolded, simd);
            direct = null;
        }
        packed = new GemmKernel(block.pointwise(), pwFolded, simd).packedWeights();
        cmid = block.midChannels();
        cout = block.outChannels();
        bias = pwFolded.bias() == null ? new float[cout] : pwFolded.bias();
        activation = pwFolded.activation();
        mr = simd.tileRows();
        nr = simd.tileCols();
        panels = (cout + mr - 1) / mr;
    }

    @Override
    public String plan() {
        return "bands of output rows: the depthwise step (" + (depthwise != null ? depthwise.plan() : direct.plan())
                + ") into a per-thread buffer of all " + cmid + " channels (at most " + GemmKernel.BLOCK_FLOATS
                + " floats), consumed at once by the pointwise " + mr + "x" + nr + " micro-tile (" + simd.describe()
                + ") reading it in place";
    }

    @Override
    public void run(float[] in, Shape inShape, float[] out, Shape outShape) {
        Shape mid = block.midShape(inShape);
        int outH = outShape.h(), outW = outShape.w(), images = inShape.n(), cin = inShape.c(), gamma = cmid / cin;
        int fit = Math.max(1, GemmKernel.BLOCK_FLOATS / (cmid * outW));
        int bandsWanted = Math.min(outH, (CpuPool.tasksFor(images * outH) + images - 1) / images);
        int bandRows = Math.min(fit, (outH + bandsWanted - 1) / bandsWanted);
        int bands = (outH + bandRows - 1) / bandRows;
        PhaseRows rows = depthwise == null ? null : depthwise.rows(inShape, mid, bandRows);
        int outPlane = outH * outW, units = images * bands;
        CpuPool.parallelRanges(units, CpuPool.tasksFor(units), (from, to) -> {
            // + the columns a tile may read past the end; every float a stored column reads is written first
            float[] buffer = CpuPool.workerScratch(CpuPool.BLOCK_SCRATCH, cmid * bandRows * outW + nr);
            float[] scratch = rows == null ? null : rows.scratch();
            float[] acc = new float[simd.rowScratch(outW)];
            float[] tile = new float[mr * nr];
            int[] bRows = new int[cmid];
            int rowsOf = -1; // the band length that bRows was made for
            for (int u = from; u < to; u++) {
                int band = u % bands, img = u / bands;
                int y0 = band * bandRows, y1 = Math.min(outH, y0 + bandRows), pixels = (y1 - y0) * outW;
                if (pixels != rowsOf) {
                    for (int k = 0; k < cmid; k++) bRows[k] = k * pixels;
                    rowsOf = pixels;
                }
                for (int c = 0; c < cin; c++) {
                    if (depthwise != null) {
                        depthwise.channelBand(in, inShape, outW, rows, img, c, y0, y1, scratch, acc, buffer,
                                c * gamma * pixels, pixels);
                    } else {
                        direct.depthwiseBand(in, inShape, mid, img, c, y0, y1, buffer, c * gamma * pixels, pixels);
                    }
                }
                int outBase = img * cout * outPlane + y0 * outW;
                for (int p = 0; p < panels; p++) {
                    int o0 = p * mr, validRows = Math.min(mr, cout - o0);
                    for (int x0 = 0; x0 < pixels; x0 += nr) {
                        simd.gemmTile(packed, p * cmid * mr, buffer, x0, bRows, cmid, out, outBase + o0 * outPlane + x0,
                                outPlane, validRows, Math.min(nr, pixels - x0), bias, o0, activation, tile);
                    }
                }
            }
        });
    }
}
