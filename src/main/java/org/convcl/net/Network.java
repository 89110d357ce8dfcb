package org.convcl.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.convcl.Activation;
import org.convcl.Backend;
import org.convcl.BlockMode;
import org.convcl.Closer;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.Pointwise;
import org.convcl.PreparedConv;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorOps;

/**
 * A CNN loaded from an ONNX model and prepared on one {@link Backend}: load (file or bytes) → validate → prepare
 * once → {@link #run} many times, with any batch size → {@link #close()}.
 *
 * <p>Loading decodes the model, refuses what convcl cannot run (an {@link InvalidModelException} naming the node,
 * operator, attribute or shape, before anything is allocated), applies the graph passes (constant folding,
 * batch-norm folded into convolutions, ReLU / ReLU6 fused as epilogues, the classifier lowered to a pointwise
 * convolution, depthwise → pointwise pairs handed to the block planner) and prepares every convolution on the
 * backend. Convolutions run on the backend, and so do the other operators the backend's {@link TensorOps} has
 * (elementwise functions, Add / Mul with broadcasting, pooling, channel concat, reshapes); the rest (Softmax, a few
 * uncommon operand forms) run in Java on the host, and values move between host and device only where the operator's
 * side changes. Device buffers are reused by liveness: a buffer returns to the network's pool after its last reader
 * and is reused by a later value of the same shape.
 *
 * <p>Values of rank below 4 are 4-D tensors with trailing 1s ({@code [N, 1000]} logits are {@code [N, 1000, 1, 1]}).
 * Decoding needs {@code com.google.protobuf:protobuf-java} on the class path (an optional dependency of convcl).
 *
 * <p>Thread safety: {@code run} calls are serialised on the network (they share its buffers); {@code close()} is
 * idempotent and must not race with a run.
 */
public final class Network implements AutoCloseable {
    private final String name;
    private final Backend backend;
    private final Graph graph;
    private final Map<Node, PreparedConv> prepared = new IdentityHashMap<>();
    /** The backend's operators besides convolutions; null when it has none (they run in Java on the host). */
    private final TensorOps ops;
    /** The nodes besides convolutions that run on the backend, with their constant operands uploaded. */
    private final Map<Node, DeviceOp> deviceOps = new IdentityHashMap<>();
    /** The convolutions that run as {@link TensorOps#dense} (1×1 over a 1×1 image), with their weights uploaded. */
    private final Map<Node, DenseOp> denseOps = new IdentityHashMap<>();
    /** Elementwise nodes computed by the dense operation before them ({@link DenseOp#fn}): at run time a view of its output. */
    private final Set<Node> foldedIntoDense = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<List<Shape>, Plan> plans = new HashMap<>();
    private final Map<Shape, ArrayDeque<DeviceTensor>> free = new HashMap<>();
    private final List<DeviceTensor> pooled = new ArrayList<>();
    private final long weightBytes;
    private long liveDeviceBytes, peakDeviceBytes;
    private boolean closed;

    /**
     * Which graph passes to apply; {@link #DEFAULT} applies all.
     *
     * @param separableBlocks   depthwise → pointwise pairs become separable blocks (pass 7)
     * @param residualEpilogues Conv + Add (+ Relu) becomes the convolution's residual epilogue (pass 6); without it the
     *                          Add is a kernel of its own and its convolution may pair into a block
     */
    public record Options(boolean separableBlocks, boolean residualEpilogues) {
        /** Every pass, depthwise → pointwise pairs and residual epilogues included. */
        public static final Options DEFAULT = new Options(true, true);

        /** Residual epilogues on, separable blocks as given. */
        public Options(boolean separableBlocks) {
            this(separableBlocks, true);
        }
    }

    private Network(String name, Backend backend, Graph graph) {
        this.name = name;
        this.backend = backend;
        this.graph = graph;
        this.ops = backend.tensorOps().orElse(null);
        long bytes = 0;
        for (Node n : graph.nodes) {
            if (!isConvolution(n)) continue;
            for (String in : n.inputs) if (!in.isEmpty() && graph.constants.containsKey(in)) bytes += 4L * graph.constants.get(in).count();
        }
        this.weightBytes = bytes;
    }

