package org.convcl.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.convcl.Activation;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TestBackends;
import org.junit.jupiter.api.Test;

/**
 * Each graph pass alone: it rewrites what it should (node counts, fused activations) and the network it leaves
 * still gives PyTorch's output (the operators it did not touch run as they are).
 */
class PassesTest {

    private static Graph graph(String fixture) {
        return OnnxReader.read(Fixtures.model(fixture), fixture);
    }

    private static long count(Graph g, String op) {
        return g.nodes.stream().filter(n -> n.op.equals(op)).count();
    }

    /** The graph, as it is now, still matches the fixture's PyTorch output on the CPU backend. */
    private static void stillMatches(Graph g, String fixture) {
        Tensor x = Fixtures.tensor(fixture + ".input.npy");
        try (Network net = Network.prepare(g, fixture, TestBackends.cpu())) {
            NetworkFixtureTest.assertClose(fixture, Fixtures.tensor(fixture + ".output.npy"), net.run(x));
        }
    }

    private static int applied(Graph g, String fixture, ToIntFunction<Graph> pass) {
        int rewritten = pass.applyAsInt(g);
        stillMatches(g, fixture);
        return rewritten;
    }

    @Test
    void unfusedGraphsMatchPyTorch() {
        for (String f : Fixtures.NAMES) stillMatches(graph(f), f); // the baseline each pass is compared with
    }

    @Test
    void foldConstantsEvaluatesNodesOfConstantsOnce() {
        // y = x * (c1 + c2), c1 + c2 broadcast [2] + [1]: the Add becomes a constant, the Mul stays
        Node add = new Node("add", "Add", List.of("c1", "c2"), List.of("s"), Map.of());
        Node mul = new Node("mul", "Mul", List.of("x", "s"), List.of("y"), Map.of());
        Graph g = new Graph(List.of(add, mul), Map.of("c1", Const.ofFloats(new int[] {2}, new float[] {1f, 2f}),
                "c2", Const.ofFloats(new int[] {1}, new float[] {0.5f})),
                List.of(new Graph.Input("x", new long[] {-1, 2})), List.of("y"));
        assertEquals(1, Passes.foldConstants(g));
        assertEquals(List.of("mul"), g.nodes.stream().map(n -> n.name).toList());
        assertEquals(List.of("s"), List.copyOf(g.constants.keySet()));
        try (Network net = Network.prepare(g, "folded", TestBackends.cpu())) {
            assertEquals(Tensor.of(new float[] {1.5f, 5f, -3f, 0f}, new Shape(2, 2, 1, 1)),
                    net.run(Tensor.of(new float[] {1f, 2f, -2f, 0f}, new Shape(2, 2, 1, 1))));
        }
    }

    @Test
    void foldBatchNormIntoTheConvolutionBeforeIt() {
        Graph g = graph("conv_kinds");
        long before = count(g, "BatchNormalization");
        assertEquals(4, before);
        assertEquals(3, applied(g, "conv_kinds", Passes::foldBatchNorm)); // the one after an Add stays
        assertEquals(1, count(g, "BatchNormalization"));
    }

    @Test
    void fuseReluAndClipSixAsEpilogues() {
        Graph g = graph("conv_kinds");
        Passes.foldBatchNorm(g);
        assertEquals(2, applied(g, "conv_kinds", Passes::fuseActivations));
        assertEquals(0, count(g, "Relu") + count(g, "Clip"));
        assertEquals(List.of(Activation.RELU, Activation.RELU6),
                g.nodes.stream().map(n -> n.activation).filter(a -> a != Activation.NONE).toList());
        // a Clip to another range stays a node of its own
        Graph e = graph("elementwise");
        long clips = count(e, "Clip");
        applied(e, "elementwise", Passes::fuseActivations);
        assertEquals(clips, count(e, "Clip"));
    }

    @Test
    void hardSigmoidTimesItsInputBecomesHardSwish() {
        Graph g = graph("elementwise"); // opset 13: hardswish is x * HardSigmoid(x); the SE block's HardSigmoid stays
        long sigmoids = count(g, "HardSigmoid");
        assertEquals(1, applied(g, "elementwise", Passes::fuseHardSwish));
        assertEquals(1, count(g, "HardSwish"));
        assertEquals(sigmoids - 1, count(g, "HardSigmoid"));
    }

    @Test
    void lowerClassifierAndStandaloneBatchNormToConvolutions() {
        Graph g = graph("head");
        assertEquals(2, applied(g, "head", Passes::lowerToConvolutions)); // Gemm and MatMul
        assertEquals(0, count(g, "Gemm") + count(g, "MatMul"));
        Graph c = graph("conv_kinds");
        assertEquals(4, applied(c, "conv_kinds", Passes::lowerToConvolutions)); // every BatchNormalization alone
        assertEquals(0, count(c, "BatchNormalization"));
    }

    @Test
    void pairDepthwiseThenPointwiseIntoABlock() {
        Graph g = graph("conv_kinds");
        Passes.foldBatchNorm(g);
        Passes.fuseActivations(g);
        assertEquals(1, applied(g, "conv_kinds", Passes::pairSeparableBlocks));
        Node block = g.nodes.stream().filter(n -> n.op.equals("SeparableBlock")).findFirst().orElseThrow();
        assertEquals(Activation.RELU6, block.activation);
        try (Network net = Network.prepare(g, "conv_kinds", TestBackends.opencl())) { // the fused path exists there
            NetworkFixtureTest.assertClose("conv_kinds block on OpenCL", Fixtures.tensor("conv_kinds.output.npy"),
                    net.run(Fixtures.tensor("conv_kinds.input.npy")));
            assertTrue(net.describe().contains("SeparableBlock"), net.describe());
        }
    }

    @Test
    void removeIdentityAndDropout() {
        Node id = new Node("id", "Identity", List.of("x"), List.of("a"), Map.of());
        Node drop = new Node("drop", "Dropout", List.of("a"), List.of("b"), Map.of());
        Node relu = new Node("relu", "Relu", List.of("b"), List.of("y"), Map.of());
        Graph g = new Graph(List.of(id, drop, relu), Map.of(), List.of(new Graph.Input("x", new long[] {-1, 2, 1, 2})), List.of("y"));
        assertEquals(2, Passes.removeNoOps(g));
        assertEquals(List.of("x"), g.nodes.get(0).inputs);
        Tensor x = Tensor.of(new float[] {-1f, 2f, -3f, 4f}, new Shape(1, 2, 1, 2));
        try (Network net = Network.prepare(g, "identity", TestBackends.cpu())) {
            assertEquals(Tensor.of(new float[] {0f, 2f, 0f, 4f}, new Shape(1, 2, 1, 2)), net.run(x));
        }
    }
}
