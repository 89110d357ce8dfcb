package org.convcl.net;

import java.util.List;
import java.util.Map;
import org.convcl.ArrayOps;
import org.convcl.PoolSpec;
import org.convcl.Pointwise;
import org.convcl.Shape;
import org.convcl.TensorOps;

/**
 * The Java implementation of every operator except convolutions (those run through a backend), on
 * {@link HostTensor}s, and the translation of a node into the {@link org.convcl.TensorOps} operator it computes (the
 * elementwise, broadcasting and pooling math is {@link ArrayOps}', shared with the backends). Also what constant
 * folding evaluates. Semantics are ONNX's, as PyTorch exports them (pooling's ceil mode and average divisor follow
 * PyTorch).
 */
final class HostOps {
    private HostOps() {}

    /** Runs {@code n} on {@code in} (missing optional inputs are null) into a tensor of dims {@code outDims}. */
    static HostTensor run(Node n, List<HostTensor> in, int[] outDims, Map<String, Const> constants) {
        HostTensor x = in.get(0);
        float[] o = new float[Dims.count(outDims)];
        switch (n.op) {
            case "Relu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid" ->
                    ArrayOps.pointwise(pointwise(n, bound(n, in, 1, "min", Float.NEGATIVE_INFINITY),
                            bound(n, in, 2, "max", Float.POSITIVE_INFINITY)), x.data(), o);
            case "Identity", "Dropout", "Flatten", "Reshape" -> System.arraycopy(x.data(), 0, o, 0, o.length);
            case "Add", "Mul" -> ArrayOps.binary(binary(n), x.data(), aligned(x.dims(), outDims.length), in.get(1).data(),
                    aligned(in.get(1).dims(), outDims.length), Pointwise.of(n.activation), o, Dims.shape(outDims));
            case "BatchNormalization" -> batchNorm(n, in, o);
            case "GlobalAveragePool", "AveragePool", "MaxPool" -> ArrayOps.pool(pool(n, x.dims()), x.data(), x.shape(), o, Dims.shape(outDims));
            case "Concat" -> concat(n, in, outDims, o);
            case "Gemm" -> gemm(n, in, outDims, o);
            case "MatMul" -> matMul(x, in.get(1), outDims, o);
            case "Softmax" -> softmax(n, x, o);
            default -> throw new IllegalStateException(n.describe() + " has no Java implementation");
        }
        return new HostTensor(outDims, o);
    }

    /** Whether {@code n} is an elementwise function of one value ({@link #pointwise}). */
    static boolean isPointwise(Node n) {
        return switch (n.op) {
            case "Relu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid" -> true;
            default -> false;
        };
    }

    /** The function an elementwise node computes; {@code lower} and {@code upper} are a Clip's bounds. */
    static Pointwise pointwise(Node n, float lower, float upper) {
        return switch (n.op) {
            case "Relu" -> Pointwise.relu();
            case "Clip" -> Pointwise.clip(lower, upper);
            case "HardSigmoid" -> Pointwise.hardSigmoid(n.floatAttr("alpha", 0.2f), n.floatAttr("beta", 0.5f));
            case "HardSwish" -> Pointwise.hardSwish();
            case "Sigmoid" -> Pointwise.sigmoid();
            default -> throw new IllegalStateException(n.describe() + " is not an elementwise function");
        };
    }

    /** The operator of an Add or Mul node. */
    static TensorOps.Binary binary(Node n) {
        return n.op.equals("Add") ? TensorOps.Binary.ADD : TensorOps.Binary.MUL;
    }

    /**
     * The 4-D shape of an operand of dims {@code dims} broadcast against an output of rank {@code outRank}: NumPy
     * aligns dimensions from the right, so the operand's dims get leading 1s up to {@code outRank}, then the trailing
     * 1s every value of rank below 4 has ({@link Dims#shape}).
     */
    static Shape aligned(int[] dims, int outRank) {
        int[] d = new int[outRank];
        java.util.Arrays.fill(d, 1);
        System.arraycopy(dims, 0, d, outRank - dims.length, dims.length);
        return Dims.shape(d);
    }