    /** Loads the model in {@code file} and prepares it on {@code backend} with every pass. */
    public static Network load(Path file, Backend backend) throws IOException {
        long size = Files.size(file);
        if (size > OnnxReader.MAX_ELEMENTS) throw new InvalidModelException(file + " has " + size + " bytes, more than 2 GiB");
        return load(Files.readAllBytes(file), file.getFileName().toString(), backend, Options.DEFAULT);
    }

    /**
     * Loads an ONNX model from {@code bytes} ({@code source} names it in messages) and prepares it on {@code backend}.
     *
     * @throws InvalidModelException when the model cannot be run; nothing is allocated then
     * @throws IllegalStateException when protobuf-java is not on the class path
     */
    public static Network load(byte[] bytes, String source, Backend backend, Options options) {
        if (bytes == null) throw new IllegalArgumentException("model bytes must not be null");
        if (backend == null) throw new IllegalArgumentException("backend must not be null");
        Graph graph = OnnxReader.read(bytes, source);
        Passes.all(graph, options.separableBlocks(), options.residualEpilogues());
        return prepare(graph, source, backend);
    }

    /** Prepares a graph as it is (the passes already applied, or some of them: tests run each pass alone). */
    static Network prepare(Graph graph, String source, Backend backend) {
        Map<String, int[]> dims = inferDims(graph, declaredDims(graph, 1));
        checkMemory(graph, dims, backend, source);
        Network net = new Network(source, backend, graph);
        try {
            net.prepareConvolutions(dims);
            net.prepareDeviceOps(dims);
            return net;
        } catch (RuntimeException | Error e) {
            net.close();
            throw e;
        }
    }

    /** The model's name (its file name, or the source given to {@link #load(byte[], String, Backend, Options)}). */
    public String name() { return name; }

    /** The backend this network runs on. */
    public Backend backend() { return backend; }

    /** The graph inputs' names, in declaration order. */
    public List<String> inputNames() { return graph.inputs.stream().map(Graph.Input::name).toList(); }

    /** The graph outputs' names, in declaration order. */
    public List<String> outputNames() { return graph.outputs; }

    /** The declared dimensions of each input, −1 for a symbolic one (e.g. the batch). */
    public Map<String, long[]> inputDims() {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (Graph.Input in : graph.inputs) m.put(in.name(), in.dims().clone());
        return m;
    }

    /**
     * The dimensions of each output for a single input of shape {@code input} (the rank the model gives them, e.g.
     * {@code [N, 1000]}); throws an {@link InvalidModelException} when the shape does not fit the model.
     */
    public Map<String, int[]> outputDims(Shape input) {
        requireSingle();
        Graph.Input in = graph.inputs.get(0);
        Map<String, int[]> dims = inferDims(graph, Map.of(in.name(), fit(in, input)));
        Map<String, int[]> out = new LinkedHashMap<>();
        for (String o : graph.outputs) out.put(o, dims.get(o).clone());
        return out;
    }

    /** Bytes of the convolution weights and biases the backend holds. */
    public long weightBytes() { return weightBytes; }

    /** The most bytes of activations this network has held on the backend at once (its pool included), so far. */
    public synchronized long peakActivationBytes() { return peakDeviceBytes; }

    /** One line per node after the passes: operator, name, and for convolutions the backend's plan. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Node n : graph.nodes) {
            b.append(n.op).append(' ').append(n.name);
            if (Passes.hasResidual(n)) b.append(" +residual");
            if (n.activation != Activation.NONE) b.append(" +").append(n.activation.name().toLowerCase());
            PreparedConv p = prepared.get(n);
            if (p != null) b.append(": ").append(p.plan());
            else if (denseOps.containsKey(n)) b.append(": dense (a 1x1 convolution over a 1x1 image) on the backend");
            else if (foldedIntoDense.contains(n)) b.append(": computed by the dense operation before it");
            else b.append(deviceOps.containsKey(n) ? ": on the backend" : isAlias(n) ? ": a view, or a copy" : ": in Java on the host");
            b.append('\n');
        }
        return b.toString();
    }

    /** Runs a single-input, single-output network on a host tensor and returns the output on the host. */
    public Tensor run(Tensor input) {
        if (input == null) throw new IllegalArgumentException("input tensor must not be null");
        requireSingle();
        return run(Map.of(graph.inputs.get(0).name(), input)).get(graph.outputs.get(0));
    }

