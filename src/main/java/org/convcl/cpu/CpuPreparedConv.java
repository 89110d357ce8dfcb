package org.convcl.cpu;

import org.convcl.Activation;
import org.convcl.Backend;
import org.convcl.ConvGradients;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Shape;
import org.convcl.Tensor;

/**
 * A convolution prepared on the CPU backend: folded weights and the chosen algorithm, immutable, so it may
 * run from many threads at once. {@code forward} completes before it returns.
 */
final class CpuPreparedConv implements PreparedConv {
    private final CpuBackend backend;
    private final ConvSpec spec;
    private final ConvKernel kernel;
    private final Epilogue.Folded folded;
    private final boolean batchNormFolded;
    private final Simd simd;
    private final boolean residual;
    private volatile CpuBackward backward; // made at the first backward pass
    private volatile boolean closed;

    /** A kernel without backward passes (the fused block's). */
    CpuPreparedConv(CpuBackend backend, ConvSpec spec, ConvKernel kernel) {
        this(backend, spec, kernel, null, false, null);
    }

    /**
     * {@code folded}: the weights the layer runs with (they are the caller's own when {@code batchNormFolded} is false,
     * and only then are backward passes offered).
     */
    CpuPreparedConv(CpuBackend backend, ConvSpec spec, ConvKernel kernel, Epilogue.Folded folded, boolean batchNormFolded,
                    Simd simd) {
        this(backend, spec, kernel, folded, batchNormFolded, simd, false);
    }

    /**
     * As above; with {@code residual} the kernel was made from {@link #beforeResidual}{@code (folded)} and each forward
     * adds the residual tensor, then applies {@code folded}'s activation.
     */
    CpuPreparedConv(CpuBackend backend, ConvSpec spec, ConvKernel kernel, Epilogue.Folded folded, boolean batchNormFolded,
                    Simd simd, boolean residual) {
        this.residual = residual;
        this.backend = backend;
        this.spec = spec;
        this.kernel = kernel;
        this.folded = folded;
        this.batchNormFolded = batchNormFolded;
        this.simd = simd;
    }

    @Override
    public ConvSpec spec() {
        return spec;
    }

    @Override
    public String plan() {
        return kernel.plan();
    }

    /** The epilogue a residual layer's kernel applies: {@code folded} without its activation (it follows the residual). */
    static Epilogue.Folded beforeResidual(Epilogue.Folded folded) {
        return new Epilogue.Folded(folded.weights(), folded.bias(), Activation.NONE);
    }

    @Override
    public boolean hasResidual() { return residual; }

    @Override
    public void forward(DeviceTensor input, DeviceTensor output) {
        forwardTimed(input, output);
    }

    @Override
    public void forward(DeviceTensor input, DeviceTensor residual, DeviceTensor output) {
        forwardTimed(input, residual, output);
    }

    /** Runs synchronously: the kernel (bias only), then the residual and the activation; returns the wall-clock nanoseconds. */
    @Override
    public long forwardTimed(DeviceTensor input, DeviceTensor residualTensor, DeviceTensor output) {
        checkOpen();
        if (!residual) throw new IllegalStateException(PreparedConv.noResidual(this));
        CpuTensor res = backend.owned(residualTensor, "residual");
        CpuTensor out = backend.owned(output, "output");
        if (res == out) {
            throw new IllegalArgumentException("residual and output must be different tensors, got " + res + " twice");
        }
        PreparedConv.checkResidualShape(res.shape(), out.shape(), spec);
        long start = System.nanoTime();
        run(input, output);
        EpilogueWriter.addResidual(out.data(), res.data(), folded.activation());
        return System.nanoTime() - start;
    }

    /** Runs synchronously and returns the wall-clock nanoseconds of the computation alone. */
    @Override
    public long forwardTimed(DeviceTensor input, DeviceTensor output) {
        checkOpen();
        if (residual) throw new IllegalStateException(PreparedConv.residualMissing(this));
        long start = System.nanoTime();
        run(input, output);
        return System.nanoTime() - start;
    }

    /** Checks the tensors and runs the kernel of {@code input} into {@code output}. */
    private void run(DeviceTensor input, DeviceTensor output) {
        CpuTensor in = backend.owned(input, "input");
        CpuTensor out = backend.owned(output, "output");
        if (in == out) throw new IllegalArgumentException("input and output must be different tensors, got " + in + " twice");
        Shape expected = spec.outputShape(in.shape());
        if (!expected.equals(out.shape())) {
            throw new IllegalArgumentException("output shape " + out.shape() + " does not match " + expected
                    + " for input " + in.shape() + " and " + spec);
        }
        kernel.run(in.data(), in.shape(), out.data(), expected);
    }

