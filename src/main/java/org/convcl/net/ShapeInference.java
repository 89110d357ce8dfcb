package org.convcl.net;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.convcl.ConvSpec;
import org.convcl.PoolSpec;

/**
 * The output dimensions of each supported operator from its input dimensions (and, for {@code Reshape}, its
 * constant shape). A misfit throws an {@link InvalidModelException} naming the node, its operator and the shapes.
 */
final class ShapeInference {
    private ShapeInference() {}

    static int[] infer(Node n, List<int[]> in, Map<String, Const> constants) {
        int[] x = in.get(0);
        int[] out = switch (n.op) {
            case "Conv" -> conv(n, x, in.get(1));
            case "SeparableBlock" -> { // inputs x, depthwise weight and bias, pointwise weight and bias
                int[] mid = conv(n, x, in.get(1));
                yield new int[] {mid[0], in.get(3)[0], mid[2], mid[3]};
            }
            case "BatchNormalization" -> {
                requireRank(n, x, 2, 4);
                for (int i = 1; i < 5; i++) {
                    if (in.get(i).length != 1 || in.get(i)[0] != x[1]) {
                        throw misfit(n, "parameter " + i + " has dims " + Dims.text(in.get(i)) + ", expected [" + x[1] + "]");
                    }
                }
                yield x.clone();
            }
            case "Relu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid", "Identity", "Dropout", "Softmax" -> {
                if (n.op.equals("Softmax") && Dims.axis(n.intAttr("axis", -1), x.length) < 0) {
                    throw misfit(n, "attribute 'axis' = " + n.intAttr("axis", -1) + " is out of range for dims " + Dims.text(x));
                }
                yield x.clone();
            }
            case "Add", "Mul" -> broadcast(n, x, in.get(1));
            case "GlobalAveragePool" -> {
                requireRank(n, x, 4, 4);
                yield new int[] {x[0], x[1], 1, 1};
            }
            case "AveragePool", "MaxPool" -> pool(n, x);
            case "Flatten" -> {
                int axis = Dims.axis(n.intAttr("axis", 1), x.length + 1);
                if (axis < 0) throw misfit(n, "attribute 'axis' = " + n.intAttr("axis", 1) + " is out of range for " + Dims.text(x));
                long a = 1, b = 1;
                for (int i = 0; i < x.length; i++) { if (i < axis) a *= x[i]; else b *= x[i]; }
                yield new int[] {(int) a, (int) b};
            }
            case "Reshape" -> reshape(n, x, constants.get(n.input(1)));
            case "Concat" -> concat(n, in);
            case "Gemm" -> gemm(n, x, in.get(1), in.size() > 2 ? in.get(2) : null);
            case "MatMul" -> {
                int[] w = in.get(1);
                if (x.length < 2 || w.length != 2 || x[x.length - 1] != w[0]) {
                    throw misfit(n, "cannot multiply " + Dims.text(x) + " by " + Dims.text(w) + " (B must be 2-D [K, N])");
                }
                int[] o = x.clone();
                o[o.length - 1] = w[1];
                yield o;
            }
            default -> throw new InvalidModelException(n.describe() + ": operator is not supported");
        };
        if (Dims.checkedCount(out) < 0) throw misfit(n, "output dims " + Dims.text(out) + " exceed " + OnnxReader.MAX_ELEMENTS + " elements");
        for (int d : out) if (d <= 0) throw misfit(n, "output dims " + Dims.text(out) + " have an empty dimension");
        return out;
    }

    static InvalidModelException misfit(Node n, String what) {
        return new InvalidModelException(n.describe() + ": " + what);
    }

    private static void requireRank(Node n, int[] x, int min, int max) {
        if (x.length < min || x.length > max) {
            throw misfit(n, "input dims " + Dims.text(x) + " have rank " + x.length + ", expected "
                    + (min == max ? String.valueOf(min) : min + " to " + max));
        }
    }

