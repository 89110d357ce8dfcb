package org.convcl.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.convcl.Activation;

/**
 * The graph passes, each a function of the graph alone (tested one by one): constant folding, removal of
 * inference no-ops, batch-norm folded into the preceding convolution, {@code x · HardSigmoid(x)} recognised as
 * HardSwish, activations fused into convolutions as epilogues, classifier and standalone batch-norm lowered to convolutions,
 * {@code Conv + Add (+ Relu)} fused as a residual epilogue, depthwise → pointwise pairs handed to the block planner.
 * Each returns how many nodes it rewrote.
 */
final class Passes {
    private Passes() {}

    /** Every pass, in the order {@link Network} applies them; {@code blocks} and {@code residual} switch passes 7 and 6 ({@link Network.Options}). */
    static void all(Graph g, boolean blocks, boolean residual) {
        foldConstants(g);
        removeNoOps(g);
        foldBatchNorm(g);
        fuseHardSwish(g);
        fuseActivations(g);
        lowerToConvolutions(g);
        if (residual) fuseResidual(g);
        if (blocks) pairSeparableBlocks(g);
        g.dropUnusedConstants();
    }

    /**
     * Every node whose inputs are all constants (shape arithmetic, transposed weights) is evaluated once by
     * {@link HostOps} and replaced by its result ({@code Constant} nodes became constants when the model was read).
     */
    static int foldConstants(Graph g) {
        int folded = 0;
        for (Node n : List.copyOf(g.nodes)) {
            if (!n.op.equals("Conv") && n.outputs.size() == 1 && !n.inputs.isEmpty()
                    && n.inputs.stream().allMatch(in -> in.isEmpty() || g.constants.containsKey(in))) {
                List<int[]> dims = new ArrayList<>();
                List<HostTensor> values = new ArrayList<>();
                for (String in : n.inputs) {
                    Const c = in.isEmpty() ? null : g.constants.get(in);
                    dims.add(c == null ? null : c.dims());
                    values.add(c == null ? null : new HostTensor(c.dims().length == 0 ? new int[] {1} : c.dims(), c.floats()));
                }
                int[] outDims = ShapeInference.infer(n, dims, g.constants);
                HostTensor out = n.op.equals("Reshape") || n.op.equals("Flatten") || n.op.equals("Identity")
                        ? new HostTensor(outDims, values.get(0).data().clone()) : HostOps.run(n, values, outDims, g.constants);
                g.constants.put(n.outputs.get(0), Const.ofFloats(outDims, out.data()));
            } else {
                continue;
            }
            g.nodes.remove(n);
            folded++;
        }
        g.dropUnusedConstants();
        return folded;
    }

    /** {@code Identity} and inference {@code Dropout}: their readers read the input instead. */
    static int removeNoOps(Graph g) {
        int removed = 0;
        for (Node n : List.copyOf(g.nodes)) {
            if (!n.op.equals("Identity") && !n.op.equals("Dropout")) continue;
            if (n.outputs.size() > 1 && !n.outputs.get(1).isEmpty() && !g.consumers(n.outputs.get(1)).isEmpty()) {
                throw new InvalidModelException(n.describe() + ": its mask output '" + n.outputs.get(1) + "' is read (training only)");
            }
            String out = n.outputs.get(0);
            if (g.outputs.contains(out)) continue; // a graph output keeps its name: the node stays, as a copy
            g.rename(out, n.input(0));
            g.nodes.remove(n);
            removed++;
        }
        return removed;
    }

