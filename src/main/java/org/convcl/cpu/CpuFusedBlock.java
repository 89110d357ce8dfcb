package org.convcl.cpu;

import org.convcl.Backend;
import org.convcl.BlockMode;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.PreparedBlock;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.Tensor;

/**
 * The fused path of a {@link SeparableBlock} on the CPU backend ({@link FusedBlockKernel}): immutable after
 * preparation, so it may run from many threads at once; {@code forward} completes before it returns.
 */
final class CpuFusedBlock implements PreparedBlock {
    private final SeparableBlock block;
    private final CpuPreparedConv conv; // runs the fused kernel with the block's input and output shapes
    private final String reason;

    CpuFusedBlock(CpuBackend backend, SeparableBlock block, float[] depthwiseWeights, float[] pointwiseWeights,
                  String reason) {
        this.block = block;
        this.reason = reason;
        FusedBlockKernel kernel = new FusedBlockKernel(block,
                block.depthwiseEpilogue().fold(block.depthwise(), depthwiseWeights),
                block.pointwiseEpilogue().fold(block.pointwise(), pointwiseWeights), backend.simd());
        this.conv = new CpuPreparedConv(backend, block.standardEquivalent(), kernel);
    }

    @Override
    public SeparableBlock block() { return block; }

    @Override
    public BlockMode mode() { return BlockMode.FUSED; }

    @Override
    public ConvSpec spec() { return conv.spec(); }

    @Override
    public String plan() { return "fused (" + reason + "): " + conv.plan(); }

    @Override
    public Shape outputShape(Shape input) { return block.outputShape(input); }

    @Override
    public void forward(DeviceTensor input, DeviceTensor output) { conv.forward(input, output); }

    @Override
    public long forwardTimed(DeviceTensor input, DeviceTensor output) { return conv.forwardTimed(input, output); }

    @Override
    public Tensor forward(Tensor input) { return conv.forward(input); }

    @Override
    public Backend backend() { return conv.backend(); }

    @Override
    public void close() { conv.close(); }
}