    /** The ConvSpec of a Conv node (or a SeparableBlock's depthwise step) whose weight has dims {@code w}. */
    static ConvSpec convSpec(Node n, int[] x, int[] w) {
        x = asNchw(x);
        requireRank(n, x, 4, 4);
        if (w.length != 4) throw misfit(n, "weight dims " + Dims.text(w) + " are not OIHW (rank 4)");
        long group = n.intAttr("group", 1);
        long[] k = n.intsAttr("kernel_shape");
        if (k != null && (k[0] != w[2] || k[1] != w[3])) {
            throw misfit(n, "attribute 'kernel_shape' " + Arrays.toString(k) + " does not match weight dims " + Dims.text(w));
        }
        if (x[1] != w[1] * group) {
            throw misfit(n, "input dims " + Dims.text(x) + " have " + x[1] + " channels; weight " + Dims.text(w)
                    + " with group " + group + " expects " + (long) w[1] * group);
        }
        long[] s = orDefault(n.intsAttr("strides"), 1, 1);
        long[] d = orDefault(n.intsAttr("dilations"), 1, 1);
        long[] p = "VALID".equals(n.stringAttr("auto_pad", "NOTSET")) ? new long[4] : orDefault(n.intsAttr("pads"), 0, 0, 0, 0);
        try {
            // ONNX pads: [top, left, bottom, right]
            return ConvSpec.builder(x[1], w[0], w[2], w[3]).groups((int) group).stride((int) s[0], (int) s[1])
                    .dilation((int) d[0], (int) d[1]).padding((int) p[0], (int) p[1], (int) p[2], (int) p[3]).build();
        } catch (IllegalArgumentException e) {
            throw misfit(n, e.getMessage());
        }
    }

    /** A rank-2 {@code [N, K]} value (a lowered classifier's input) as {@code [N, K, 1, 1]}; other ranks unchanged. */
    static int[] asNchw(int[] x) {
        return x.length == 2 ? new int[] {x[0], x[1], 1, 1} : x;
    }

    private static int[] conv(Node n, int[] x, int[] w) {
        ConvSpec spec = convSpec(n, x, w);
        if (x.length == 2) {
            if (w[2] != 1 || w[3] != 1) throw misfit(n, "a rank-2 input needs a 1x1 weight, got " + Dims.text(w));
            return new int[] {x[0], w[0]};
        }
        int oh = ConvSpec.outputSize(x[2], spec.padTop(), spec.padBottom(), spec.kernelH(), spec.strideH(), spec.dilationH());
        int ow = ConvSpec.outputSize(x[3], spec.padLeft(), spec.padRight(), spec.kernelW(), spec.strideW(), spec.dilationW());
        if (oh <= 0 || ow <= 0) {
            throw misfit(n, "input dims " + Dims.text(x) + " are smaller than the kernel " + w[2] + "x" + w[3] + " with its padding");
        }
        return new int[] {x[0], w[0], oh, ow};
    }

    static long[] orDefault(long[] v, long... fallback) {
        return v != null ? v : fallback;
    }

    /** Output size of a pooling window along one axis ({@link PoolSpec#outputSize}); −1 when it does not fit or a value exceeds an int. */
    static int poolSize(int in, long padBefore, long padAfter, long kernel, long stride, long dilation, boolean ceil) {
        for (long v : new long[] {padBefore, padAfter}) if (v < 0 || v > Integer.MAX_VALUE) return -1;
        for (long v : new long[] {kernel, stride, dilation}) if (v < 1 || v > Integer.MAX_VALUE) return -1;
        return PoolSpec.outputSize(in, (int) padBefore, (int) padAfter, (int) kernel, (int) stride, (int) dilation, ceil);
    }

