package org.convcl.net;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.convcl.net.onnx.OnnxProtos;

/**
 * Decodes an ONNX model (protobuf, through the classes protoc generated from {@code onnx_subset.proto}) into a
 * {@link Graph}, refusing what convcl cannot run. Every size read from the file is checked against the bytes
 * actually there before an array of that size is made; every refusal is an {@link InvalidModelException} naming the
 * node, operator, attribute or tensor.
 */
final class OnnxReader {
    /** Elements a tensor may have: the largest Java array. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    /** The highest default-domain opset whose semantics of the supported operators this reader knows. */
    static final long MAX_OPSET = 17;
    /** Tensor data types (ONNX's TensorProto.DataType codes) the reader accepts. */
    static final int FLOAT = 1, INT32 = 6, INT64 = 7;

    private OnnxReader() {}

    /** Decodes and checks {@code bytes}; {@code source} names the model in messages. */
    static Graph read(byte[] bytes, String source) {
        requireProtobuf();
        OnnxProtos.Model model;
        try {
            model = OnnxProtos.Model.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidModelException(source + " is not an ONNX model, or is truncated: " + e.getMessage(), e);
        }
        if (!model.hasGraph() || !model.hasIrVersion() || model.getIrVersion() < 3) {
            throw new InvalidModelException(source + " is not an ONNX model: " + (model.hasGraph() ? "" : "no graph, ")
                    + "ir_version " + (model.hasIrVersion() ? model.getIrVersion() : "missing") + " (3 or later expected)");
        }
        long opset = -1;
        for (OnnxProtos.OperatorSetId id : model.getOpsetImportList()) {
            if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) opset = id.getVersion();
        }
        if (opset < 7 || opset > MAX_OPSET) {
            throw new InvalidModelException(source + ": default-domain opset " + (opset < 0 ? "missing" : opset)
                    + " is not supported (7.." + MAX_OPSET + ")");
        }
        if (model.getFunctionsCount() > 0) {
            throw new InvalidModelException(source + ": model-local functions are not supported");
        }
        return readGraph(model.getGraph(), source);
    }

    /** Fails with a clear message when protobuf-java (an optional dependency of convcl) is not on the class path. */
    static void requireProtobuf() {
        try {
            Class.forName("com.google.protobuf.GeneratedMessage", false, OnnxReader.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException("org.convcl.net needs com.google.protobuf:protobuf-java 4.x on the class path "
                    + "(an optional dependency of convcl: add it to your build to load ONNX models)", e);
        }
    }

    private static Graph readGraph(OnnxProtos.Graph g, String source) {
        if (g.getSparseInitializerCount() > 0) {
            throw new InvalidModelException(source + ": sparse initializers are not supported");
        }
        Map<String, Const> constants = new LinkedHashMap<>();
        for (OnnxProtos.Tensor t : g.getInitializerList()) {
            constants.put(t.getName(), readTensor(t, "initializer '" + t.getName() + "'"));
        }
        List<Graph.Input> inputs = new ArrayList<>();
        for (OnnxProtos.ValueInfo v : g.getInputList()) {
            if (constants.containsKey(v.getName())) continue; // an initializer listed as an input (IR < 4)
            inputs.add(readInput(v));
        }
        if (inputs.isEmpty()) throw new InvalidModelException(source + ": the graph has no input");
        List<String> outputs = new ArrayList<>();
        for (OnnxProtos.ValueInfo v : g.getOutputList()) outputs.add(v.getName());
        if (outputs.isEmpty()) throw new InvalidModelException(source + ": the graph has no output");

        List<Node> nodes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            OnnxProtos.Node n = g.getNode(i);
            String name = n.getName().isEmpty() ? n.getOpType() + "_" + i : n.getName();
            if (!names.add(name)) name = name + "_" + i;
            String where = "node '" + name + "' (" + n.getOpType() + ")";
            if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
                throw new InvalidModelException(where + ": operator domain '" + n.getDomain() + "' is not supported");
            }
            if (!OpTable.supported(n.getOpType())) {
                throw new InvalidModelException(where + ": operator " + n.getOpType() + " is not supported (supported: "
                        + OpTable.list() + ")");
            }
            Map<String, Node.Attr> attrs = new LinkedHashMap<>();
            for (OnnxProtos.Attribute a : n.getAttributeList()) {
                if (!OpTable.ATTRIBUTES.get(n.getOpType()).contains(a.getName())) {
                    throw new InvalidModelException(where + ": attribute '" + a.getName() + "' is not supported");
                }
                attrs.put(a.getName(), readAttribute(a, where));
            }
            Node node = new Node(name, n.getOpType(), n.getInputList(), n.getOutputList(), attrs);
            checkAttributeValues(node);
            if (node.op.equals("Constant")) { // an initializer written as a node
                if (node.outputs.size() != 1 || constants.containsKey(node.outputs.get(0))) {
                    throw new InvalidModelException(where + ": needs one output whose name no initializer has");
                }
                constants.put(node.outputs.get(0), attrs.get("value").t());
                continue;
            }
            nodes.add(node);
        }
        Graph graph = new Graph(sortTopologically(nodes, constants.keySet(), inputs, source), constants, inputs, outputs);
        for (String out : outputs) {
            if (graph.producer(out) == null && !graph.isInput(out) && !constants.containsKey(out)) {
                throw new InvalidModelException(source + ": graph output '" + out + "' is produced by no node");
            }
        }
        return graph;
    }

    private static Graph.Input readInput(OnnxProtos.ValueInfo v) {
        String where = "graph input '" + v.getName() + "'";
        if (!v.hasType() || !v.getType().hasTensorType()) throw new InvalidModelException(where + " is not a tensor");
        OnnxProtos.TypeInfo.TensorType t = v.getType().getTensorType();
        if (t.getElemType() != FLOAT) {
            throw new InvalidModelException(where + ": data type " + dataTypeName(t.getElemType()) + " is not supported (float32 only)");
        }
        if (!t.hasShape()) throw new InvalidModelException(where + " declares no shape");
        long[] dims = new long[t.getShape().getDimCount()];
        if (dims.length < 1 || dims.length > 4) {
            throw new InvalidModelException(where + " has rank " + dims.length + " (1 to 4 supported)");
        }
        for (int i = 0; i < dims.length; i++) {
            OnnxProtos.TensorShape.Dimension d = t.getShape().getDim(i);
            dims[i] = d.hasDimValue() ? d.getDimValue() : -1;
            if (d.hasDimValue() && (dims[i] <= 0 || dims[i] > MAX_ELEMENTS)) {
                throw new InvalidModelException(where + ": dimension " + i + " is " + dims[i]);
            }
        }
        return new Graph.Input(v.getName(), dims);
    }

    private static Node.Attr readAttribute(OnnxProtos.Attribute a, String where) {
        String what = where + ": attribute '" + a.getName() + "'";
        if (!a.getRefAttrName().isEmpty()) throw new InvalidModelException(what + " refers to a function attribute");
        OnnxProtos.Attribute.Type type = a.getType();
        return switch (type) {
            case FLOAT -> new Node.Attr(Node.Attr.Kind.FLOAT, a.getF(), 0, null, null, null, null);
            case INT -> Node.Attr.ofInt(a.getI());
            case STRING -> new Node.Attr(Node.Attr.Kind.STRING, 0f, 0, a.getS().toStringUtf8(), null, null, null);
            case FLOATS -> {
                float[] f = new float[a.getFloatsCount()];
                for (int i = 0; i < f.length; i++) f[i] = a.getFloats(i);
                yield new Node.Attr(Node.Attr.Kind.FLOATS, 0f, 0, null, f, null, null);
            }
            case INTS -> Node.Attr.ofInts(a.getIntsList().stream().mapToLong(Long::longValue).toArray());
            case TENSOR -> new Node.Attr(Node.Attr.Kind.TENSOR, 0f, 0, null, null, null, readTensor(a.getT(), what));
            default -> throw new InvalidModelException(what + " has type " + type + ", which is not supported");
        };
    }

    /** Values the supported operators' attributes may not take in convcl. */
    static void checkAttributeValues(Node n) {
        String autoPad = n.stringAttr("auto_pad", "NOTSET");
        if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) {
            throw new InvalidModelException(n.describe() + ": attribute 'auto_pad' = " + autoPad
                    + " is not supported (NOTSET or VALID; exporters write explicit pads)");
        }
        if (n.intAttr("training_mode", 0) != 0) {
            throw new InvalidModelException(n.describe() + ": attribute 'training_mode' = 1 is not supported (inference only)");
        }
        if (n.intAttr("storage_order", 0) != 0) {
            throw new InvalidModelException(n.describe() + ": attribute 'storage_order' = 1 is not supported");
        }
        if (n.intAttr("allowzero", 0) != 0) {
            throw new InvalidModelException(n.describe() + ": attribute 'allowzero' = 1 is not supported");
        }
        if (n.op.equals("Gemm") && n.intAttr("transA", 0) != 0) {
            throw new InvalidModelException(n.describe() + ": attribute 'transA' = 1 is not supported");
        }
        for (String attr : List.of("kernel_shape", "strides", "pads", "dilations")) {
            long[] v = n.intsAttr(attr);
            if (v == null) continue;
            int expected = attr.equals("pads") ? 4 : 2;
            if (v.length != expected) {
                throw new InvalidModelException(n.describe() + ": attribute '" + attr + "' has " + v.length
                        + " values; 2-D operators need " + expected);
            }
            for (long x : v) {
                if (x < (attr.equals("pads") ? 0 : 1) || x > 1 << 16) {
                    throw new InvalidModelException(n.describe() + ": attribute '" + attr + "' value " + x + " is out of range");
                }
            }
        }
        if (n.attrs.containsKey("group") && (n.intAttr("group", 1) < 1 || n.intAttr("group", 1) > 1 << 24)) {
            throw new InvalidModelException(n.describe() + ": attribute 'group' = " + n.intAttr("group", 1) + " is out of range");
        }
        if (n.op.equals("Constant") && (n.attrs.get("value") == null || n.attrs.get("value").t() == null)) {
            throw new InvalidModelException(n.describe() + ": only the tensor attribute 'value' is supported");
        }
    }

    /**
     * Decodes a tensor: float32, int32 or int64, inline (typed field or raw_data), never external. The element count
     * from the dimensions is checked for overflow and against the data present before anything is allocated.
     */
    static Const readTensor(OnnxProtos.Tensor t, String what) {
        if (t.getDataLocation() == OnnxProtos.Tensor.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            throw new InvalidModelException(what + ": external data is not supported (save the model with its tensors inline)");
        }
        if (t.hasSegment()) throw new InvalidModelException(what + ": segmented tensors are not supported");
        int type = t.getDataType();
        if (type != FLOAT && type != INT64 && type != INT32) {
            throw new InvalidModelException(what + ": data type " + dataTypeName(type) + " is not supported (float32, int32, int64)");
        }
        int[] dims = new int[t.getDimsCount()];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            long d = t.getDims(i);
            if (d < 0 || d > MAX_ELEMENTS) {
                throw new InvalidModelException(what + ": dimension " + i + " is " + d + " (0 to " + MAX_ELEMENTS + " allowed)");
            }
            dims[i] = (int) d;
            count *= d; // both at most 2^31: no overflow, and checked against the limit at each step
            if (count > MAX_ELEMENTS) {
                throw new InvalidModelException(what + ": dims " + t.getDimsList() + " declare " + count
                        + " elements, more than " + MAX_ELEMENTS);
            }
        }
        int elementBytes = type == INT64 ? 8 : 4;
        int present = t.hasRawData() ? t.getRawData().size() / elementBytes
                : type == FLOAT ? t.getFloatDataCount() : type == INT32 ? t.getInt32DataCount() : t.getInt64DataCount();
        boolean rawMisaligned = t.hasRawData() && t.getRawData().size() % elementBytes != 0;
        if (present != count || rawMisaligned) {
            throw new InvalidModelException(what + ": dims " + t.getDimsList() + " declare " + count + " elements but the "
                    + (t.hasRawData() ? "raw_data holds " + t.getRawData().size() + " bytes" : "data holds " + present + " values")
                    + " (" + dataTypeName(type) + ")");
        }
        int n = (int) count;
        if (type == FLOAT) {
            float[] f = new float[n];
            if (t.hasRawData()) rawBuffer(t.getRawData()).asFloatBuffer().get(f);
            else for (int i = 0; i < n; i++) f[i] = t.getFloatData(i);
            return Const.ofFloats(dims, f);
        }
        long[] l = new long[n];
        if (t.hasRawData()) {
            ByteBuffer b = rawBuffer(t.getRawData());
            for (int i = 0; i < n; i++) l[i] = type == INT64 ? b.getLong() : b.getInt();
        } else {
            for (int i = 0; i < n; i++) l[i] = type == INT64 ? t.getInt64Data(i) : t.getInt32Data(i);
        }
        return Const.ofLongs(dims, l);
    }

    private static ByteBuffer rawBuffer(ByteString raw) {
        return raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    static String dataTypeName(int code) {
        OnnxProtos.Tensor.DataType t = OnnxProtos.Tensor.DataType.forNumber(code);
        return t == null ? "code " + code : t.name().toLowerCase();
    }

    /**
     * Orders the nodes so each runs after the producers of its inputs (Kahn's algorithm). An input no node, constant
     * or graph input provides is a missing initializer; nodes left over when no node is ready form a cycle.
     */
    static List<Node> sortTopologically(List<Node> nodes, Set<String> constants, List<Graph.Input> inputs, String source) {
        Map<String, Node> producers = new HashMap<>();
        for (Node n : nodes) {
            for (String out : n.outputs) {
                if (out.isEmpty()) continue;
                Node previous = producers.put(out, n);
                if (previous != null || constants.contains(out)) {
                    throw new InvalidModelException(n.describe() + ": output '" + out + "' is also produced by "
                            + (previous != null ? previous.describe() : "an initializer"));
                }
            }
        }
        Set<String> available = new HashSet<>(constants);
        for (Graph.Input in : inputs) available.add(in.name());
        for (Node n : nodes) {
            for (String in : n.inputs) {
                if (!in.isEmpty() && !available.contains(in) && !producers.containsKey(in)) {
                    throw new InvalidModelException(n.describe() + ": input '" + in
                            + "' is no initializer, graph input or node output (missing initializer)");
                }
            }
        }
        List<Node> sorted = new ArrayList<>();
        List<Node> pending = new ArrayList<>(nodes);
        while (!pending.isEmpty()) {
            boolean progress = false;
            for (var it = pending.iterator(); it.hasNext(); ) {
                Node n = it.next();
                if (n.inputs.stream().allMatch(in -> in.isEmpty() || available.contains(in))) {
                    sorted.add(n);
                    available.addAll(n.outputs);
                    it.remove();
                    progress = true;
                }
            }
            if (!progress) {
                Node n = pending.get(0);
                throw new InvalidModelException(n.describe() + ": the graph has a cycle through "
                        + pending.stream().map(Node::describe).toList());
            }
        }
        return sorted;
    }
}
