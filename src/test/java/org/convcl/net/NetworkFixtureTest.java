package org.convcl.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.convcl.Backend;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TestBackends;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every committed fixture (each supported operator and fusion) on every backend against PyTorch's output, at the
 * exported batch and at batch 1 (a dynamic batch: the same network, a second plan).
 */
class NetworkFixtureTest {
    /** Tolerance relative to the largest |output|: fp32 sums of at most a few hundred terms. */
    static final float RTOL = 1e-4f;

    @TestFactory
    Stream<DynamicTest> fixturesMatchPyTorch() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend backend : TestBackends.all()) {
            for (String name : Fixtures.NAMES) {
                tests.add(DynamicTest.dynamicTest(name + " on " + backend.device().describe(), () -> check(backend, name)));
            }
        }
        return tests.stream();
    }

    /** On each backend every fixture operator runs through the backend's TensorOps, except Softmax (Java). */
    @TestFactory
    Stream<DynamicTest> operatorsBesidesConvolutionsRunOnTheBackend() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend backend : TestBackends.all()) {
            for (String name : Fixtures.NAMES) {
                tests.add(DynamicTest.dynamicTest(name + " on " + backend.device().describe(), () -> {
                    try (Network net = Network.load(Fixtures.model(name), name, backend, Network.Options.DEFAULT)) {
                        List<String> host = net.describe().lines().filter(l -> l.endsWith(": in Java on the host")).toList();
                        assertEquals(name.equals("head") ? List.of("Softmax") : List.of(),
                                host.stream().map(l -> l.substring(0, l.indexOf(' '))).toList(), net.describe());
                    }
                }));
            }
        }
        return tests.stream();
    }

    /**
     * The 1×1 convolutions over a 1×1 image (the squeeze-excitation layers of "elementwise", the Gemm and MatMul of
     * "head") run as {@code TensorOps.dense}, and the SE block's HardSigmoid is the dense operation's function (the
     * outputs' match with PyTorch is {@link #fixturesMatchPyTorch}).
     */
    @TestFactory
    Stream<DynamicTest> fullyConnectedLayersRunAsDense() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend backend : TestBackends.all()) {
            tests.add(DynamicTest.dynamicTest("on " + backend.device().describe(), () -> {
                for (String name : List.of("elementwise", "head")) {
                    try (Network net = Network.load(Fixtures.model(name), name, backend, Network.Options.DEFAULT)) {
                        List<String> lines = net.describe().lines().toList();
                        long dense = lines.stream().filter(l -> l.endsWith(": dense (a 1x1 convolution over a 1x1 image) on the backend")).count();
                        List<String> folded = lines.stream().filter(l -> l.endsWith(": computed by the dense operation before it"))
                                .map(l -> l.substring(0, l.indexOf(' '))).toList();
                        assertEquals(2, dense, net.describe());
                        assertEquals(name.equals("elementwise") ? List.of("HardSigmoid") : List.of(), folded, net.describe());
                    }
                }
            }));
        }
        return tests.stream();
    }

    static void check(Backend backend, String name) {
        Tensor x = Fixtures.tensor(name + ".input.npy");
        Tensor expected = Fixtures.tensor(name + ".output.npy");
        try (Network net = Network.load(Fixtures.model(name), name, backend, Network.Options.DEFAULT)) {
            assertClose(name + " batch " + x.shape().n(), expected, net.run(x));
            Shape one = new Shape(1, x.shape().c(), x.shape().h(), x.shape().w());
            Tensor first = Tensor.of(Arrays.copyOf(x.data(), one.count()), one);
            Shape outOne = new Shape(1, expected.shape().c(), expected.shape().h(), expected.shape().w());
            assertClose(name + " batch 1", Tensor.of(Arrays.copyOf(expected.data(), outOne.count()), outOne), net.run(first));
            assertClose(name + " again", expected, net.run(x)); // the pooled buffers give the same answer
        }
    }

    static void assertClose(String what, Tensor expected, Tensor actual) {
        assertEquals(expected.shape(), actual.shape(), what + ": shape");
        float max = 0;
        for (float v : expected.data()) max = Math.max(max, Math.abs(v));
        float tol = RTOL * Math.max(1f, max);
        int worst = -1;
        float worstErr = 0;
        for (int i = 0; i < expected.data().length; i++) {
            float err = Math.abs(expected.data()[i] - actual.data()[i]);
            if (!(err <= worstErr)) { worstErr = err; worst = i; }
        }
        if (!(worstErr <= tol)) {
            throw new AssertionError(what + ": worst |error| " + worstErr + " at flat index " + worst + " (expected "
                    + expected.data()[worst] + ", got " + actual.data()[worst] + "), tolerance " + tol);
        }
    }
}
