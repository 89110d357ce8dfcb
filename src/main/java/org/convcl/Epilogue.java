package org.convcl;

import java.util.Objects;

/**
 * What happens to each accumulated output, fused into the convolution: per-channel bias, then an
 * optional inference-mode batch-norm, then an optional residual {@code r} (a tensor of the output's shape, given
 * to each forward: {@link PreparedConv#forward(DeviceTensor, DeviceTensor, DeviceTensor)}), then an activation:
 * {@code y = act(((acc + bias) − mean) · gamma / sqrt(var + eps) + beta + r)}.
 *
 * <p>Backends never apply batch-norm as a separate step: {@link #fold} folds it into the weights and
 * bias once, at prepare time, so every kernel only adds a bias and applies the activation.
 * Immutable; arrays are copied in.
 */
public final class Epilogue {
    private static final Epilogue NONE = new Epilogue(null, null, Activation.NONE, false);

    private final float[] bias;
    private final BatchNorm batchNorm;
    private final Activation activation;
    private final boolean residual;

    private Epilogue(float[] bias, BatchNorm batchNorm, Activation activation, boolean residual) {
        this.bias = bias;
        this.batchNorm = batchNorm;
        this.activation = Objects.requireNonNull(activation, "activation");
        this.residual = residual;
    }

    /** No bias, no batch-norm, no activation. */
    public static Epilogue none() { return NONE; }

    /** Only a per-channel bias. */
    public static Epilogue bias(float[] bias) { return builder().bias(bias).build(); }

    /** Only an activation. */
    public static Epilogue activation(Activation activation) { return builder().activation(activation).build(); }

    public static Builder builder() { return new Builder(); }

    /** The bias (a copy), or null when there is none. */
    public float[] biasValues() { return bias == null ? null : bias.clone(); }

    public boolean hasBias() { return bias != null; }

    /** The batch-norm, or null when there is none. */
    public BatchNorm batchNorm() { return batchNorm; }

    public Activation activationKind() { return activation; }

    /**
     * Whether a residual tensor is added before the activation: the prepared convolution then runs only through the
     * forward that takes it ({@link PreparedConv#forward(DeviceTensor, DeviceTensor, DeviceTensor)}).
     */
    public boolean hasResidual() { return residual; }

    /**
     * Folds this epilogue into a layer's weights: batch-norm scale {@code s = gamma / sqrt(var + eps)} multiplies
     * each output channel's weights, and the bias becomes {@code (bias − mean)·s + beta}. Validates every
     * length against {@code spec}; the arguments are not modified.
     */
    public Folded fold(ConvSpec spec, float[] weights) {
        Objects.requireNonNull(spec, "spec");
        if (weights == null) throw new IllegalArgumentException("weights must not be null");
        if (weights.length != spec.weightCount()) {
            throw new IllegalArgumentException("weights length " + weights.length + " does not match spec "
                    + spec.outChannels() + "x" + spec.inChannelsPerGroup() + "x" + spec.kernelH() + "x"
                    + spec.kernelW() + " = " + spec.weightCount());
        }
        int cout = spec.outChannels();
        if (bias != null && bias.length != cout) {
            throw new IllegalArgumentException("bias length " + bias.length + " does not match outChannels=" + cout);
        }
        if (batchNorm == null) {
            return new Folded(weights.clone(), bias == null ? null : bias.clone(), activation);
        }
        batchNorm.checkChannels(cout);
        float[] w = weights.clone();
        float[] b = new float[cout];
        int perChannel = spec.weightCount() / cout;
        for (int o = 0; o < cout; o++) {
            float scale = batchNorm.scale(o);
            for (int i = o * perChannel; i < (o + 1) * perChannel; i++) w[i] *= scale;
            float acc = bias == null ? 0f : bias[o];
            b[o] = (acc - batchNorm.mean[o]) * scale + batchNorm.beta[o];
        }
        return new Folded(w, b, activation);
    }

    /** Weights and bias with batch-norm folded in; {@code bias} is null when there is none. Arrays are owned. */
    public record Folded(float[] weights, float[] bias, Activation activation) {}

    /**
     * Inference-mode batch-norm parameters, one value per output channel. Arrays are copied in.
     * {@code variance + eps} must be positive for every channel.
     */
    public static final class BatchNorm {
        private final float[] mean, variance, gamma, beta;
        private final float eps;

        public BatchNorm(float[] mean, float[] variance, float[] gamma, float[] beta, float eps) {
            this.mean = copyOf("batchNorm.mean", mean);
            this.variance = copyOf("batchNorm.variance", variance);
            this.gamma = copyOf("batchNorm.gamma", gamma);
            this.beta = copyOf("batchNorm.beta", beta);
            if (!(eps >= 0f) || Float.isInfinite(eps)) {
                throw new IllegalArgumentException("batchNorm.eps must be finite and non-negative, got " + eps);
            }
            this.eps = eps;
            int n = mean.length;
            if (variance.length != n || gamma.length != n || beta.length != n) {
                throw new IllegalArgumentException("batchNorm arrays differ in length: mean " + n + ", variance "
                        + variance.length + ", gamma " + gamma.length + ", beta " + beta.length);
            }
            for (int i = 0; i < n; i++) {
                if (!(variance[i] + eps > 0f)) {
                    throw new IllegalArgumentException("batchNorm.variance[" + i + "] + eps must be positive, got "
                            + variance[i] + " + " + eps);
                }
            }
        }

        private static float[] copyOf(String field, float[] a) {
            if (a == null) throw new IllegalArgumentException(field + " must not be null");
            return a.clone();
        }

        void checkChannels(int cout) {
            if (mean.length != cout) {
                throw new IllegalArgumentException("batchNorm length " + mean.length + " does not match outChannels=" + cout);
            }
        }

        /** The folded multiplier {@code gamma / sqrt(variance + eps)} of channel {@code c}. */
        public float scale(int c) {
            return (float) (gamma[c] / Math.sqrt((double) variance[c] + eps));
        }

        public int channels() { return mean.length; }
        public float[] mean() { return mean.clone(); }
        public float[] variance() { return variance.clone(); }
        public float[] gamma() { return gamma.clone(); }
        public float[] beta() { return beta.clone(); }
        public float eps() { return eps; }
    }

    /** Builds an {@link Epilogue}. */
    public static final class Builder {
        private float[] bias;
        private BatchNorm batchNorm;
        private Activation activation = Activation.NONE;
        private boolean residual;

        public Builder bias(float[] bias) {
            this.bias = bias == null ? null : bias.clone();
            return this;
        }

        public Builder batchNorm(BatchNorm batchNorm) {
            this.batchNorm = batchNorm;
            return this;
        }

        public Builder batchNorm(float[] mean, float[] variance, float[] gamma, float[] beta, float eps) {
            return batchNorm(new BatchNorm(mean, variance, gamma, beta, eps));
        }

        public Builder activation(Activation activation) {
            if (activation == null) throw new IllegalArgumentException("activation must not be null");
            this.activation = activation;
            return this;
        }

        /** Adds a residual tensor, given to each forward, after the bias and before the activation ({@link Epilogue#hasResidual}). */
        public Builder residual(boolean residual) {
            this.residual = residual;
            return this;
        }

        public Epilogue build() {
            return new Epilogue(bias, batchNorm, activation, residual);
        }
    }
}
