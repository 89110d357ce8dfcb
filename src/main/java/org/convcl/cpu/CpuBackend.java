package org.convcl.cpu;

import org.convcl.Backend;
import org.convcl.BlockMode;
import org.convcl.ConvSpec;
import org.convcl.DeviceInfo;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedBlock;
import org.convcl.PreparedConv;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.UnfusedBlock;
import org.convcl.plan.BlockPlanner;

/**
 * The pure-Java CPU backend: "device" tensors are Java arrays and convolutions run on a shared pool of
 * daemon threads (one per available processor), each layer split into several tasks per thread. The kernels
 * use the Vector API when the JVM has {@code jdk.incubator.vector} and auto-vectorized loops otherwise
 * ({@link Simd}; the device's platform name says which). Work runs synchronously, so {@link #finish()} has
 * nothing to wait for.
 *
 * <p>Thread safety: a backend, its tensors and its prepared convolutions may be used from many threads at
 * once. Prepared convolutions are immutable after {@link #prepare}; each call to {@code forward} uses its
 * own scratch memory. Callers must not write a tensor while another thread reads it.
 */
public final class CpuBackend implements Backend {
    private final DeviceInfo device;
    private final Simd simd;
    private volatile boolean closed;

    CpuBackend(DeviceInfo device, Simd simd) {
        this.device = device;
        this.simd = simd;
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    @Override
    public DeviceTensor allocate(Shape shape) {
        checkOpen();
        if (shape == null) throw new IllegalArgumentException("shape must not be null");
        checkAllocation(shape);
        return new CpuTensor(this, shape, new float[shape.count()]);
    }

    @Override
    public DeviceTensor upload(Tensor tensor) {
        checkOpen();
        if (tensor == null) throw new IllegalArgumentException("tensor must not be null");
        checkAllocation(tensor.shape());
        return new CpuTensor(this, tensor.shape(), tensor.data().clone());
    }

    @Override
    public Tensor download(DeviceTensor tensor) {
        checkOpen();
        return Tensor.of(owned(tensor, "tensor").data().clone(), tensor.shape());
    }

    /**
     * Validates the spec, weights and epilogue, folds batch-norm into the weights and bias
     * ({@link Epilogue#fold}) and picks the algorithm: {@link DepthwiseKernel} for depthwise layers,
     * {@link RowGemmKernel} for full layers with a short reduction (few input channels), the register-blocked matrix
     * product {@link GemmKernel} (weights packed here) for pointwise, other full and grouped ones;
     * {@link DirectKernel} when a padded layer's folded weights hold NaN or ±Inf.
     */
    @Override
    public PreparedConv prepare(ConvSpec spec, float[] weights, Epilogue epilogue) {
        checkOpen();
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        if (epilogue == null) throw new IllegalArgumentException("epilogue must not be null");
        Epilogue.Folded layer = epilogue.fold(spec, weights);
        // a residual layer's kernel stops at the bias; CpuPreparedConv adds the residual, then the activation
        Epilogue.Folded folded = epilogue.hasResidual() ? CpuPreparedConv.beforeResidual(layer) : layer;
        ConvKernel kernel;
        if (isPadded(spec) && !allFinite(folded.weights())) {
            kernel = new DirectKernel(spec, folded);
        } else if (spec.kind() == ConvSpec.Kind.DEPTHWISE) {
            kernel = new DepthwiseKernel(spec, folded, simd);
        } else if (RowGemmKernel.suits(spec)) {
            kernel = new RowGemmKernel(spec, folded, simd);
        } else {
            kernel = new GemmKernel(spec, folded, simd);
        }
        if (epilogue.hasResidual()) return new CpuPreparedConv(this, spec, kernel, layer, epilogue.batchNorm() != null, simd, true);
        return new CpuPreparedConv(this, spec, kernel, folded, epilogue.batchNorm() != null, simd);
    }

    /**
     * Prepares a depthwise-separable block: the fused path ({@link FusedBlockKernel}, the intermediate kept in a
     * per-thread band buffer) when {@code mode} asks for it, the unfused one otherwise (the planner's choice for AUTO). {@code expectedInput} is validated; the
     * unfused path allocates its intermediate tensor for it.
     */
    @Override
    public PreparedBlock prepareBlock(SeparableBlock block, float[] depthwiseWeights, float[] pointwiseWeights,
                                      BlockMode mode, Shape expectedInput) {
        checkOpen();
        if (block == null) throw new IllegalArgumentException("block must not be null");
        block.depthwise().expectedOutputShape(expectedInput);
        BlockPlanner.Choice choice = BlockPlanner.chooseCpu(block, mode);
        return choice.mode() == BlockMode.FUSED
                ? new CpuFusedBlock(this, block, depthwiseWeights, pointwiseWeights, choice.reason())
                : UnfusedBlock.prepare(this, block, depthwiseWeights, pointwiseWeights, choice.reason(), expectedInput);
    }

    /** Whether the layer reads padding: its taps may then meet zeros that a NaN or ±Inf weight must not multiply. */
    static boolean isPadded(ConvSpec spec) {
        return spec.padTop() > 0 || spec.padLeft() > 0 || spec.padBottom() > 0 || spec.padRight() > 0;
    }

    static boolean allFinite(float[] values) {
        for (float v : values) if (!Float.isFinite(v)) return false;
        return true;
    }

    /** The network operators, in Java on the calling thread ({@link org.convcl.ArrayOps}). */
    @Override
    public java.util.Optional<org.convcl.TensorOps> tensorOps() {
        return java.util.Optional.of(new CpuTensorOps(this));
    }

    /** Nothing to wait for: every operation of this backend completes before it returns. */
    @Override
    public void finish() {
        checkOpen();
    }

    /** The SIMD path every kernel of this backend takes. */
    Simd simd() {
        return simd;
    }

    /** Marks the backend closed (idempotent). The shared thread pool stays up for other backends. */
    @Override
    public void close() {
        closed = true;
    }

    /** Refuses a tensor larger than the device's {@code maxAllocBytes} (the JVM heap limit) before allocating it. */
    private void checkAllocation(Shape shape) {
        if (shape.bytes() > device.maxAllocBytes()) {
            throw new IllegalArgumentException("tensor " + shape + " needs " + shape.bytes() + " bytes, more than the "
                    + device.maxAllocBytes() + " bytes the Java heap allows (-Xmx)");
        }
    }

    void checkOpen() {
        if (closed) throw new IllegalStateException("the CPU backend is closed");
    }

    /** The CPU tensor behind {@code tensor}, which must belong to this backend and be open. */
    CpuTensor owned(DeviceTensor tensor, String role) {
        if (tensor == null) throw new IllegalArgumentException(role + " tensor must not be null");
        if (!(tensor instanceof CpuTensor t) || t.backend() != this) {
            throw new IllegalArgumentException(role + " " + tensor + " belongs to another backend ("
                    + describeOwner(tensor) + "), not to " + device.describe());
        }
        t.data(); // throws IllegalStateException naming the tensor when it is closed
        return t;
    }

    private static String describeOwner(DeviceTensor tensor) {
        try {
            Backend b = tensor.backend();
            return b == null ? "none" : b.device().describe();
        } catch (RuntimeException e) {
            return tensor.getClass().getName();
        }
    }

    @Override
    public String toString() {
        return "CpuBackend[" + device.name() + "]";
    }
}
