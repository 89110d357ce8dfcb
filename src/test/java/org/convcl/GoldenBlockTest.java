package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.Reader;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.convcl.cli.Npy;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Depthwise-separable blocks computed by PyTorch (conv2d → batch_norm → act → conv2d → batch_norm → act, eval
 * mode; {@code scripts/make_golden_block.py}) reproduced on every backend, fused and unfused.
 */
class GoldenBlockTest {

    record Golden(String name, SeparableBlock block, float[] dw, float[] pw, Tensor input, Tensor expected) {}

    static List<Golden> load() throws IOException, URISyntaxException {
        Path root = Path.of(GoldenBlockTest.class.getResource("/golden-block").toURI());
        try (Stream<Path> dirs = Files.list(root)) {
            List<Golden> cases = dirs.filter(Files::isDirectory).sorted().map(GoldenBlockTest::read).toList();
            assertEquals(5, cases.size(), "golden block cases under " + root);
            return cases;
        }
    }

    private static Golden read(Path dir) {
        try {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(dir.resolve("case.properties"))) {
                p.load(r);
            }
            int[] stride = ints(p, "stride"), pad = ints(p, "padding"), dilation = ints(p, "dilation");
            float eps = Float.parseFloat(p.getProperty("eps"));
            Npy.Array dw = Npy.read(dir.resolve("dw_weight.npy"));
            Npy.Array pw = Npy.read(dir.resolve("pw_weight.npy"));
            Tensor input = Npy.read(dir.resolve("input.npy")).toTensor("input");
            SeparableBlock block = SeparableBlock.builder(input.shape().c(), pw.dim(0))
                    .depthMultiplier(Integer.parseInt(p.getProperty("multiplier")))
                    .kernel(dw.dim(2), dw.dim(3)).stride(stride[0], stride[1]).dilation(dilation[0], dilation[1])
                    .padding(pad[0], pad[1], pad[2], pad[3])
                    .depthwise(norm(Npy.read(dir.resolve("dw_bn.npy")), eps), Activation.parse(p.getProperty("dw_activation")))
                    .pointwise(norm(Npy.read(dir.resolve("pw_bn.npy")), eps), Activation.parse(p.getProperty("pw_activation")))
                    .build();
            return new Golden(dir.getFileName().toString(), block, dw.data(), pw.data(), input,
                    Npy.read(dir.resolve("expected.npy")).toTensor("expected"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int[] ints(Properties p, String key) {
        return Arrays.stream(p.getProperty(key).split(",")).mapToInt(Integer::parseInt).toArray();
    }

    /** Rows mean, var, weight, bias of a {@code [4, C]} array. */
    private static Epilogue.BatchNorm norm(Npy.Array a, float eps) {
        a.requireRank("batch-norm parameters", 2);
        int c = a.dim(1);
        float[] d = a.data();
        return new Epilogue.BatchNorm(Arrays.copyOfRange(d, 0, c), Arrays.copyOfRange(d, c, 2 * c),
                Arrays.copyOfRange(d, 2 * c, 3 * c), Arrays.copyOfRange(d, 3 * c, 4 * c), eps);
    }

    @TestFactory
    Stream<DynamicTest> pytorchBlocks() throws Exception {
        List<Golden> cases = load();
        return Stream.of(BlockMode.FUSED, BlockMode.UNFUSED).flatMap(mode -> PerBackend.tests(cases,
                g -> mode + " " + g.name, (backend, g) -> {
                    try (PreparedBlock b = backend.prepareBlock(g.block, g.dw, g.pw, mode)) {
                        TensorAssert.assertClose(g.expected, b.forward(g.input), SeparableBlockTest.reduction(g.block),
                                g.name + " " + g.block + " on " + backend.device().id() + ": " + b.plan());
                    }
                }));
    }
}