    /** Runs on host tensors by input name; returns every graph output on the host, by name. */
    public synchronized Map<String, Tensor> run(Map<String, Tensor> inputs) {
        Map<String, Value> env = bindInputs(inputs, null);
        Map<String, Tensor> out = new LinkedHashMap<>();
        try {
            execute(env, null);
            for (String o : graph.outputs) out.put(o, host(env.get(o)).toTensor());
        } finally {
            releaseAll(env);
        }
        return out;
    }

    /**
     * Runs a single-input, single-output network on a tensor of this network's backend; the output stays on the
     * backend and belongs to the caller (close it).
     */
    public synchronized DeviceTensor run(DeviceTensor input) {
        if (input == null) throw new IllegalArgumentException("input tensor must not be null");
        requireSingle();
        Map<String, Value> env = bindInputs(null, input);
        try {
            execute(env, null);
            Value v = env.get(graph.outputs.get(0));
            DeviceTensor d = device(v);
            if (v.kind == Kind.POOLED) {
                pooled.remove(d); // handed to the caller: no longer the pool's
                refs.remove(d);
                liveDeviceBytes -= d.shape().bytes();
                v.kind = Kind.CALLER;
            } else if (v.kind == Kind.CALLER) {
                d = backend.upload(backend.download(d)); // the input itself: a copy, so the caller owns a new tensor
            } else {
                v.kind = Kind.CALLER;
            }
            return d;
        } finally {
            releaseAll(env);
        }
    }

    /** Time one node took in {@link #profile}: its name, operator, wall nanoseconds and floating-point operations. */
    public record NodeTime(String node, String op, long nanos, double flops) {}

    /**
     * Runs like {@link #run(Tensor)} but waits after each node, and returns each node's wall time (transfers between
     * host and device included in the node that needs them, except the input's upload when a node on the backend reads
     * it: that is the first entry, op {@code "Upload"}). For breakdowns; a plain run is faster.
     */
    public synchronized List<NodeTime> profile(Tensor input) {
        requireSingle();
        Map<String, Value> env = bindInputs(Map.of(graph.inputs.get(0).name(), input), null);
        List<NodeTime> times = new ArrayList<>();
        try {
            String name = graph.inputs.get(0).name();
            if (graph.consumers(name).stream().anyMatch(n -> prepared.containsKey(n) || denseOps.containsKey(n) || deviceOps.containsKey(n))) {
                long start = System.nanoTime();
                device(env.get(name));
                backend.finish();
                times.add(new NodeTime("input " + name, "Upload", System.nanoTime() - start, 0));
            }
            execute(env, times);
        } finally {
            releaseAll(env);
        }
        return times;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Closer closer = new Closer();
        for (PreparedConv p : prepared.values()) closer.run(p::close);
        for (DeviceTensor t : pooled) closer.run(t::close);
        for (DeviceOp op : deviceOps.values()) for (DeviceTensor t : op.constants()) if (t != null) closer.run(t::close);
        for (DenseOp op : denseOps.values()) {
            closer.run(op.weights()::close);
            if (op.bias() != null) closer.run(op.bias()::close);
        }
        prepared.clear();
        denseOps.clear();
        foldedIntoDense.clear();
        deviceOps.clear();
        pooled.clear();
        free.clear();
        plans.clear();
        closer.finish();
    }

    // ---- preparation ----

    private static boolean isConvolution(Node n) {
        return n.op.equals("Conv") || n.op.equals("SeparableBlock");
    }