    /**
     * {@code Conv → BatchNormalization} with constant parameters, where the convolution's output is read by the
     * batch-norm only: the scale {@code γ/√(var+ε)} multiplies each output channel's weights and the bias becomes
     * {@code (b − mean)·scale + β} (new constants; the originals may be shared).
     */
    static int foldBatchNorm(Graph g) {
        int folded = 0;
        for (Node bn : List.copyOf(g.nodes)) {
            if (!bn.op.equals("BatchNormalization")) continue;
            Node conv = g.producer(bn.input(0));
            if (conv == null || !conv.op.equals("Conv") || conv.activation != Activation.NONE || !g.singleUse(bn.input(0))) continue;
            if (!constant(g, conv.input(1)) || !(conv.input(2).isEmpty() || constant(g, conv.input(2)))) continue;
            if (!constant(g, bn.input(1)) || !constant(g, bn.input(2)) || !constant(g, bn.input(3)) || !constant(g, bn.input(4))) continue;
            Const w = g.constants.get(conv.input(1));
            int cout = w.dims()[0];
            float[] gamma = g.constants.get(bn.input(1)).floats(), beta = g.constants.get(bn.input(2)).floats();
            float[] mean = g.constants.get(bn.input(3)).floats(), var = g.constants.get(bn.input(4)).floats();
            if (gamma.length != cout || beta.length != cout || mean.length != cout || var.length != cout) continue;
            float[] bias = conv.input(2).isEmpty() ? new float[cout] : g.constants.get(conv.input(2)).floats();
            float eps = bn.floatAttr("epsilon", 1e-5f);
            float[] fw = w.floats().clone();
            float[] fb = new float[cout];
            int per = fw.length / cout;
            for (int o = 0; o < cout; o++) {
                float scale = (float) (gamma[o] / Math.sqrt((double) var[o] + eps));
                for (int i = o * per; i < (o + 1) * per; i++) fw[i] *= scale;
                fb[o] = (bias[o] - mean[o]) * scale + beta[o];
            }
            String wName = g.freshName(conv.name + ".bn_weight"), bName = g.freshName(conv.name + ".bn_bias");
            g.constants.put(wName, Const.ofFloats(w.dims(), fw));
            g.constants.put(bName, Const.ofFloats(new int[] {cout}, fb));
            conv.inputs.set(1, wName);
            while (conv.inputs.size() < 3) conv.inputs.add("");
            conv.inputs.set(2, bName);
            conv.outputs.set(0, bn.outputs.get(0));
            g.nodes.remove(bn);
            folded++;
        }
        g.dropUnusedConstants();
        return folded;
    }

    private static boolean constant(Graph g, String name) {
        return !name.isEmpty() && g.constants.containsKey(name);
    }

    /**
     * {@code Mul(x, HardSigmoid(x))} with HardSigmoid's alpha 1/6 and beta 1/2 (how opset 13 writes PyTorch's
     * hardswish) becomes one {@code HardSwish(x)} node, where the HardSigmoid is read by the Mul only: one kernel
     * instead of two, and the same value ({@link org.convcl.Pointwise#hardSwish} is {@code v · hardSigmoid(v; 1/6, 1/2)}).
     */
    static int fuseHardSwish(Graph g) {
        int fused = 0;
        for (Node mul : List.copyOf(g.nodes)) {
            if (!mul.op.equals("Mul") || mul.inputs.size() != 2) continue;
            for (int side = 0; side < 2; side++) {
                Node hs = g.producer(mul.input(side));
                String x = mul.input(1 - side);
                if (hs == null || !hs.op.equals("HardSigmoid") || !hs.input(0).equals(x) || !g.singleUse(mul.input(side))
                        || hs.floatAttr("alpha", 0.2f) != 1f / 6 || hs.floatAttr("beta", 0.5f) != 0.5f) continue;
                g.nodes.set(g.nodes.indexOf(mul), new Node(mul.name, "HardSwish", List.of(x), mul.outputs, Map.of()));
                g.nodes.remove(hs);
                fused++;
                break;
            }
        }
        return fused;
    }

    /**
     * {@code Conv → Relu}, {@code Conv → HardSwish} and {@code Conv → Clip(0, 6)} (constant bounds), where the convolution's output is read by
     * the activation only: the activation becomes the convolution's epilogue. The same for {@code Add → Relu} (a
     * residual): the Add applies it to each sum, in the same kernel on the device. Other clips stay separate nodes.
     */
    static int fuseActivations(Graph g) {
        int fused = 0;
        for (Node act : List.copyOf(g.nodes)) {
            Activation a = activationOf(g, act);
            if (a == null) continue;
            Node conv = g.producer(act.input(0));
            if (conv == null || !(conv.op.equals("Conv") || conv.op.equals("Add")) || conv.activation != Activation.NONE
                    || !g.singleUse(act.input(0))) continue;
            conv.activation = a;
            conv.outputs.set(0, act.outputs.get(0));
            g.nodes.remove(act);
            fused++;
        }
        return fused;
    }

