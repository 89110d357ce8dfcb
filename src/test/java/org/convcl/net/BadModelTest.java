package org.convcl.net;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import org.convcl.Backend;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TestBackends;
import org.convcl.net.onnx.OnnxProtos;
import org.junit.jupiter.api.Test;

/** Each kind of bad model is refused at load, before anything is allocated, with one message naming what is wrong. */
class BadModelTest {

    /** A valid base: conv_kinds, decoded so a test can break one field. */
    private static OnnxProtos.Model base() throws Exception {
        return OnnxProtos.Model.parseFrom(Fixtures.model("conv_kinds"));
    }

    private static String refused(byte[] bytes) {
        Backend cpu = TestBackends.cpu();
        InvalidModelException e = assertThrows(InvalidModelException.class,
                () -> Network.load(bytes, "bad.onnx", cpu, Network.Options.DEFAULT).close());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "'" + message + "' should mention '" + p + "'");
    }

    @Test
    void truncatedFile() {
        byte[] full = Fixtures.model("conv_kinds");
        assertMentions(refused(Arrays.copyOf(full, full.length / 2)), "bad.onnx", "truncated");
    }

    @Test
    void notOnnx() {
        assertMentions(refused("this is not a model at all".getBytes(java.nio.charset.StandardCharsets.UTF_8)), "bad.onnx");
        assertMentions(refused(Fixtures.bytes("conv_kinds.input.npy")), "bad.onnx", "not an ONNX model");
    }

    @Test
    void unsupportedOperator() throws Exception {
        OnnxProtos.Model.Builder m = base().toBuilder();
        OnnxProtos.Node.Builder node = m.getGraphBuilder().getNodeBuilder(0).setOpType("LSTM");
        assertMentions(refused(m.build().toByteArray()), "node '" + node.getName() + "'", "LSTM", "not supported");
    }

    @Test
    void unsupportedAttribute() throws Exception {
        OnnxProtos.Model.Builder m = base().toBuilder();
        OnnxProtos.Node.Builder conv = m.getGraphBuilder().getNodeBuilder(0);
        conv.addAttribute(OnnxProtos.Attribute.newBuilder().setName("fancy").setType(OnnxProtos.Attribute.Type.INT).setI(1));
        assertMentions(refused(m.build().toByteArray()), conv.getName(), "Conv", "'fancy'");
    }

    @Test
    void unsupportedAttributeValue() throws Exception {
        OnnxProtos.Model.Builder m = base().toBuilder();
        OnnxProtos.Node.Builder conv = m.getGraphBuilder().getNodeBuilder(0);
        conv.addAttribute(OnnxProtos.Attribute.newBuilder().setName("auto_pad").setType(OnnxProtos.Attribute.Type.STRING)
                .setS(ByteString.copyFromUtf8("SAME_UPPER")));
        assertMentions(refused(m.build().toByteArray()), conv.getName(), "auto_pad", "SAME_UPPER");
    }

    @Test
    void unsupportedDataType() throws Exception {
        OnnxProtos.Model.Builder m = base().toBuilder();
        OnnxProtos.Tensor.Builder t = m.getGraphBuilder().getInitializerBuilder(0).setDataType(10); // float16
        assertMentions(refused(m.build().toByteArray()), "initializer '" + t.getName() + "'", "float16");
    }

    @Test
    void missingInitializer() throws Exception {
        OnnxProtos.Model.Builder m = base().toBuilder();
        String name = m.getGraph().getInitializer(0).getName();
        m.getGraphBuilder().removeInitializer(0);
        assertMentions(refused(m.build().toByteArray()), "'" + name + "'", "missing initializer");
    }

    @Test
    void externalData() throws Exception {
        OnnxProtos.Model.Builder m = base().toBuilder();
        OnnxProtos.Tensor.Builder t = m.getGraphBuilder().getInitializerBuilder(0)
                .setDataLocation(OnnxProtos.Tensor.DataLocation.EXTERNAL).clearRawData()
                .addExternalData(OnnxProtos.StringStringEntry.newBuilder().setKey("location").setValue("weights.bin"));
        assertMentions(refused(m.build().toByteArray()), t.getName(), "external data");
    }

    @Test
    void overflowingDims() throws Exception {
        OnnxProtos.Model.Builder m = base().toBuilder();
        OnnxProtos.Tensor.Builder t = m.getGraphBuilder().getInitializerBuilder(0);
        t.clearDims().addDims(1L << 40).addDims(1L << 40); // each dimension beyond an array's reach
        assertMentions(refused(m.build().toByteArray()), t.getName(), "dimension 0 is 1099511627776");
        t.clearDims().addDims(1L << 30).addDims(1L << 30).addDims(1L << 30); // 2^90: would overflow a long
        assertMentions(refused(m.build().toByteArray()), t.getName(), "1152921504606846976 elements", "more than");
        t.clearDims().addDims(-3).addDims(4);
        assertMentions(refused(m.build().toByteArray()), t.getName(), "dimension 0 is -3");
    }

    @Test
    void dimsLargerThanTheData() throws Exception {
        OnnxProtos.Model.Builder m = base().toBuilder();
        OnnxProtos.Tensor.Builder t = m.getGraphBuilder().getInitializerBuilder(0);
        t.clearDims().addDims(1000).addDims(1000).addDims(100); // 10^8 floats declared; a few hundred bytes there
        assertMentions(refused(m.build().toByteArray()), t.getName(), "100000000 elements", "raw_data holds");
    }

    @Test
    void cycle() throws Exception {
        OnnxProtos.Model.Builder m = base().toBuilder();
        OnnxProtos.Graph.Builder g = m.getGraphBuilder();
        // the first node reads the last node's output, which depends on the first
        String lastOutput = g.getNode(g.getNodeCount() - 1).getOutput(0);
        g.getNodeBuilder(0).setInput(0, lastOutput);
        g.getOutputBuilder(0).setName(g.getNode(g.getNodeCount() - 2).getOutput(0));
        assertMentions(refused(m.build().toByteArray()), "cycle");
    }

    @Test
    void shapeMisfitInTheGraph() throws Exception {
        OnnxProtos.Model.Builder m = base().toBuilder();
        OnnxProtos.ValueInfo.Builder in = m.getGraphBuilder().getInputBuilder(0);
        in.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(1).setDimValue(5); // 5 channels, weight wants 3
        assertMentions(refused(m.build().toByteArray()), "Conv", "5 channels");
    }

    @Test
    void inputShapeMisfitAtRun() {
        try (Network net = Network.load(Fixtures.model("conv_kinds"), "conv_kinds", TestBackends.cpu(), Network.Options.DEFAULT)) {
            InvalidModelException e = assertThrows(InvalidModelException.class,
                    () -> net.run(Tensor.zeros(new Shape(1, 4, 9, 9))));
            assertMentions(e.getMessage(), "input 'input'", "[1, 4, 9, 9]", "[?, 3, 9, 9]");
            e = assertThrows(InvalidModelException.class, () -> net.run(Tensor.zeros(new Shape(2, 3, 9, 10))));
            assertMentions(e.getMessage(), "input 'input'", "[2, 3, 9, 10]");
        }
    }
}
