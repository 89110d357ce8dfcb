package org.convcl;

/**
 * A convolution ready to run on one backend: weights (with the epilogue folded in) uploaded once, kernels
 * built once. Call {@code forward} many times; close to release device memory (idempotent).
 *
 * <p>Thread safety: {@code forward} and {@code forwardTimed} may be called from many threads at once on one
 * prepared convolution, each with its own tensors; {@code close()} must not race with them. The full contract
 * is on {@link Backend}.
 */
public interface PreparedConv extends AutoCloseable {

    ConvSpec spec();

    /** The algorithm the planner chose and why, e.g. {@code "direct: groups=2, stride 2"}. */
    String plan();

    /** Output shape for an input shape; throws naming the field when the input does not fit the spec. */
    default Shape outputShape(Shape input) {
        return spec().outputShape(input);
    }

    /**
     * Enqueues the convolution of {@code input} into {@code output} (shape {@link #outputShape}); returns
     * without waiting where the backend can. Both tensors must belong to this backend.
     */
    void forward(DeviceTensor input, DeviceTensor output);

    /**
     * Runs like {@link #forward(DeviceTensor, DeviceTensor)}, waits for completion and returns the time the
     * device spent computing in nanoseconds (OpenCL profiling events; wall time on the CPU backend).
     */
    long forwardTimed(DeviceTensor input, DeviceTensor output);