    /** The inputs' dimensions with every symbolic one set to {@code symbolic}. */
    static Map<String, int[]> declaredDims(Graph g, int symbolic) {
        Map<String, int[]> m = new HashMap<>();
        for (Graph.Input in : g.inputs) {
            int[] d = new int[in.dims().length];
            for (int i = 0; i < d.length; i++) d[i] = in.dims()[i] < 0 ? symbolic : (int) in.dims()[i];
            m.put(in.name(), d);
        }
        return m;
    }

    /** Every value's dimensions for these input dimensions; throws naming the node whose shapes do not fit. */
    static Map<String, int[]> inferDims(Graph g, Map<String, int[]> inputs) {
        Map<String, int[]> dims = new HashMap<>(inputs);
        for (Node n : g.nodes) {
            List<int[]> in = new ArrayList<>();
            for (String s : n.inputs) {
                if (s.isEmpty()) { in.add(null); continue; }
                Const c = g.constants.get(s);
                in.add(c != null ? c.dims() : dims.get(s));
            }
            if (in.isEmpty() || in.get(0) == null) throw new InvalidModelException(n.describe() + ": its first input is missing");
            dims.put(n.outputs.get(0), ShapeInference.infer(n, in, g.constants));
        }
        return dims;
    }

    /** Refuses a model whose weights, or whose largest activation, do not fit the backend's memory. */
    private static void checkMemory(Graph g, Map<String, int[]> dims, Backend backend, String source) {
        long global = backend.device().globalMemBytes(), maxAlloc = backend.device().maxAllocBytes();
        long weights = 0;
        for (Const c : g.constants.values()) weights += 4L * c.count();
        for (Node n : g.nodes) {
            long bytes = 4L * Dims.count(dims.get(n.outputs.get(0)));
            if (maxAlloc > 0 && bytes > maxAlloc) {
                throw new InvalidModelException(n.describe() + ": its output " + Dims.text(dims.get(n.outputs.get(0)))
                        + " needs " + bytes + " bytes, more than the device allocates at once (" + maxAlloc + ")");
            }
        }
        if (global > 0 && weights > global) {
            throw new InvalidModelException(source + ": its constants need " + weights + " bytes, more than the device's "
                    + global + " bytes of memory");
        }
    }

    private void prepareConvolutions(Map<String, int[]> dims) {
        for (Node n : graph.nodes) {
            if (!isConvolution(n)) continue;
            int[] x = ShapeInference.asNchw(dims.get(n.input(0)));
            Const w = graph.constants.get(n.input(1));
            if (w == null) throw new InvalidModelException(n.describe() + ": its weight must be a constant");
            Const b = n.input(2).isEmpty() ? null : graph.constants.get(n.input(2));
            if (!n.input(2).isEmpty() && b == null) throw new InvalidModelException(n.describe() + ": its bias must be a constant");
            ConvSpec spec = ShapeInference.convSpec(n, x, w.dims());
            Shape expected = Dims.shape(x);
            if (runsAsDense(n, x, ShapeInference.asNchw(dims.get(n.outputs.get(0))), w)) {
                prepareDense(n, w, b, dims);
                continue;
            }
            Epilogue epilogue = epilogue(b, n.activation);
            if (Passes.hasResidual(n)) {
                Epilogue withResidual = epilogue(b, n.activation, true);
                PreparedConv p = backend.prepare(spec, w.floats(), withResidual, expected);
                prepared.put(n, p); // before the check: close() releases it
                if (!p.hasResidual()) {
                    throw new IllegalStateException(n.describe() + ": backend " + backend + " prepared it without its residual");
                }
            } else if (n.op.equals("Conv")) {
                prepared.put(n, backend.prepare(spec, w.floats(), epilogue, expected));
            } else {
                Const pw = graph.constants.get(n.input(3));
                Const pb = n.input(4).isEmpty() ? null : graph.constants.get(n.input(4));
                SeparableBlock block = SeparableBlock.builder(spec.inChannels(), pw.dims()[0])
                        .depthMultiplier(spec.depthMultiplier()).kernel(spec.kernelH(), spec.kernelW())
                        .stride(spec.strideH(), spec.strideW()).dilation(spec.dilationH(), spec.dilationW())
                        .padding(spec.padTop(), spec.padLeft(), spec.padBottom(), spec.padRight())
                        .depthwiseEpilogue(epilogue).pointwiseEpilogue(epilogue(pb, n.pointwiseActivation)).build();
                prepared.put(n, backend.prepareBlock(block, w.floats(), pw.floats(), BlockMode.AUTO, expected));
            }
        }
    }

