package org.convcl;

import java.util.List;

/**
 * The operators of a CNN besides convolutions, on one backend's tensors: elementwise functions, Add and Mul with
 * broadcasting, pooling, and concatenation along channels. Obtain it from {@link Backend#tensorOps()}. Each method
 * checks its tensors (this backend's, open, shapes that fit; the output distinct from every input) and throws
 * {@link IllegalArgumentException} naming the tensor and both shapes before anything runs. On OpenCL the work is
 * enqueued (not waited for); every backend computes what {@link ArrayOps} defines.
 */
public interface TensorOps {

    /** The binary operators of {@link #binary}. */
    enum Binary {
        /** {@code a + b}. */
        ADD(0),
        /** {@code a · b}. */
        MUL(1);

        private final int code;

        Binary(int code) {
            this.code = code;
        }

        /** The value the kernels' {@code op} argument takes. */
        public int code() { return code; }

        /** Applies the operator to two values. */
        public float apply(float a, float b) {
            return this == ADD ? a + b : a * b;
        }
    }

    /** {@code out = f(x)}, elementwise; {@code out} has {@code x}'s shape. */
    void pointwise(Pointwise f, DeviceTensor x, DeviceTensor out);

    /**
     * {@code out = then(a op b)} with broadcasting: each dimension of {@code a} and {@code b} is {@code out}'s or 1
     * ({@link ArrayOps#broadcastShape}); {@code a} and {@code b} may be the same tensor.
     */
    void binary(Binary op, DeviceTensor a, DeviceTensor b, Pointwise then, DeviceTensor out);

    /** Pools each channel of {@code x} into {@code out}, of shape {@link PoolSpec#outputShape}. */
    void pool(PoolSpec spec, DeviceTensor x, DeviceTensor out);

    /** Concatenates {@code inputs} along channels: they share N, H and W with {@code out}, whose C is their sum. */
    void concatChannels(List<DeviceTensor> inputs, DeviceTensor out);

    /** Copies the elements of {@code src} into {@code dst} in order (a reshape): both hold the same number of elements. */
    void copy(DeviceTensor src, DeviceTensor dst);

    /**
     * A fully connected layer: {@code out[n][o] = then(Σ_k x[n][k] · weights[k][o] + bias[o])}, for {@code x} of shape
     * {@code [N, C, H, W]} read as N rows of K = C·H·W values, {@code weights} {@code [K, O, 1, 1]} (input-major: row k
     * holds input k's weight for each output), {@code bias} {@code [1, O, 1, 1]} or null for none, and {@code out}
     * {@code [N, O, 1, 1]}. The sum runs over k in order with fused multiply-adds ({@link ArrayOps#dense}). A 1×1
     * convolution over a 1×1 image (a lowered Gemm, a squeeze-excitation layer) is this with the weights transposed.
     */
    void dense(DeviceTensor x, DeviceTensor weights, DeviceTensor bias, Pointwise then, DeviceTensor out);
}
