package org.convcl;

import java.util.Objects;

/**
 * Two prepared convolutions run back to back on one backend, the intermediate tensor kept in device memory.
 * It is allocated at prepare time for an expected input shape, else at the first forward, and reused while the
 * shape stays the same (reallocated when it changes), so forwards are serialised on this object (work still queues asynchronously on the device).
 * {@link #spec()} is the single convolution the pair stands for (same input and output shapes).
 */
final class ChainedConv implements PreparedConv {
    private final Backend backend;
    private final PreparedConv first;
    private final PreparedConv second;
    private final ConvSpec equivalent;
    private final String plan;
    private DeviceTensor intermediate;
    private boolean closed;

    /** Takes ownership of {@code first} and {@code second}: closing the chain closes them. */
    ChainedConv(Backend backend, PreparedConv first, PreparedConv second, ConvSpec equivalent, String plan) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.first = Objects.requireNonNull(first, "first");
        this.second = Objects.requireNonNull(second, "second");
        this.equivalent = Objects.requireNonNull(equivalent, "equivalent");
        this.plan = plan;
    }

    /**
     * Prepares both steps on {@code backend} and chains them; {@code expectedInput} (null: unknown) is passed to
     * the first step, its output shape to the second, and the intermediate tensor is allocated for it now.
     * {@link #plan()} is {@code why} followed by both steps' plans. Nothing stays allocated when this throws.
     */
    static ChainedConv prepare(Backend backend, ConvSpec firstSpec, float[] firstWeights, Epilogue firstEpilogue,
                               ConvSpec secondSpec, float[] secondWeights, Epilogue secondEpilogue,
                               ConvSpec equivalent, String why, Shape expectedInput) {
        PreparedConv first = backend.prepare(firstSpec, firstWeights, firstEpilogue, expectedInput);
        PreparedConv second = null;
        try {
            Shape mid = firstSpec.expectedOutputShape(expectedInput);
            second = backend.prepare(secondSpec, secondWeights, secondEpilogue, mid);
            ChainedConv chain = new ChainedConv(backend, first, second, equivalent,
                    why + ": [" + first.plan() + "] then [" + second.plan() + "]");
            if (mid != null) chain.intermediate = backend.allocate(mid);
            return chain;
        } catch (RuntimeException | Error e) {
            new Closer().keep(e).close(first).close(second).finish(); // throws e, release failures suppressed in it
            throw e;
        }
    }

    @Override
    public ConvSpec spec() { return equivalent; }

    @Override
    public String plan() { return plan; }

    /** The output of the pair: the second step applied to the first step's output shape. */
    @Override
    public Shape outputShape(Shape input) {
        return second.outputShape(first.outputShape(input));
    }

    @Override
    public synchronized void forward(DeviceTensor input, DeviceTensor output) {
        DeviceTensor mid = intermediateFor(input);
        first.forward(input, mid);
        second.forward(mid, output);
    }

    /** Both steps' device time, summed. */
    @Override
    public synchronized long forwardTimed(DeviceTensor input, DeviceTensor output) {
        DeviceTensor mid = intermediateFor(input);
        return first.forwardTimed(input, mid) + second.forwardTimed(mid, output);
    }

    @Override
    public Backend backend() { return backend; }

    private DeviceTensor intermediateFor(DeviceTensor input) {
        if (closed) throw new IllegalStateException("prepared " + plan + " is closed");
        if (input == null) throw new IllegalArgumentException("input tensor must not be null");
        Shape midShape = first.outputShape(input.shape());
        if (intermediate == null || !intermediate.shape().equals(midShape)) {
            if (intermediate != null) intermediate.close(); // in-order queue: queued work that reads it runs first
            intermediate = backend.allocate(midShape);
        }
        return intermediate;
    }

    /** Closes both steps and the intermediate tensor (idempotent), all three even when one fails (the first thrown). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        new Closer().close(first).close(second).close(intermediate).finish();
    }

    @Override
    public String toString() {
        return "ChainedConv[" + plan + "]";
    }
}