    /** A convolution run as {@link TensorOps#dense}: its weights transposed to {@code [K, O, 1, 1]}, its bias or null. */
    private record DenseOp(DeviceTensor weights, DeviceTensor bias, Pointwise fn) {}

    /**
     * Whether convolution {@code n} is a fully connected layer {@link TensorOps#dense} computes for every input shape
     * the network accepts: ungrouped, a 1×1 kernel, a 1×1 input and output, and the graph inputs fixed in every
     * dimension but the batch (so the image stays 1×1).
     */
    private boolean runsAsDense(Node n, int[] x, int[] out, Const w) {
        if (ops == null || !n.op.equals("Conv") || Passes.hasResidual(n)) return false;
        int[] wd = w.dims();
        boolean fixed = graph.inputs.stream().allMatch(in -> Arrays.stream(in.dims()).skip(1).allMatch(d -> d >= 0));
        return fixed && wd.length == 4 && wd[1] == x[1] && wd[2] == 1 && wd[3] == 1 && x[2] == 1 && x[3] == 1 && out[2] == 1
                && out[3] == 1;
    }

    /**
     * Uploads the weights of a convolution {@link #runsAsDense} transposed to {@code [C, O]}, and its bias. Without an
     * activation of its own, an elementwise node that alone reads its output (the HardSigmoid of a squeeze-excitation)
     * becomes its function: one kernel less.
     */
    private void prepareDense(Node n, Const w, Const bias, Map<String, int[]> dims) {
        Pointwise fn = Pointwise.of(n.activation);
        Node next = n.activation == Activation.NONE && graph.singleUse(n.outputs.get(0)) ? graph.consumers(n.outputs.get(0)).get(0) : null;
        if (next != null && HostOps.isPointwise(next) && next.input(0).equals(n.outputs.get(0)) && runsOnDevice(next, dims)) {
            fn = HostOps.pointwise(next, bound(next, 1, "min"), bound(next, 2, "max"));
            foldedIntoDense.add(next);
        }
        int outputs = w.dims()[0], k = w.dims()[1];
        float[] src = w.floats(), t = new float[src.length];
        for (int o = 0; o < outputs; o++) for (int i = 0; i < k; i++) t[i * outputs + o] = src[o * k + i];
        DeviceTensor weights = backend.upload(Tensor.of(t, new Shape(k, outputs, 1, 1)));
        try {
            DeviceTensor b = bias == null ? null : backend.upload(Tensor.of(bias.floats(), new Shape(1, outputs, 1, 1)));
            denseOps.put(n, new DenseOp(weights, b, fn));
        } catch (RuntimeException | Error e) {
            weights.close();
            throw e;
        }
    }

    /**
     * How a node besides convolutions runs on the backend: {@code constants} holds, per input, the uploaded constant
     * (shaped as it broadcasts) or null for a value computed at run time; {@code fn} is an elementwise node's function
     * or the activation after an Add / Mul.
     */
    private record DeviceOp(List<DeviceTensor> constants, Pointwise fn) {}

    /**
     * Decides which nodes besides convolutions run on the backend (every one {@link TensorOps} has, when the backend
     * has them and their operands fit) and uploads their constant operands.
     */
    private void prepareDeviceOps(Map<String, int[]> dims) {
        if (ops == null) return;
        for (Node n : graph.nodes) {
            if (isConvolution(n) || foldedIntoDense.contains(n) || !runsOnDevice(n, dims)) continue;
            int outRank = dims.get(n.outputs.get(0)).length;
            List<DeviceTensor> constants = new ArrayList<>();
            DeviceOp op = new DeviceOp(constants, HostOps.isPointwise(n)
                    ? HostOps.pointwise(n, bound(n, 1, "min"), bound(n, 2, "max")) : Pointwise.of(n.activation));
            deviceOps.put(n, op); // before uploading: close() releases what was uploaded
            int operands = HostOps.isPointwise(n) ? 1 : n.inputs.size();
            for (int i = 0; i < operands; i++) {
                Const c = graph.constants.get(n.input(i));
                constants.add(c == null ? null : backend.upload(Tensor.of(c.floats(),
                        HostOps.aligned(c.dims().length == 0 ? new int[] {1} : c.dims(), outRank))));
            }
        }
    }