    private static int[] pool(Node n, int[] x) {
        requireRank(n, x, 4, 4);
        long[] k = n.intsAttr("kernel_shape");
        if (k == null) throw misfit(n, "attribute 'kernel_shape' is missing");
        long[] s = orDefault(n.intsAttr("strides"), 1, 1);
        long[] d = orDefault(n.intsAttr("dilations"), 1, 1);
        long[] p = "VALID".equals(n.stringAttr("auto_pad", "NOTSET")) ? new long[4] : orDefault(n.intsAttr("pads"), 0, 0, 0, 0);
        if (n.op.equals("AveragePool") && (d[0] != 1 || d[1] != 1)) throw misfit(n, "attribute 'dilations' must be 1 for AveragePool");
        if (p[0] >= k[0] || p[2] >= k[0] || p[1] >= k[1] || p[3] >= k[1]) {
            throw misfit(n, "attribute 'pads' " + Arrays.toString(p) + " must be smaller than the kernel " + Arrays.toString(k));
        }
        boolean ceil = n.intAttr("ceil_mode", 0) != 0;
        int oh = poolSize(x[2], p[0], p[2], k[0], s[0], d[0], ceil);
        int ow = poolSize(x[3], p[1], p[3], k[1], s[1], d[1], ceil);
        if (oh <= 0 || ow <= 0) throw misfit(n, "input dims " + Dims.text(x) + " are smaller than the window " + Arrays.toString(k));
        return new int[] {x[0], x[1], oh, ow};
    }

    static int[] broadcast(Node n, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)] : 1;
            int db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw misfit(n, "dims " + Dims.text(a) + " and " + Dims.text(b) + " do not broadcast");
            }
            out[i] = Math.max(da, db);
        }
        return out;
    }

    private static int[] reshape(Node n, int[] x, Const shape) {
        if (shape == null) throw misfit(n, "the target shape (input 2) must be a constant");
        long[] s = shape.asLongs();
        if (s.length < 1 || s.length > 4) throw misfit(n, "target shape " + Arrays.toString(s) + " must have rank 1 to 4");
        int[] out = new int[s.length];
        long known = 1;
        int infer = -1;
        for (int i = 0; i < s.length; i++) {
            long v = s[i] == 0 ? (i < x.length ? x[i] : -2) : s[i];
            if (v == -1 && infer < 0) { infer = i; continue; }
            if (v <= 0 || v > OnnxReader.MAX_ELEMENTS) throw misfit(n, "target shape " + Arrays.toString(s) + " has an invalid entry " + s[i]);
            out[i] = (int) v;
            known *= v;
            if (known > OnnxReader.MAX_ELEMENTS) throw misfit(n, "target shape " + Arrays.toString(s) + " overflows");
        }
        long count = Dims.count(x);
        if (infer >= 0) {
            if (count % known != 0) throw misfit(n, "cannot reshape " + Dims.text(x) + " to " + Arrays.toString(s));
            out[infer] = (int) (count / known);
        } else if (known != count) {
            throw misfit(n, "cannot reshape " + Dims.text(x) + " (" + count + " elements) to " + Arrays.toString(s));
        }
        return out;
    }

    private static int[] concat(Node n, List<int[]> in) {
        int[] first = in.get(0);
        int axis = Dims.axis(n.intAttr("axis", 1), first.length);
        if (axis < 0) throw misfit(n, "attribute 'axis' = " + n.intAttr("axis", 1) + " is out of range for " + Dims.text(first));
        int[] out = first.clone();
        long sum = first[axis];
        for (int i = 1; i < in.size(); i++) {
            int[] d = in.get(i);
            for (int j = 0; j < first.length; j++) {
                if (d.length != first.length || (j != axis && d[j] != first[j])) {
                    throw misfit(n, "input " + i + " dims " + Dims.text(d) + " do not fit " + Dims.text(first) + " along axis " + axis);
                }
            }
            sum += d[axis];
        }
        if (sum > OnnxReader.MAX_ELEMENTS) throw misfit(n, "the concatenated axis overflows");
        out[axis] = (int) sum;
        return out;
    }

    private static int[] gemm(Node n, int[] a, int[] b, int[] c) {
        boolean transB = n.intAttr("transB", 0) != 0;
        if (a.length != 2 || b.length != 2) throw misfit(n, "inputs " + Dims.text(a) + " and " + Dims.text(b) + " must be 2-D");
        int k = transB ? b[1] : b[0];
        int cols = transB ? b[0] : b[1];
        if (a[1] != k) throw misfit(n, "cannot multiply " + Dims.text(a) + " by " + Dims.text(b) + (transB ? " transposed" : ""));
        int[] out = {a[0], cols};
        if (c != null && !Arrays.equals(broadcast(n, out, c), out)) {
            throw misfit(n, "C dims " + Dims.text(c) + " do not broadcast to " + Dims.text(out));
        }
        return out;
    }
}
