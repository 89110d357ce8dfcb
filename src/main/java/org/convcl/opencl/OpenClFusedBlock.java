package org.convcl.opencl;

import java.util.List;
import java.util.SortedMap;
import org.convcl.BlockMode;
import org.convcl.Epilogue;
import org.convcl.PreparedBlock;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.plan.BlockDescriptor;
import org.convcl.plan.BlockPlanner;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.Launch;

/**
 * The fused path of a {@link SeparableBlock} on an {@link OpenClBackend}: one launch of the fused kernel the
 * {@link BlockPlanner} chose ({@link BlockPlanner.Choice#fused()}), which says what is uploaded (batch-norm folded into
 * both steps at prepare time, the weights in its layout), its defines and, per input shape, its launch.
 *
 * <p>Its spec is the block's {@link SeparableBlock#standardEquivalent()}; messages name the block.
 *
 * <p>Thread safety: setting the arguments and enqueueing happen under this object's lock.
 */
final class OpenClFusedBlock extends OpenClPrepared implements PreparedBlock {
    private final SeparableBlock block;
    private final BlockDescriptor kernelDescriptor;
    private final String reason;
    private final ClKernel kernel;

    /** {@code choice}: a FUSED choice of {@link BlockPlanner#chooseOpenCl} on this backend's device. */
    OpenClFusedBlock(OpenClBackend backend, SeparableBlock block, float[] depthwiseWeights, float[] pointwiseWeights,
                     BlockPlanner.Choice choice) {
        super(backend, block.standardEquivalent());
        this.block = block;
        this.kernelDescriptor = choice.fused();
        this.reason = choice.reason();
        Epilogue.Folded dw = block.depthwiseEpilogue().fold(block.depthwise(), depthwiseWeights);
        Epilogue.Folded pw = block.pointwiseEpilogue().fold(block.pointwise(), pointwiseWeights);
        ClKernel k;
        try {
            for (Launch.Upload u : kernelDescriptor.uploads(block, backend.facts(), dw, pw)) {
                upload(u.role(), u.data(), u.name() + " of " + block);
            }
            upload(Launch.Role.BIAS, pw.bias(), "pointwise bias of " + block);
            var defines = programDefines(kernelDescriptor, block, backend.facts(), dw, pw);
            k = new ClKernel(backend.library().program(kernelDescriptor.kernelFile(), defines), kernelDescriptor.entryPoint(),
                    backend.deviceId(), backend.kernelCounter());
        } catch (RuntimeException | Error e) {
            releaseAfter(e, List.of());
            throw e;
        }
        kernel = k;
        backend.track(this);
    }

    /** The fused kernel's defines: the descriptor's tiling plus both steps' epilogue switches. */
    static SortedMap<String, Integer> programDefines(BlockDescriptor descriptor, SeparableBlock block, DeviceFacts device,
                                                     Epilogue.Folded depthwise, Epilogue.Folded pointwise) {
        SortedMap<String, Integer> epilogue = OpenClConv.epilogueDefines(pointwise);
        epilogue.put("DW_ACTIVATION", OpenClConv.activationCode(depthwise.activation()));
        return KernelLibrary.merge(descriptor.defines(block, device), epilogue);
    }

    @Override
    public SeparableBlock block() { return block; }

    @Override
    public BlockMode mode() { return BlockMode.FUSED; }

    @Override
    public String plan() {
        return kernelDescriptor.describe(block, backend.facts(), reason);
    }

    @Override
    public Shape outputShape(Shape input) { return block.outputShape(input); }

    @Override
    Object subject() { return block; }

    @Override
    long run(ClTensor src, ClTensor dst, boolean profile) {
        Launch launch = kernelDescriptor.launch(block, backend.facts(), src.shape());
        synchronized (this) {
            checkOpen();
            KernelArgs.bind(kernel.handle(), launch.args(), role -> mem(role, src, dst));
            return backend.launcher().launch(kernel, launch.global(), launch.local(), profile);
        }
    }

    @Override
    void releaseResources() {
        releaseAll(List.of(kernel));
    }

    @Override
    public String toString() {
        return "OpenClFusedBlock[" + block + "]";
    }
}