    /** The window of a pooling node over an input of dims {@code x} (rank 4; GlobalAveragePool: the whole plane). */
    static PoolSpec pool(Node n, int[] x) {
        if (n.op.equals("GlobalAveragePool")) return PoolSpec.globalAverage(x[2], x[3]);
        long[] k = n.intsAttr("kernel_shape");
        long[] s = ShapeInference.orDefault(n.intsAttr("strides"), 1, 1);
        long[] d = ShapeInference.orDefault(n.intsAttr("dilations"), 1, 1);
        long[] p = "VALID".equals(n.stringAttr("auto_pad", "NOTSET")) ? new long[4]
                : ShapeInference.orDefault(n.intsAttr("pads"), 0, 0, 0, 0);
        return new PoolSpec(n.op.equals("MaxPool") ? PoolSpec.Kind.MAX : PoolSpec.Kind.AVERAGE, (int) k[0], (int) k[1],
                (int) s[0], (int) s[1], (int) p[0], (int) p[1], (int) p[2], (int) p[3], (int) d[0], (int) d[1],
                n.intAttr("ceil_mode", 0) != 0, n.intAttr("count_include_pad", 0) != 0);
    }

    /** Clip's bound: input {@code index} (opset 11+) when present, else the attribute (older opsets), else none. */
    static float bound(Node n, List<HostTensor> in, int index, String attr, float none) {
        if (index < in.size() && in.get(index) != null) return in.get(index).data()[0];
        return n.floatAttr(attr, none);
    }

    private static void batchNorm(Node n, List<HostTensor> in, float[] o) {
        HostTensor x = in.get(0);
        float[] gamma = in.get(1).data(), beta = in.get(2).data(), mean = in.get(3).data(), var = in.get(4).data();
        float eps = n.floatAttr("epsilon", 1e-5f);
        int channels = x.dims()[1];
        int plane = x.data().length / (x.dims()[0] * channels);
        for (int i = 0; i < o.length; i++) {
            int c = (i / plane) % channels;
            float scale = (float) (gamma[c] / Math.sqrt((double) var[c] + eps));
            o[i] = (x.data()[i] - mean[c]) * scale + beta[c];
        }
    }

    private static void concat(Node n, List<HostTensor> in, int[] outDims, float[] o) {
        int axis = Dims.axis(n.intAttr("axis", 1), outDims.length);
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= outDims[i];
        for (int i = axis + 1; i < outDims.length; i++) inner *= outDims[i];
        int outRow = outDims[axis] * inner, offset = 0;
        for (HostTensor t : in) {
            int row = t.dims()[axis] * inner;
            for (int b = 0; b < outer; b++) System.arraycopy(t.data(), b * row, o, b * outRow + offset, row);
            offset += row;
        }
    }

    private static void gemm(Node n, List<HostTensor> in, int[] outDims, float[] o) {
        HostTensor a = in.get(0), b = in.get(1), c = in.size() > 2 ? in.get(2) : null;
        boolean transB = n.intAttr("transB", 0) != 0;
        float alpha = n.floatAttr("alpha", 1f), beta = n.floatAttr("beta", 1f);
        int m = outDims[0], cols = outDims[1], k = a.dims()[1];
        float[] bias = c == null ? null : new float[m * cols];
        if (c != null) ArrayOps.binary(TensorOps.Binary.ADD, c.data(), aligned(c.dims(), 2), new float[] {0f}, aligned(new int[] {1}, 2),
                Pointwise.identity(), bias, Dims.shape(outDims));
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < cols; j++) {
                double acc = 0;
                for (int t = 0; t < k; t++) acc += a.data()[i * k + t] * (transB ? b.data()[j * k + t] : b.data()[t * cols + j]);
                o[i * cols + j] = (float) (alpha * acc) + (bias == null ? 0f : beta * bias[i * cols + j]);
            }
        }
    }

    private static void matMul(HostTensor a, HostTensor b, int[] outDims, float[] o) {
        int k = b.dims()[0], cols = b.dims()[1], rows = a.data().length / k;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double acc = 0;
                for (int t = 0; t < k; t++) acc += a.data()[i * k + t] * b.data()[t * cols + j];
                o[i * cols + j] = (float) acc;
            }
        }
    }

    private static void softmax(Node n, HostTensor x, float[] o) {
        int[] dims = x.dims();
        int axis = Dims.axis(n.intAttr("axis", -1), dims.length);
        int inner = 1;
        for (int i = axis + 1; i < dims.length; i++) inner *= dims[i];
        int len = dims[axis], outer = x.data().length / (len * inner);
        for (int b = 0; b < outer; b++) {
            for (int i = 0; i < inner; i++) {
                int base = b * len * inner + i;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) max = Math.max(max, x.data()[base + j * inner]);
                double sum = 0;
                for (int j = 0; j < len; j++) sum += Math.exp(x.data()[base + j * inner] - max);
                for (int j = 0; j < len; j++) o[base + j * inner] = (float) (Math.exp(x.data()[base + j * inner] - max) / sum);
            }
        }
    }
}
