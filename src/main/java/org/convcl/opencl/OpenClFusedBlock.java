package org.convcl.opencl;

import java.util.SortedMap;
import org.convcl.BlockMode;
import org.convcl.Closer;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.PreparedBlock;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.plan.BlockPlanner;

/**
 * The fused path of a {@link SeparableBlock} on an {@link OpenClBackend}: one launch of
 * {@code kernels/conv2d_dsblock.cl}, in which each work-item computes a strip of pixels' depthwise output into its
 * own tile of local memory and runs the pointwise GEMM from there. Batch-norm is folded into both steps at prepare
 * time and the pointwise weights are stored transposed ({@code [MID][Cout]}, padded to whole register tiles); the
 * tiling is {@link BlockPlanner#tiling}, the same for every input shape; the grid (strip length, strips per
 * work-item, channel groups) follows the input's shape ({@link BlockPlanner.Tiling#grid}).
 *
 * <p>Its spec is the block's {@link SeparableBlock#standardEquivalent()}; messages name the block.
 *
 * <p>Thread safety: setting the arguments and enqueueing happen under this object's lock.
 */
final class OpenClFusedBlock extends OpenClPrepared implements PreparedBlock {
    static final String KERNEL_FILE = "conv2d_dsblock.cl";
    static final String ENTRY_POINT = "conv2d_dsblock";

    private final SeparableBlock block;
    private final String reason;
    private final ClBuffer dwWeights, dwBias, pwWeights, pwBias;
    private final SortedMap<String, Integer> epilogueDefines;
    private final BlockPlanner.Tiling tiling;
    private final ClKernel kernel;

    OpenClFusedBlock(OpenClBackend backend, SeparableBlock block, float[] depthwiseWeights, float[] pointwiseWeights,
                     String reason) {
        this(backend, block, depthwiseWeights, pointwiseWeights, reason, BlockPlanner.tiling(block, backend.facts()));
    }

    /** With an explicit {@code tiling} (for measuring alternatives). */
    OpenClFusedBlock(OpenClBackend backend, SeparableBlock block, float[] depthwiseWeights, float[] pointwiseWeights,
                     String reason, BlockPlanner.Tiling tiling) {
        super(backend, block.standardEquivalent());
        this.block = block;
        this.reason = reason;
        Epilogue.Folded dw = block.depthwiseEpilogue().fold(block.depthwise(), depthwiseWeights);
        Epilogue.Folded pw = block.pointwiseEpilogue().fold(block.pointwise(), pointwiseWeights);
        if (tiling == null || tiling.tileBytes(block.midChannels()) > backend.facts().localMemBytes()) {
            throw new IllegalArgumentException("the fused kernel's tile for " + block + " does not fit the device");
        }
        this.tiling = tiling;
        epilogueDefines = OpenClConv.epilogueDefines(pw);
        epilogueDefines.put("DW_ACTIVATION", OpenClConv.activationCode(dw.activation()));
        ClBuffer a = null, b = null, c = null, d = null;
        ClKernel k;
        try {
            a = backend.createBuffer(dw.weights(), "depthwise weights of " + block);
            b = backend.createBuffer(dw.bias() != null ? dw.bias() : new float[block.midChannels()], "depthwise bias of " + block);
            c = backend.createBuffer(packByTiles(pw.weights(), block.outChannels(), block.midChannels(), tiling.ocTile()),
                    "pointwise weights of " + block);
            d = pw.bias() == null ? null : backend.createBuffer(pw.bias(), "pointwise bias of " + block);
            var defines = KernelLibrary.merge(BlockPlanner.fusedDefines(block, tiling), epilogueDefines);
            k = new ClKernel(backend.library().program(KERNEL_FILE, defines), ENTRY_POINT, backend.deviceId(),
                    backend.kernelCounter());
        } catch (RuntimeException | Error e) {
            release(a, b, c, d);
            throw e;
        }
        kernel = k;
        dwWeights = a;
        dwBias = b;
        pwWeights = c;
        pwBias = d;
        backend.track(this);
    }

    @Override
    public SeparableBlock block() { return block; }

    @Override
    public BlockMode mode() { return BlockMode.FUSED; }

    @Override
    public String plan() {
        return "fused (" + reason + "): " + ENTRY_POINT + ", a strip of " + tiling.strip() + " pixels x all output "
                + "channels per work-item (split into groups when a batch has few strips), depthwise tile of all "
                + block.midChannels() + " intermediate channels in local memory, " + tiling.ocTile() + " channels x "
                + tiling.pixVecs() * tiling.vec() + " pixels per register tile";
    }

    @Override
    public Shape outputShape(Shape input) { return block.outputShape(input); }

    @Override
    Object subject() { return block; }

    @Override
    long run(ClTensor src, ClTensor dst, boolean profile) {
        Shape in = src.shape();
        Shape expected = dst.shape();
        ConvSpec dw = block.depthwise();
        long[] local = tiling.local();
        BlockPlanner.Grid grid = tiling.grid(expected, backend.facts().computeUnits());
        synchronized (this) {
            checkOpen();
            KernelArgs.on(kernel.handle()).buffer(src.mem()).buffer(dwWeights.mem()).buffer(dwBias.mem())
                    .buffer(pwWeights.mem()).buffer(biasOrPlaceholder(pwBias))
                    .buffer(dst.mem())
                    .int32(in.n(), in.c(), in.h(), in.w(), expected.c(), expected.h(), expected.w(), dw.padTop(),
                            dw.padLeft(), grid.channelsPerItem(), grid.stripLength(), grid.stripsPerItem(), grid.streamOutput() ? 1 : 0);
            return backend.launcher().launch(kernel, grid.global(), local, profile);
        }
    }

    /**
     * The pointwise weights {@code w [rows][cols]} (rows: output channels) packed by register tiles of {@code tile}
     * rows: {@code [ceil(rows / tile)][cols][tile]}, the rows past {@code rows} zero, so one tile's weights are
     * consecutive.
     */
    static float[] packByTiles(float[] w, int rows, int cols, int tile) {
        int tiles = (rows + tile - 1) / tile;
        float[] packed = new float[tiles * cols * tile];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) packed[((r / tile) * cols + c) * tile + r % tile] = w[r * cols + c];
        }
        return packed;
    }

    /** Releases the kernel and the four buffers, all of them even when one release fails (the first failure thrown). */
    @Override
    void releaseResources() {
        new Closer().close(kernel).run(() -> release(dwWeights, dwBias, pwWeights, pwBias)).finish();
    }

    @Override
    public String toString() {
        return "OpenClFusedBlock[" + block + "]";
    }
}