    /** A Clip bound known at prepare time (there are only such when {@link #runsOnDevice} holds). */
    private float bound(Node n, int index, String attr) {
        Float b = Passes.clipBound(graph, n, index, attr);
        return b == null ? Float.NaN : b;
    }

    /** Whether {@code n} has a {@link TensorOps} operator and operands it takes. */
    private boolean runsOnDevice(Node n, Map<String, int[]> dims) {
        int outRank = dims.get(n.outputs.get(0)).length;
        return switch (n.op) {
            case "Relu", "HardSigmoid", "HardSwish", "Sigmoid" -> true;
            case "Clip" -> Passes.clipBound(graph, n, 1, "min") != null && Passes.clipBound(graph, n, 2, "max") != null
                    && !(Passes.clipBound(graph, n, 1, "min") > Passes.clipBound(graph, n, 2, "max"));
            // a value computed at run time must have the output's rank: its 4-D shape is then the aligned one
            case "Add", "Mul" -> n.inputs.size() == 2 && n.inputs.stream().allMatch(in -> graph.constants.containsKey(in)
                    || dims.get(in).length == outRank);
            case "GlobalAveragePool", "AveragePool", "MaxPool" -> outRank == 4;
            case "Concat" -> outRank >= 2 && Dims.axis(n.intAttr("axis", 1), outRank) == 1
                    && n.inputs.stream().noneMatch(in -> graph.constants.containsKey(in));
            default -> false;
        };
    }

    private static Epilogue epilogue(Const bias, Activation activation) {
        return epilogue(bias, activation, false);
    }

    private static Epilogue epilogue(Const bias, Activation activation, boolean residual) {
        Epilogue.Builder e = Epilogue.builder().activation(activation).residual(residual);
        if (bias != null) e.bias(bias.floats());
        return e.build();
    }

    // ---- execution ----

    /** Where a value's device tensor came from, so it is released the right way. */
    private enum Kind { NONE, POOLED, UPLOADED, CALLER }

    /** A value while a run executes: its dims, its host copy and/or its device tensor. */
    private static final class Value {
        final int[] dims;
        HostTensor host;
        DeviceTensor device;
        Kind kind = Kind.NONE;

        Value(int[] dims) {
            this.dims = dims;
        }
    }

    /** The executable form of the graph for one set of input shapes: each node's output dims and last use. */
    private record Plan(Map<String, int[]> dims, Map<String, Integer> lastUse) {}

    private void requireSingle() {
        if (graph.inputs.size() != 1 || graph.outputs.size() != 1) {
            throw new IllegalArgumentException(name + " has " + graph.inputs.size() + " inputs and " + graph.outputs.size()
                    + " outputs: use run(Map)");
        }
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("network " + name + " is closed");
    }