    /** Allocates the output on the backend and runs; the caller closes the result. */
    default DeviceTensor forward(DeviceTensor input) {
        DeviceTensor out = input.backend().allocate(outputShape(input.shape()));
        try {
            forward(input, out);
            return out;
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }

    /** The backend this convolution runs on (and whose tensors {@code forward} accepts). */
    Backend backend();

    // ---- the residual epilogue (Epilogue.hasResidual) ----

    /**
     * Whether this convolution was prepared with a residual ({@link Epilogue#hasResidual}): it then runs only through
     * the forwards that take the residual tensor, and the two-tensor forwards throw {@link IllegalStateException}.
     */
    default boolean hasResidual() { return false; }

    /**
     * Enqueues {@code output = act(conv(input) + bias + residual)}, the residual added element by element before the
     * activation; returns without waiting where the backend can. {@code residual} has the output's shape; it may be
     * the input tensor but never the output (kernels read it while storing outputs).
     *
     * @throws IllegalArgumentException for a tensor of another backend, a residual not shaped like the output, or the
     *         residual or input being the output tensor
     * @throws IllegalStateException for a closed tensor or convolution, or one prepared without a residual
     */
    default void forward(DeviceTensor input, DeviceTensor residual, DeviceTensor output) {
        throw new IllegalStateException(noResidual(this));
    }

    /**
     * Runs like {@link #forward(DeviceTensor, DeviceTensor, DeviceTensor)}, waits and returns the device time in
     * nanoseconds (wall time on the CPU backend).
     */
    default long forwardTimed(DeviceTensor input, DeviceTensor residual, DeviceTensor output) {
        throw new IllegalStateException(noResidual(this));
    }

    /**
     * {@link #forward(DeviceTensor, DeviceTensor, DeviceTensor)} on host tensors: uploads, runs and downloads.
     * Temporaries are released before it returns, also on failure.
     */
    default Tensor forward(Tensor input, Tensor residual) {
        if (input == null) throw new IllegalArgumentException("input tensor must not be null");
        if (residual == null) throw new IllegalArgumentException("residual tensor must not be null");
        if (!hasResidual()) throw new IllegalStateException(noResidual(this));
        Shape outShape = outputShape(input.shape());
        checkResidualShape(residual.shape(), outShape, spec());
        Backend backend = backend();
        try (DeviceTensor in = backend.upload(input); DeviceTensor res = backend.upload(residual);
             DeviceTensor out = backend.allocate(outShape)) {
            forward(in, res, out);
            return backend.download(out);
        }
    }

    /** Throws naming both shapes when a residual's {@code shape} is not {@code output}, the output shape of {@code spec}. */
    static void checkResidualShape(Shape shape, Shape output, ConvSpec spec) {
        if (!shape.equals(output)) {
            throw new IllegalArgumentException("residual shape " + shape + " does not match the output shape " + output
                    + " of " + spec);
        }
    }

    /** The message for a residual forward on a convolution prepared without one. */
    static String noResidual(PreparedConv conv) {
        return "prepared convolution " + conv.spec() + " (" + conv.plan() + ") has no residual (Epilogue.hasResidual is false);"
                + " call forward(input, output)";
    }

    /** The message for a two-tensor forward on a convolution prepared with a residual. */
    static String residualMissing(PreparedConv conv) {
        return "prepared convolution " + conv.spec() + " was prepared with a residual (Epilogue.hasResidual);"
                + " call forward(input, residual, output)";
    }

    /**
     * Uploads, runs and downloads: the convenient form for one-off host tensors. Temporaries are released
     * before it returns, also on failure.
     */
    default Tensor forward(Tensor input) {
        if (input == null) throw new IllegalArgumentException("input tensor must not be null");
        if (hasResidual()) throw new IllegalStateException(residualMissing(this));
        Shape outShape = outputShape(input.shape());
        Backend backend = backend();
        try (DeviceTensor in = backend.upload(input); DeviceTensor out = backend.allocate(outShape)) {
            forward(in, out);
            return backend.download(out);
        }
    }

    // ---- backward passes (training); see ConvGradients for what the gradients are of ----

    /**
     * Enqueues the gradient of the convolution's input: {@code gradInput = ∂L/∂x} from {@code gradOutput = ∂L/∂z}, the
     * gradient of the pre-activation output (see {@link ConvGradients}). The input shape is {@code gradInput}'s, so a
     * stride that does not divide the input (PyTorch's {@code output_padding}) needs nothing more. With
     * {@code accumulate} the gradient is added to {@code gradInput}'s contents, else it replaces them.
     *
     * @throws IllegalArgumentException for tensors of another backend, the same tensor twice, or
     *         {@code gradOutput} not shaped {@link #outputShape} of {@code gradInput}'s shape
     * @throws IllegalStateException for a closed tensor or convolution, or a layer prepared with batch-norm
     * @throws UnsupportedOperationException where this kind of prepared object offers no backward pass (a block)
     */
    default void backwardData(DeviceTensor gradOutput, DeviceTensor gradInput, boolean accumulate) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " (" + plan() + ") offers no backward pass; "
                + "prepare the layer with Backend.prepare");
    }

    /**
     * Enqueues the gradients of the weights, {@code gradWeights = ∂L/∂w} (shape {@link ConvGradients#weightShape}),
     * and of the bias, {@code gradBias = ∂L/∂b} (shape {@link ConvGradients#biasShape}; null skips it, a layer without
     * bias may still ask), from the forward {@code input} and {@code gradOutput = ∂L/∂z}. The reduction over the batch
     * and the pixels runs in a fixed order: the same inputs give the same bits on every run. With {@code accumulate}
     * the gradients are added to the tensors' contents, else they replace them.
     *
     * @throws IllegalArgumentException for tensors of another backend, a tensor given twice, or shapes that do not fit
     * @throws IllegalStateException for a closed tensor or convolution, or a layer prepared with batch-norm
     * @throws UnsupportedOperationException where this kind of prepared object offers no backward pass (a block)
     */
    default void backwardFilter(DeviceTensor input, DeviceTensor gradOutput, DeviceTensor gradWeights, DeviceTensor gradBias,
                                boolean accumulate) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " (" + plan() + ") offers no backward pass; "
                + "prepare the layer with Backend.prepare");
    }

    /**
     * Enqueues this layer's activation backward: {@code gradPreActivation = gradOutput} where the activation let the
     * forward value through, judged from the forward {@code output} ({@link ConvGradients#activationBackward}), else 0.
     * {@code gradPreActivation} may be {@code gradOutput} itself (in place). All three share one shape.
     *
     * @throws IllegalArgumentException for tensors of another backend or shapes that differ
     * @throws UnsupportedOperationException where this kind of prepared object offers no backward pass (a block)
     */
    default void activationBackward(DeviceTensor output, DeviceTensor gradOutput, DeviceTensor gradPreActivation) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " (" + plan() + ") offers no backward pass; "
                + "prepare the layer with Backend.prepare");
    }

    /**
     * {@link #backwardData(DeviceTensor, DeviceTensor, boolean)} on host tensors: returns {@code ∂L/∂x} of shape
     * {@code inputShape}. Temporaries are released before it returns, also on failure.
     */
    default Tensor backwardData(Tensor gradOutput, Shape inputShape) {
        if (gradOutput == null) throw new IllegalArgumentException("gradOutput tensor must not be null");
        if (inputShape == null) throw new IllegalArgumentException("inputShape must not be null");
        Backend backend = backend();
        try (DeviceTensor dy = backend.upload(gradOutput); DeviceTensor dx = backend.allocate(inputShape)) {
            backwardData(dy, dx, false);
            return backend.download(dx);
        }
    }

    /**
     * {@link #backwardData(DeviceTensor, DeviceTensor, boolean)} into a host tensor, added to its contents with
     * {@code accumulate}; {@code gradInput} is written only once the whole gradient is computed.
     */
    default void backwardData(Tensor gradOutput, Tensor gradInput, boolean accumulate) {
        if (gradOutput == null) throw new IllegalArgumentException("gradOutput tensor must not be null");
        if (gradInput == null) throw new IllegalArgumentException("gradInput tensor must not be null");
        Backend backend = backend();
        try (DeviceTensor dy = backend.upload(gradOutput);
             DeviceTensor dx = accumulate ? backend.upload(gradInput) : backend.allocate(gradInput.shape())) {
            backwardData(dy, dx, accumulate);
            float[] result = backend.download(dx).data();
            System.arraycopy(result, 0, gradInput.data(), 0, result.length);
        }
    }

    /**
     * {@link #backwardFilter(DeviceTensor, DeviceTensor, DeviceTensor, DeviceTensor, boolean)} on host tensors: the
     * weight gradient (OIHW) and, when {@code withBias}, the bias gradient.
     */
    default ConvGradients.Filter backwardFilter(Tensor input, Tensor gradOutput, boolean withBias) {
        float[] dw = new float[spec().weightCount()];
        float[] db = withBias ? new float[spec().outChannels()] : null;
        backwardFilter(input, gradOutput, dw, db, false);
        return new ConvGradients.Filter(dw, db);
    }

    /**
     * {@link #backwardFilter(DeviceTensor, DeviceTensor, DeviceTensor, DeviceTensor, boolean)} into host arrays
     * ({@code gradBias} null: skipped), added to their contents with {@code accumulate}; the arrays are written only
     * once both gradients are computed.
     *
     * @throws IllegalArgumentException also when an array's length is not the weight count or {@code outChannels}
     */
    default void backwardFilter(Tensor input, Tensor gradOutput, float[] gradWeights, float[] gradBias, boolean accumulate) {
        if (input == null) throw new IllegalArgumentException("input tensor must not be null");
        if (gradOutput == null) throw new IllegalArgumentException("gradOutput tensor must not be null");
        if (gradWeights == null) throw new IllegalArgumentException("gradWeights must not be null");
        Shape wShape = ConvGradients.weightShape(spec());
        Shape bShape = ConvGradients.biasShape(spec());
        if (gradWeights.length != wShape.count()) {
            throw new IllegalArgumentException("gradWeights length " + gradWeights.length + " does not match the weight count "
                    + wShape.count() + " of " + spec());
        }
        if (gradBias != null && gradBias.length != bShape.count()) {
            throw new IllegalArgumentException("gradBias length " + gradBias.length + " does not match outChannels="
                    + spec().outChannels());
        }
        Backend backend = backend();
        try (DeviceTensor x = backend.upload(input); DeviceTensor dy = backend.upload(gradOutput);
             DeviceTensor dw = accumulate ? backend.upload(Tensor.of(gradWeights.clone(), wShape)) : backend.allocate(wShape);
             DeviceTensor db = gradBias == null ? null
                     : accumulate ? backend.upload(Tensor.of(gradBias.clone(), bShape)) : backend.allocate(bShape)) {
            backwardFilter(x, dy, dw, db, accumulate);
            float[] w = backend.download(dw).data();
            float[] b = db == null ? null : backend.download(db).data();
            System.arraycopy(w, 0, gradWeights, 0, w.length);
            if (b != null) System.arraycopy(b, 0, gradBias, 0, b.length);
        }
    }

    /** {@link #activationBackward(DeviceTensor, DeviceTensor, DeviceTensor)} on host tensors. */
    default Tensor activationBackward(Tensor output, Tensor gradOutput) {
        if (output == null) throw new IllegalArgumentException("output tensor must not be null");
        if (gradOutput == null) throw new IllegalArgumentException("gradOutput tensor must not be null");
        Backend backend = backend();
        try (DeviceTensor y = backend.upload(output); DeviceTensor dy = backend.upload(gradOutput);
             DeviceTensor dz = backend.allocate(gradOutput.shape())) {
            activationBackward(y, dy, dz);
            return backend.download(dz);
        }
    }

    @Override
    void close();
}
