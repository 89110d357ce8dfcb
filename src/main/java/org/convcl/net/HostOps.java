package org.convcl.net;

import java.util.List;
import java.util.Map;

/**
 * The Java implementation of every operator except convolutions (those run through a backend), on
 * {@link HostTensor}s. Also what constant folding evaluates. Semantics are ONNX's, as PyTorch exports them
 * (pooling's ceil mode and average divisor follow PyTorch).
 */
final class HostOps {
    private HostOps() {}

    /** Runs {@code n} on {@code in} (missing optional inputs are null) into a tensor of dims {@code outDims}. */
    static HostTensor run(Node n, List<HostTensor> in, int[] outDims, Map<String, Const> constants) {
        HostTensor x = in.get(0);
        float[] o = new float[Dims.count(outDims)];
        switch (n.op) {
            case "Relu" -> { for (int i = 0; i < o.length; i++) o[i] = x.data()[i] > 0f ? x.data()[i] : (x.data()[i] < 0f ? 0f : x.data()[i]); }
            case "Clip" -> {
                float lo = bound(n, in, 1, "min", Float.NEGATIVE_INFINITY), hi = bound(n, in, 2, "max", Float.POSITIVE_INFINITY);
                for (int i = 0; i < o.length; i++) { float v = x.data()[i]; o[i] = v < lo ? lo : (v > hi ? hi : v); }
            }
            case "HardSigmoid" -> {
                float alpha = n.floatAttr("alpha", 0.2f), beta = n.floatAttr("beta", 0.5f);
                for (int i = 0; i < o.length; i++) o[i] = hardSigmoid(x.data()[i], alpha, beta);
            }
            case "HardSwish" -> { for (int i = 0; i < o.length; i++) o[i] = x.data()[i] * hardSigmoid(x.data()[i], 1f / 6, 0.5f); }
            case "Sigmoid" -> { for (int i = 0; i < o.length; i++) o[i] = (float) (1.0 / (1.0 + Math.exp(-x.data()[i]))); }
            case "Identity", "Dropout", "Flatten", "Reshape" -> System.arraycopy(x.data(), 0, o, 0, o.length);
            case "Add", "Mul" -> broadcastBinary(n.op.equals("Add"), x, in.get(1), outDims, o);
            case "BatchNormalization" -> batchNorm(n, in, o);
            case "GlobalAveragePool" -> {
                int plane = x.dims()[2] * x.dims()[3];
                for (int c = 0; c < o.length; c++) {
                    double sum = 0;
                    for (int i = 0; i < plane; i++) sum += x.data()[c * plane + i];
                    o[c] = (float) (sum / plane);
                }
            }
            case "AveragePool", "MaxPool" -> pool(n, x, outDims, o);
            case "Concat" -> concat(n, in, outDims, o);
            case "Gemm" -> gemm(n, in, outDims, o);
            case "MatMul" -> matMul(x, in.get(1), outDims, o);
            case "Softmax" -> softmax(n, x, o);
            default -> throw new IllegalStateException(n.describe() + " has no Java implementation");
        }
        return new HostTensor(outDims, o);
    }

    static float hardSigmoid(float v, float alpha, float beta) {
        float y = alpha * v + beta;
        return y < 0f ? 0f : (y > 1f ? 1f : y);
    }

    /** Clip's bound: input {@code index} (opset 11+) when present, else the attribute (older opsets), else none. */
    static float bound(Node n, List<HostTensor> in, int index, String attr, float none) {
        if (index < in.size() && in.get(index) != null) return in.get(index).data()[0];
        return n.floatAttr(attr, none);
    }

    private static void broadcastBinary(boolean add, HostTensor a, HostTensor b, int[] outDims, float[] o) {
        int rank = outDims.length;
        int[] sa = broadcastStrides(a.dims(), rank, outDims), sb = broadcastStrides(b.dims(), rank, outDims);
        int[] idx = new int[rank];
        int ia = 0, ib = 0;
        for (int i = 0; i < o.length; i++) {
            float va = a.data()[ia], vb = b.data()[ib];
            o[i] = add ? va + vb : va * vb;
            for (int d = rank - 1; d >= 0; d--) { // odometer increment
                idx[d]++;
                ia += sa[d];
                ib += sb[d];
                if (idx[d] < outDims[d]) break;
                ia -= sa[d] * outDims[d];
                ib -= sb[d] * outDims[d];
                idx[d] = 0;
            }
        }
    }

    /** Element strides of {@code dims} aligned right to a rank-{@code rank} output; 0 along broadcast axes. */
    private static int[] broadcastStrides(int[] dims, int rank, int[] outDims) {
        int[] s = new int[rank];
        int stride = 1;
        for (int d = rank - 1; d >= 0; d--) {
            int src = d - (rank - dims.length);
            int size = src >= 0 ? dims[src] : 1;
            s[d] = size == 1 && outDims[d] != 1 ? 0 : stride;
            stride *= size;
        }
        return s;
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

    private static void pool(Node n, HostTensor x, int[] outDims, float[] o) {
        boolean max = n.op.equals("MaxPool");
        long[] k = n.intsAttr("kernel_shape");
        long[] s = ShapeInference.orDefault(n.intsAttr("strides"), 1, 1);
        long[] d = ShapeInference.orDefault(n.intsAttr("dilations"), 1, 1);
        long[] p = "VALID".equals(n.stringAttr("auto_pad", "NOTSET")) ? new long[4]
                : ShapeInference.orDefault(n.intsAttr("pads"), 0, 0, 0, 0);
        boolean includePad = n.intAttr("count_include_pad", 0) != 0;
        int h = x.dims()[2], w = x.dims()[3], oh = outDims[2], ow = outDims[3];
        int planes = outDims[0] * outDims[1];
        for (int c = 0; c < planes; c++) {
            int base = c * h * w;
            for (int y = 0; y < oh; y++) {
                for (int xx = 0; xx < ow; xx++) {
                    int y0 = (int) (y * s[0] - p[0]), x0 = (int) (xx * s[1] - p[1]);
                    float acc = max ? Float.NEGATIVE_INFINITY : 0f;
                    boolean nan = false;
                    int taps = 0;
                    for (int ky = 0; ky < k[0]; ky++) {
                        int iy = (int) (y0 + ky * d[0]);
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < k[1]; kx++) {
                            int ix = (int) (x0 + kx * d[1]);
                            if (ix < 0 || ix >= w) continue;
                            float v = x.data()[base + iy * w + ix];
                            if (max) {
                                if (v > acc) acc = v;
                                nan |= Float.isNaN(v);
                            } else {
                                acc += v;
                            }
                            taps++;
                        }
                    }
                    float value;
                    if (max) {
                        value = nan ? Float.NaN : acc;
                    } else {
                        // PyTorch's divisor: the window clipped to the padded input when padding counts, else the taps read
                        int yEnd = (int) Math.min(y0 + k[0], h + p[2]), xEnd = (int) Math.min(x0 + k[1], w + p[3]);
                        int divisor = includePad ? (yEnd - y0) * (xEnd - x0) : taps;
                        value = acc / divisor;
                    }
                    o[(c * oh + y) * ow + xx] = value;
                }
            }
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
        if (c != null) broadcastBinary(true, c, new HostTensor(new int[] {1}, new float[] {0f}), outDims, bias);
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