    /** Checks each input's shape against the declaration and binds it; one of the arguments is null. */
    private Map<String, Value> bindInputs(Map<String, Tensor> hostInputs, DeviceTensor deviceInput) {
        requireOpen();
        Map<String, Value> env = new HashMap<>();
        List<Shape> key = new ArrayList<>();
        Map<String, int[]> inputDims = new HashMap<>();
        for (Graph.Input in : graph.inputs) {
            Shape shape;
            if (deviceInput != null) {
                if (deviceInput.backend() != backend) throw new IllegalArgumentException("input tensor belongs to another backend");
                shape = deviceInput.shape();
            } else {
                Tensor t = hostInputs.get(in.name());
                if (t == null) throw new IllegalArgumentException("input '" + in.name() + "' is missing (inputs: " + inputNames() + ")");
                shape = t.shape();
            }
            int[] dims = fit(in, shape);
            inputDims.put(in.name(), dims);
            key.add(shape);
            Value v = new Value(dims);
            if (deviceInput != null) {
                v.device = deviceInput;
                v.kind = Kind.CALLER;
            } else {
                v.host = HostTensor.of(hostInputs.get(in.name()), dims);
            }
            env.put(in.name(), v);
        }
        Plan plan = plans.get(key);
        if (plan == null) {
            Map<String, int[]> dims = inferDims(graph, inputDims);
            Map<String, Integer> last = new HashMap<>();
            for (int i = 0; i < graph.nodes.size(); i++) for (String s : graph.nodes.get(i).inputs) last.put(s, i);
            for (String o : graph.outputs) last.put(o, Integer.MAX_VALUE);
            plan = new Plan(dims, last);
            plans.put(key, plan);
        }
        current = plan;
        return env;
    }

    private Plan current;

    /** The input's dims from a 4-D shape, or an {@link InvalidModelException} naming the input and both shapes. */
    private static int[] fit(Graph.Input in, Shape shape) {
        int[] s = {shape.n(), shape.c(), shape.h(), shape.w()};
        int rank = in.dims().length;
        boolean ok = true;
        for (int i = 0; i < 4; i++) {
            if (i < rank) ok &= in.dims()[i] < 0 || in.dims()[i] == s[i];
            else ok &= s[i] == 1;
        }
        if (!ok) {
            throw new InvalidModelException("input '" + in.name() + "' has shape " + shape + "; the model declares " + in);
        }
        return Arrays.copyOf(s, rank);
    }

    private void execute(Map<String, Value> env, List<NodeTime> times) {
        Plan plan = current;
        for (int i = 0; i < graph.nodes.size(); i++) {
            Node n = graph.nodes.get(i);
            long start = times == null ? 0 : System.nanoTime();
            int[] outDims = plan.dims().get(n.outputs.get(0));
            Value out = new Value(outDims);
            PreparedConv conv = prepared.get(n);
            DenseOp dense = conv == null ? denseOps.get(n) : null;
            if (conv != null || dense != null) {
                DeviceTensor x = device(env.get(n.input(0)));
                out.device = allocate(Dims.shape(outDims));
                out.kind = Kind.POOLED;
                retain(out.device);
                if (conv != null && conv.hasResidual()) conv.forward(x, device(env.get(n.input(3))), out.device);
                else if (conv != null) conv.forward(x, out.device);
                else ops.dense(x, dense.weights(), dense.bias(), dense.fn(), out.device);
            } else if (deviceOps.containsKey(n)) {
                runOnDevice(n, deviceOps.get(n), env, plan, out);
            } else if (isAlias(n) || foldedIntoDense.contains(n)) {
                Value x = env.get(n.input(0));
                if (x.device != null && Dims.shape(x.dims).equals(Dims.shape(outDims)) && x.host == null) {
                    out.device = x.device;
                    out.kind = x.kind;
                    if (out.kind != Kind.CALLER) retain(out.device);
                } else if (x.device != null && x.host == null && ops != null) { // a reshape that changes the 4-D shape
                    out.device = allocate(Dims.shape(outDims));
                    out.kind = Kind.POOLED;
                    retain(out.device);
                    ops.copy(x.device, out.device);
                } else {
                    out.host = new HostTensor(outDims, host(x).data());
                }
            } else {
                List<HostTensor> in = new ArrayList<>();
                for (String s : n.inputs) {
                    Const c = s.isEmpty() ? null : graph.constants.get(s);
                    in.add(s.isEmpty() ? null : c != null ? new HostTensor(c.dims().length == 0 ? new int[] {1} : c.dims(), c.floats())
                            : host(env.get(s)));
                }
                out.host = HostOps.run(n, in, outDims, graph.constants);
            }
            env.put(n.outputs.get(0), out);
            if (times != null) {
                backend.finish();
                times.add(new NodeTime(n.name, n.op, System.nanoTime() - start, flops(n, plan.dims())));
            }
            for (String s : n.inputs) {
                if (!s.isEmpty() && plan.lastUse().getOrDefault(s, -1) == i && env.get(s) != null) {
                    release(env.remove(s));
                }
            }
        }
    }