    /**
     * The library activation a node computes, or null when it is not one (Relu, HardSwish, or Clip to [0, 6] or
     * [0, +Inf)).
     */
    static Activation activationOf(Graph g, Node n) {
        if (n.op.equals("Relu")) return Activation.RELU;
        if (n.op.equals("HardSwish")) return Activation.HARDSWISH;
        if (!n.op.equals("Clip")) return null;
        Float lo = clipBound(g, n, 1, "min"), hi = clipBound(g, n, 2, "max");
        if (lo == null || hi == null || lo != 0f) return null;
        if (hi == 6f) return Activation.RELU6;
        return hi == Float.POSITIVE_INFINITY ? Activation.RELU : null;
    }

    /** A Clip bound when it is known now (constant input, attribute or absent), else null. */
    static Float clipBound(Graph g, Node n, int index, String attr) {
        String in = n.input(index);
        if (!in.isEmpty()) {
            Const c = g.constants.get(in);
            return c == null || c.count() != 1 ? null : c.floats()[0];
        }
        return n.floatAttr(attr, index == 1 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY);
    }

    /**
     * Operators that are convolutions in disguise become {@code Conv} nodes, so they run on the backend and keep a
     * network on the device: {@code Gemm} / {@code MatMul} with a constant 2-D weight (a pointwise convolution of
     * {@code [N, K, 1, 1]}, alpha and beta folded into its weights and bias) and a standalone
     * {@code BatchNormalization} with constant parameters (a depthwise 1×1 convolution).
     */
    static int lowerToConvolutions(Graph g) {
        int lowered = 0;
        for (Node n : g.nodes) {
            if ((n.op.equals("Gemm") || n.op.equals("MatMul")) && constant(g, n.input(1))
                    && (n.input(2).isEmpty() || constant(g, n.input(2)))) {
                Const b = g.constants.get(n.input(1));
                if (b.rank() != 2) continue;
                boolean transB = n.op.equals("Gemm") && n.intAttr("transB", 0) != 0;
                float alpha = n.op.equals("Gemm") ? n.floatAttr("alpha", 1f) : 1f, beta = n.floatAttr("beta", 1f);
                int k = transB ? b.dims()[1] : b.dims()[0], cols = transB ? b.dims()[0] : b.dims()[1];
                float[] w = new float[cols * k];
                for (int o = 0; o < cols; o++) {
                    for (int i = 0; i < k; i++) w[o * k + i] = alpha * (transB ? b.floats()[o * k + i] : b.floats()[i * cols + o]);
                }
                float[] bias = null;
                if (!n.input(2).isEmpty()) {
                    Const c = g.constants.get(n.input(2));
                    if (c.count() != cols && c.count() != 1) continue; // a per-row C: stays a Java Gemm
                    bias = new float[cols];
                    for (int o = 0; o < cols; o++) bias[o] = beta * c.floats()[c.count() == 1 ? 0 : o];
                }
                String wName = g.freshName(n.name + ".weight");
                g.constants.put(wName, Const.ofFloats(new int[] {cols, k, 1, 1}, w));
                List<String> inputs = new ArrayList<>(List.of(n.input(0), wName));
                if (bias != null) {
                    String bName = g.freshName(n.name + ".bias");
                    g.constants.put(bName, Const.ofFloats(new int[] {cols}, bias));
                    inputs.add(bName);
                }
                toConv(n, inputs, 1);
                lowered++;
            } else if (n.op.equals("BatchNormalization") && constant(g, n.input(1)) && constant(g, n.input(2))
                    && constant(g, n.input(3)) && constant(g, n.input(4))) {
                float[] gamma = g.constants.get(n.input(1)).floats(), beta = g.constants.get(n.input(2)).floats();
                float[] mean = g.constants.get(n.input(3)).floats(), var = g.constants.get(n.input(4)).floats();
                int c = gamma.length;
                float eps = n.floatAttr("epsilon", 1e-5f);
                float[] w = new float[c], bias = new float[c];
                for (int i = 0; i < c; i++) {
                    w[i] = (float) (gamma[i] / Math.sqrt((double) var[i] + eps));
                    bias[i] = beta[i] - mean[i] * w[i];
                }
                String wName = g.freshName(n.name + ".weight"), bName = g.freshName(n.name + ".bias");
                g.constants.put(wName, Const.ofFloats(new int[] {c, 1, 1, 1}, w));
                g.constants.put(bName, Const.ofFloats(new int[] {c}, bias));
                toConv(n, List.of(n.input(0), wName, bName), c);
                lowered++;
            }
        }
        g.dropUnusedConstants();
        return lowered;
    }

    private static void toConv(Node n, List<String> inputs, int group) {
        n.op = "Conv";
        n.inputs.clear();
        n.inputs.addAll(inputs);
        n.attrs.clear();
        n.attrs.put("group", Node.Attr.ofInt(group));
    }

