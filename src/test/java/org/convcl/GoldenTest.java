package org.convcl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every backend against outputs computed by PyTorch ({@code scripts/make_golden.py}): one folder per case in
 * {@code src/test/resources/golden/} with input, weight, optional bias, expected output and the flags.
 */
class GoldenTest {

    /** One golden case: the spec built from the weight shape and the flags, its tensors and epilogue. */
    record GoldenCase(String name, ConvSpec spec, Tensor input, float[] weights, Epilogue epilogue, Tensor expected) {

        static GoldenCase load(GoldenFolder f) {
            Epilogue.Builder epilogue = Epilogue.builder().activation(Activation.parse(f.get("activation")));
            if (f.has("bias")) epilogue.bias(f.array("bias").data());
            return new GoldenCase(f.name(), f.layerSpec(), f.tensor("input"), f.array("weight").data(), epilogue.build(),
                    f.tensor("expected"));
        }
    }

    static List<GoldenCase> cases() {
        return GoldenFolder.loadAll("/golden", GoldenCase::load);
    }

    @Test
    void goldenSetCoversEveryKind() {
        List<GoldenCase> cases = cases();
        assertTrue(cases.size() >= 10, "expected at least 10 golden cases, found " + cases.size());
        for (ConvSpec.Kind kind : ConvSpec.Kind.values()) {
            assertTrue(cases.stream().anyMatch(c -> c.spec().kind() == kind), "no golden case of kind " + kind);
        }
        assertTrue(cases.stream().anyMatch(c -> c.spec().depthMultiplier() == 2), "no depthwise γ=2 case");
    }

    @TestFactory
    Stream<DynamicTest> everyBackendMatchesPyTorch() {
        List<GoldenCase> cases = cases();
        return TestBackends.all().stream().flatMap(backend -> cases.stream().map(c -> DynamicTest.dynamicTest(
                c.name() + " on " + backend.device().id(), () -> {
                    Tensor actual = backend.conv2d(c.input(), c.spec(), c.weights(), c.epilogue());
                    TensorAssert.assertClose(c.expected(), actual, c.spec().reductionLength(),
                            "golden " + c.name() + " " + c.spec() + " on " + backend.device().describe());
                })));
    }
}