    /** Runs a node of {@link #deviceOps} into a pooled tensor. */
    private void runOnDevice(Node n, DeviceOp op, Map<String, Value> env, Plan plan, Value out) {
        List<DeviceTensor> in = new ArrayList<>();
        for (int i = 0; i < op.constants().size(); i++) {
            DeviceTensor c = op.constants().get(i);
            in.add(c != null ? c : device(env.get(n.input(i))));
        }
        out.device = allocate(Dims.shape(out.dims));
        out.kind = Kind.POOLED;
        retain(out.device);
        switch (n.op) {
            case "Add", "Mul" -> ops.binary(HostOps.binary(n), in.get(0), in.get(1), op.fn(), out.device);
            case "GlobalAveragePool", "AveragePool", "MaxPool" -> ops.pool(HostOps.pool(n, plan.dims().get(n.input(0))), in.get(0), out.device);
            case "Concat" -> ops.concatChannels(in, out.device);
            default -> ops.pointwise(op.fn(), in.get(0), out.device);
        }
    }

    private static boolean isAlias(Node n) {
        return n.op.equals("Flatten") || n.op.equals("Reshape") || n.op.equals("Identity") || n.op.equals("Dropout");
    }

    private double flops(Node n, Map<String, int[]> dims) {
        if (!isConvolution(n)) return Dims.count(dims.get(n.outputs.get(0)));
        int[] out = ShapeInference.asNchw(dims.get(n.outputs.get(0)));
        Const w = graph.constants.get(n.input(1));
        double f = 2.0 * w.count() / w.dims()[0];
        if (n.op.equals("Conv")) return f * Dims.count(out);
        int[] mid = {out[0], w.dims()[0], out[2], out[3]};
        Const pw = graph.constants.get(n.input(3));
        return f * Dims.count(mid) + 2.0 * pw.dims()[1] * Dims.count(out);
    }

    private final Map<DeviceTensor, Integer> refs = new IdentityHashMap<>();

    private void retain(DeviceTensor t) {
        refs.merge(t, 1, Integer::sum);
    }

    private DeviceTensor allocate(Shape shape) {
        ArrayDeque<DeviceTensor> q = free.get(shape);
        if (q != null && !q.isEmpty()) return q.pop();
        DeviceTensor t = backend.allocate(shape);
        pooled.add(t);
        liveDeviceBytes += shape.bytes();
        peakDeviceBytes = Math.max(peakDeviceBytes, liveDeviceBytes);
        return t;
    }

    /** The value on the device, uploading its host copy when it has none yet. */
    private DeviceTensor device(Value v) {
        if (v.device == null) {
            v.device = backend.upload(v.host.toTensor());
            v.kind = Kind.UPLOADED;
            liveDeviceBytes += v.device.shape().bytes();
            peakDeviceBytes = Math.max(peakDeviceBytes, liveDeviceBytes);
        }
        return v.device;
    }

    /** The value on the host, downloading it when it has no host copy yet. */
    private HostTensor host(Value v) {
        if (v.host == null) v.host = HostTensor.of(backend.download(v.device), v.dims);
        return v.host;
    }

    private void release(Value v) {
        if (v == null || v.device == null) return;
        if (v.kind == Kind.UPLOADED) {
            liveDeviceBytes -= v.device.shape().bytes();
            v.device.close();
        } else if (v.kind == Kind.POOLED) {
            int left = refs.merge(v.device, -1, Integer::sum);
            if (left == 0) {
                refs.remove(v.device);
                free.computeIfAbsent(v.device.shape(), s -> new ArrayDeque<>()).push(v.device);
            }
        }
        v.device = null;
    }

    private void releaseAll(Map<String, Value> env) {
        for (Value v : env.values()) release(v);
        env.clear();
    }
}
