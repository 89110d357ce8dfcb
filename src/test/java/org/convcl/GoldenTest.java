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
 * Every backend against outputs computed by PyTorch ({@code scripts/make_golden.py}): one folder per case in
 * {@code src/test/resources/golden/} with input, weight, optional bias, expected output and the flags.
 */
class GoldenTest {

    /** One golden case: the spec built from the weight shape and the flags, its tensors and epilogue. */
    record GoldenCase(String name, ConvSpec spec, Tensor input, float[] weights, Epilogue epilogue, Tensor expected) {

        static GoldenCase load(Path dir) throws IOException {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(dir.resolve("case.properties"))) {
                p.load(in);
            }
            Npy.Array x = Npy.read(dir.resolve("input.npy"));
            Npy.Array w = Npy.read(dir.resolve("weight.npy"));
            int groups = Integer.parseInt(p.getProperty("groups"));
            int[] stride = ints(p, "stride");
            int[] pad = ints(p, "padding");
            int[] dilation = ints(p, "dilation");
            w.requireRank("weight", 4);
            ConvSpec spec = ConvSpec.builder(w.dim(1) * groups, w.dim(0), w.dim(2), w.dim(3))
                    .stride(stride[0], stride[1]).dilation(dilation[0], dilation[1]).groups(groups)
                    .padding(pad[0], pad[1], pad[2], pad[3]).build();
            Epilogue.Builder epilogue = Epilogue.builder().activation(Activation.parse(p.getProperty("activation")));
            Path bias = dir.resolve("bias.npy");
            if (Files.exists(bias)) epilogue.bias(Npy.read(bias).data());
            return new GoldenCase(dir.getFileName().toString(), spec, x.toTensor("input"), w.data(), epilogue.build(),
                    Npy.read(dir.resolve("expected.npy")).toTensor("expected"));
        }

        private static int[] ints(Properties p, String key) {
            String[] parts = p.getProperty(key).split(",");
            int[] v = new int[parts.length];
            for (int i = 0; i < parts.length; i++) v[i] = Integer.parseInt(parts[i].trim());
            return v;
        }
    }

    static List<GoldenCase> cases() {
        try (Stream<Path> dirs = Files.list(Path.of(GoldenTest.class.getResource("/golden").toURI()))) {
            List<GoldenCase> cases = new ArrayList<>();
            for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) cases.add(GoldenCase.load(dir));
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
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
