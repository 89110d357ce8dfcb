package org.convcl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.convcl.cli.Npy;
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

        static GradCase load(Path dir) throws IOException {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(dir.resolve("case.properties"))) {
                p.load(in);
            }
            Npy.Array x = Npy.read(dir.resolve("input.npy"));
            Npy.Array w = Npy.read(dir.resolve("weight.npy"));
            int groups = Integer.parseInt(p.getProperty("groups"));
            int[] stride = ints(p, "stride"), pad = ints(p, "padding"), dilation = ints(p, "dilation");
            ConvSpec spec = ConvSpec.builder(w.dim(1) * groups, w.dim(0), w.dim(2), w.dim(3))
                    .stride(stride[0], stride[1]).dilation(dilation[0], dilation[1]).groups(groups)
                    .padding(pad[0], pad[1], pad[2], pad[3]).build();
            boolean hasBias = Files.exists(dir.resolve("bias.npy"));
            return new GradCase(dir.getFileName().toString(), dir, spec, x.toTensor("input"), w.data(),
                    hasBias ? Npy.read(dir.resolve("bias.npy")).data() : null, Activation.parse(p.getProperty("activation")),
                    Npy.read(dir.resolve("grad_output.npy")).toTensor("grad_output"),
                    Npy.read(dir.resolve("grad_input.npy")).toTensor("grad_input"),
                    Npy.read(dir.resolve("grad_weight.npy")).data(),
                    hasBias ? Npy.read(dir.resolve("grad_bias.npy")).data() : null);
        }

        private static int[] ints(Properties p, String key) {
            String[] parts = p.getProperty(key).split(",");
            int[] v = new int[parts.length];
            for (int i = 0; i < parts.length; i++) v[i] = Integer.parseInt(parts[i].trim());
            return v;
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
        try (Stream<Path> dirs = Files.list(Path.of(GoldenGradTest.class.getResource("/golden-grad").toURI()))) {
            List<GradCase> cases = new ArrayList<>();
            for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) cases.add(GradCase.load(dir));
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
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
