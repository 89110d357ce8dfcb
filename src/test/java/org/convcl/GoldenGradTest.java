package org.convcl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every backend's gradients against PyTorch autograd in float64 ({@code scripts/make_golden_grad.py}): one folder per
 * case in {@code src/test/resources/golden-grad/}. Each case runs as a caller would train: forward, the layer's
 * activation backward from the forward output, then backward data and backward filter; within {@code 1e-4·max|grad|}.
 */
public class GoldenGradTest {

    /** One golden gradient case: the layer, its tensors and PyTorch's gradients ({@code gradBias} null without bias). */
    public record GradCase(String name, Path dir, ConvSpec spec, Tensor input, float[] weights, float[] bias, Activation activation,
                           Tensor gradOutput, Tensor gradInput, float[] gradWeight, float[] gradBias) {

        static GradCase load(GoldenFolder f) {
            return new GradCase(f.name(), f.dir(), f.layerSpec(), f.tensor("input"), f.array("weight").data(),
                    f.dataOrNull("bias"), Activation.parse(f.get("activation")), f.tensor("grad_output"),
                    f.tensor("grad_input"), f.array("grad_weight").data(), f.dataOrNull("grad_bias"));
        }

        /** The epilogue of the layer: its bias (if any) and activation. */
        public Epilogue epilogue() {
            Epilogue.Builder b = Epilogue.builder().activation(activation);
            if (bias != null) b.bias(bias);
            return b.build();
        }
    }

    /** Every case, sorted by name. */
    public static List<GradCase> cases() {
        return GoldenFolder.loadAll("/golden-grad", GradCase::load);
    }

    @Test
    void goldenSetCoversEveryKind() {
        List<GradCase> cases = cases();
        for (ConvSpec.Kind kind : ConvSpec.Kind.values()) {
            assertTrue(cases.stream().anyMatch(c -> c.spec().kind() == kind), "no golden gradient case of kind " + kind);
        }
        for (int gamma = 1; gamma <= 3; gamma++) {
            int g = gamma;
            assertTrue(cases.stream().anyMatch(c -> c.spec().depthMultiplier() == g), "no depthwise γ=" + g + " case");
        }
        for (Activation a : Activation.values()) {
            if (a.isClamp()) assertTrue(cases.stream().anyMatch(c -> c.activation() == a), "no " + a + " case");
        }
        assertTrue(cases.stream().anyMatch(c -> (c.input().shape().h() + c.spec().padTop() + c.spec().padBottom()
                - c.spec().dilationH() * (c.spec().kernelH() - 1) - 1) % c.spec().strideH() != 0), "no case whose stride leaves rows over");
    }

    @TestFactory
    Stream<DynamicTest> everyBackendMatchesPyTorchAutograd() {
        List<GradCase> cases = cases();
        return PerBackend.tests(cases, GradCase::name, (backend, c) -> {
            String where = "golden " + c.name() + " " + c.spec() + " on " + backend.device().describe();
            try (PreparedConv conv = backend.prepare(c.spec(), c.weights(), c.epilogue(), c.input().shape())) {
                Tensor y = conv.forward(c.input());
                Tensor dz = conv.activationBackward(y, c.gradOutput());
                ReferenceGradients.assertClose(ReferenceGradients.widen(c.gradInput().data()),
                        conv.backwardData(dz, c.input().shape()).data(), c.input().shape(), BackwardTest.REL, "grad_input " + where);
                ConvGradients.Filter f = conv.backwardFilter(c.input(), dz, c.bias() != null);
                ReferenceGradients.assertClose(ReferenceGradients.widen(c.gradWeight()), f.weights(),
                        ConvGradients.weightShape(c.spec()), BackwardTest.REL, "grad_weight " + where);
                if (c.bias() != null) {
                    ReferenceGradients.assertClose(ReferenceGradients.widen(c.gradBias()), f.bias(),
                            ConvGradients.biasShape(c.spec()), BackwardTest.REL, "grad_bias " + where);
                }
            }
        });
    }
}
