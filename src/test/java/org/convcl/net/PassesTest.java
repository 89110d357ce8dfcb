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
    void fuseConvolutionPlusAddAsAResidualEpilogue() {
        Graph g = graph("elementwise"); // relu(conv(x) + x): the Add carries the Relu once activations are fused
        Passes.fuseActivations(g);
        long adds = count(g, "Add");
        assertEquals(1, applied(g, "elementwise", Passes::fuseResidual));
        assertEquals(adds - 1, count(g, "Add"));
        Node conv = g.nodes.stream().filter(Passes::hasResidual).findFirst().orElseThrow();
        assertEquals(Activation.RELU, conv.activation);
        assertEquals(g.inputs.get(0).name(), conv.input(3)); // the residual is the graph input x
        Graph c = graph("conv_kinds"); // grouped(y) + y, no activation, a batch-norm after it
        assertEquals(1, applied(c, "conv_kinds", Passes::fuseResidual));
        try (Network net = Network.prepare(c, "conv_kinds", TestBackends.opencl())) {
            NetworkFixtureTest.assertClose("conv_kinds residual on OpenCL", Fixtures.tensor("conv_kinds.output.npy"),
                    net.run(Fixtures.tensor("conv_kinds.input.npy")));
            assertTrue(net.describe().contains("+residual"), net.describe());
        }
    }

    /** {@code Options.residualEpilogues} off leaves the Add a node of its own, with the same outputs. */
    @Test
    void residualEpiloguesCanBeSwitchedOff() {
        try (Network net = Network.load(Fixtures.model("conv_kinds"), "conv_kinds", TestBackends.opencl(), new Network.Options(true, false))) {
            NetworkFixtureTest.assertClose("conv_kinds without residual epilogues", Fixtures.tensor("conv_kinds.output.npy"),
                    net.run(Fixtures.tensor("conv_kinds.input.npy")));
            assertTrue(!net.describe().contains("+residual") && net.describe().lines().anyMatch(l -> l.startsWith("Add ")), net.describe());
        }
    }

    /**
     * {@code Add(a, b)} of two convolutions of x: only the later one takes the other as its residual (the earlier one's
     * residual would not exist yet when it runs); an Add that broadcasts, or whose convolution output is read again, stays.
     */
    @Test
    void residualNeedsItsOperandBeforeTheConvolutionAndNoBroadcast() {
        Map<String, Const> constants = Map.of("w1", Const.ofFloats(new int[] {2, 2, 1, 1}, new float[] {1f, -2f, 0.5f, 3f}),
                "w2", Const.ofFloats(new int[] {2, 2, 1, 1}, new float[] {-1f, 0.25f, 2f, 1f}));
        Node c1 = new Node("c1", "Conv", List.of("x", "w1"), List.of("a"), Map.of());
        Node c2 = new Node("c2", "Conv", List.of("x", "w2"), List.of("b"), Map.of());
        Node add = new Node("add", "Add", List.of("a", "b"), List.of("y"), Map.of());
        List<Graph.Input> input = List.of(new Graph.Input("x", new long[] {-1, 2, 2, 2}));
        Graph g = new Graph(List.of(c1, c2, add), constants, input, List.of("y"));
        Tensor x = Tensor.of(new float[] {1f, -2f, 3f, 0.5f, -1f, 4f, 2f, -3f}, new Shape(1, 2, 2, 2));
        Tensor unfused;
        try (Network net = Network.prepare(g, "two convolutions", TestBackends.cpu())) {
            unfused = net.run(x);
        }
        assertEquals(1, Passes.fuseResidual(g));
        assertEquals(List.of("c1", "c2"), g.nodes.stream().map(n -> n.name).toList());
        assertEquals("a", c2.input(3));
        assertTrue(!Passes.hasResidual(c1));
        for (org.convcl.Backend backend : TestBackends.all()) {
            try (Network net = Network.prepare(g, "two convolutions", backend)) {
                NetworkFixtureTest.assertClose("fused on " + backend, unfused, net.run(x));
            }
        }
        // y = conv(x) + GlobalAveragePool(x): [N,2,2,2] + [N,2,1,1] broadcasts
        Node c = new Node("c", "Conv", List.of("x", "w1"), List.of("a"), Map.of());
        Node gap = new Node("gap", "GlobalAveragePool", List.of("x"), List.of("s"), Map.of());
        Node bcast = new Node("add", "Add", List.of("a", "s"), List.of("y"), Map.of());
        assertEquals(0, Passes.fuseResidual(new Graph(List.of(gap, c, bcast), constants, input, List.of("y"))));
        // y = (conv(x) + x) · conv(x): the convolution's output has another reader
        Node c3 = new Node("c", "Conv", List.of("x", "w1"), List.of("a"), Map.of());
        Node sum = new Node("add", "Add", List.of("a", "x"), List.of("s"), Map.of());
        Node mul = new Node("mul", "Mul", List.of("s", "a"), List.of("y"), Map.of());
        assertEquals(0, Passes.fuseResidual(new Graph(List.of(c3, sum, mul), constants, input, List.of("y"))));
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