    @Override
    public Backend backend() { return backend; }

    /** Runs on the host arrays directly: the CPU backend's tensors live there anyway. */
    @Override
    public Tensor forward(Tensor input) {
        checkOpen();
        if (input == null) throw new IllegalArgumentException("input must not be null");
        if (residual) throw new IllegalStateException(PreparedConv.residualMissing(this));
        Shape outShape = spec.outputShape(input.shape());
        float[] dst = new float[outShape.count()];
        kernel.run(input.data(), input.shape(), dst, outShape);
        return Tensor.of(dst, outShape);
    }

    /** Runs synchronously. */
    @Override
    public void backwardData(DeviceTensor gradOutput, DeviceTensor gradInput, boolean accumulate) {
        CpuBackward b = backward();
        CpuTensor dz = backend.owned(gradOutput, "gradOutput");
        CpuTensor dx = backend.owned(gradInput, "gradInput");
        if (dz == dx) throw new IllegalArgumentException("gradOutput and gradInput must be different tensors, got " + dz + " twice");
        ConvGradients.checkGradOutput(spec, dz.shape(), dx.shape(), "gradInput");
        b.data(dz.data(), dz.shape(), dx.data(), dx.shape(), accumulate);
    }

    /** Runs synchronously. */
    @Override
    public void backwardFilter(DeviceTensor input, DeviceTensor gradOutput, DeviceTensor gradWeights, DeviceTensor gradBias,
                               boolean accumulate) {
        CpuBackward b = backward();
        CpuTensor x = backend.owned(input, "input");
        CpuTensor dz = backend.owned(gradOutput, "gradOutput");
        CpuTensor dw = backend.owned(gradWeights, "gradWeights");
        CpuTensor db = gradBias == null ? null : backend.owned(gradBias, "gradBias");
        ConvGradients.checkGradOutput(spec, dz.shape(), x.shape(), "input");
        ConvGradients.checkShape(dw.shape(), ConvGradients.weightShape(spec), "gradWeights");
        if (db != null) ConvGradients.checkShape(db.shape(), ConvGradients.biasShape(spec), "gradBias");
        ConvGradients.checkDistinct(x, dz, dw, db);
        b.filter(x.data(), x.shape(), dz.data(), dz.shape(), dw.data(), db == null ? null : db.data(), accumulate);
    }

    /** Runs synchronously; {@code gradPreActivation} may be {@code gradOutput}. */
    @Override
    public void activationBackward(DeviceTensor output, DeviceTensor gradOutput, DeviceTensor gradPreActivation) {
        checkOpen();
        if (folded == null) throw new UnsupportedOperationException(kernel.plan() + " offers no backward pass");
        ConvGradients.requireOutputMask(folded.activation());
        CpuTensor y = backend.owned(output, "output");
        CpuTensor dy = backend.owned(gradOutput, "gradOutput");
        CpuTensor dz = backend.owned(gradPreActivation, "gradPreActivation");
        ConvGradients.checkShape(dy.shape(), y.shape(), "gradOutput");
        ConvGradients.checkShape(dz.shape(), y.shape(), "gradPreActivation");
        if (dz == y) {
            throw new IllegalArgumentException("gradPreActivation must not be the output tensor " + y);
        }
        CpuBackward.activation(folded.activation(), y.data(), dy.data(), dz.data());
    }

    /** The backward passes, made once; refused for a layer whose weights had batch-norm folded in. */
    private CpuBackward backward() {
        checkOpen();
        if (folded == null) throw new UnsupportedOperationException(kernel.plan() + " offers no backward pass");
        if (batchNormFolded) throw new IllegalStateException(ConvGradients.noBackwardWithBatchNorm(spec));
        CpuBackward b = backward;
        if (b == null) {
            synchronized (this) {
                b = backward;
                if (b == null) backward = b = new CpuBackward(spec, folded.weights(), simd);
            }
        }
        return b;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("prepared convolution " + spec + " is closed");
        backend.checkOpen();
    }

    /** Idempotent. */
    @Override
    public void close() {
        closed = true;
    }
}