    /**
     * {@code Add(Conv(x), r)} (either side), with its fused activation if any, becomes the convolution with {@code r} as
     * its residual (a fourth input: {@code act(conv(x) + bias + r)} in the convolution's epilogue), where the
     * convolution has no activation of its own, the Add alone reads its output, {@code r} is computed before the
     * convolution runs (a graph input or an earlier node's output, so liveness keeps it until the convolution) and is
     * not a constant, and the Add does not broadcast (both operands have its output's dimensions, whatever the
     * batch). {@link #hasResidual} tells such a node.
     */
    static int fuseResidual(Graph g) {
        List<Map<String, int[]>> dims = List.of(Network.inferDims(g, Network.declaredDims(g, 1)),
                Network.inferDims(g, Network.declaredDims(g, 2)));
        int fused = 0;
        for (Node add : List.copyOf(g.nodes)) {
            if (!add.op.equals("Add") || add.inputs.size() != 2) continue;
            for (int side = 0; side < 2; side++) {
                String sum = add.input(side), r = add.input(1 - side);
                Node conv = g.producer(sum);
                if (conv == null || !conv.op.equals("Conv") || hasResidual(conv) || conv.activation != Activation.NONE
                        || !g.singleUse(sum) || g.constants.containsKey(r) || r.equals(sum)) continue;
                Node source = g.producer(r);
                if (source != null && g.nodes.indexOf(source) > g.nodes.indexOf(conv)) continue;
                String out = add.outputs.get(0);
                if (!dims.stream().allMatch(d -> java.util.Arrays.equals(d.get(sum), d.get(out))
                        && java.util.Arrays.equals(d.get(r), d.get(out)))) continue;
                while (conv.inputs.size() < 3) conv.inputs.add("");
                conv.inputs.add(r);
                conv.activation = add.activation;
                conv.outputs.set(0, out);
                g.nodes.remove(add);
                fused++;
                break;
            }
        }
        return fused;
    }

    /** Whether a {@code Conv} node has a residual ({@link #fuseResidual}): its fourth input. */
    static boolean hasResidual(Node conv) {
        return conv.op.equals("Conv") && !conv.input(3).isEmpty();
    }

    /**
     * A depthwise convolution whose output only a pointwise convolution (1×1, stride 1, no padding, group 1) reads
     * becomes one {@code SeparableBlock} node (inputs: x, depthwise weight and bias, pointwise weight and bias; the
     * depthwise attributes kept), which the backend's block planner runs fused or as two kernels, whichever it picks.
     */
    static int pairSeparableBlocks(Graph g) {
        int paired = 0;
        for (Node pw : List.copyOf(g.nodes)) {
            if (!pw.op.equals("Conv") || !isPointwise(g, pw) || hasResidual(pw)) continue;
            Node dw = g.producer(pw.input(0));
            if (dw == null || !dw.op.equals("Conv") || !isDepthwise(g, dw) || hasResidual(dw) || !g.singleUse(pw.input(0))) continue;
            List<String> inputs = List.of(dw.input(0), dw.input(1), dw.input(2), pw.input(1), pw.input(2));
            dw.op = "SeparableBlock";
            dw.inputs.clear();
            dw.inputs.addAll(inputs);
            dw.pointwiseActivation = pw.activation;
            dw.outputs.set(0, pw.outputs.get(0));
            g.nodes.remove(pw);
            paired++;
        }
        return paired;
    }

    static boolean isPointwise(Graph g, Node conv) {
        Const w = g.constants.get(conv.input(1));
        if (w == null || w.rank() != 4 || w.dims()[2] != 1 || w.dims()[3] != 1 || conv.intAttr("group", 1) != 1) return false;
        return allEqual(conv.intsAttr("strides"), 1) && allEqual(conv.intsAttr("pads"), 0) && allEqual(conv.intsAttr("dilations"), 1);
    }

    static boolean isDepthwise(Graph g, Node conv) {
        Const w = g.constants.get(conv.input(1));
        long group = conv.intAttr("group", 1);
        return w != null && w.rank() == 4 && w.dims()[1] == 1 && group > 1 && w.dims()[0] % group == 0;
    }

    private static boolean allEqual(long[] values, long v) {
        if (values == null) return true;
        for (long x : values) if (x != v) return false;
        return true;
    }
}
