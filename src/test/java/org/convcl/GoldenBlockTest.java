package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
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

    static List<Golden> load() {
        List<Golden> cases = GoldenFolder.loadAll("/golden-block", GoldenBlockTest::read);
        assertEquals(5, cases.size(), "golden block cases");
        return cases;
    }

    private static Golden read(GoldenFolder f) {
        int[] stride = f.ints("stride"), pad = f.ints("padding"), dilation = f.ints("dilation");
        float eps = Float.parseFloat(f.get("eps"));
        Npy.Array dw = f.array("dw_weight");
        Npy.Array pw = f.array("pw_weight");
        Tensor input = f.tensor("input");
        SeparableBlock block = SeparableBlock.builder(input.shape().c(), pw.dim(0))
                .depthMultiplier(Integer.parseInt(f.get("multiplier")))
                .kernel(dw.dim(2), dw.dim(3)).stride(stride[0], stride[1]).dilation(dilation[0], dilation[1])
                .padding(pad[0], pad[1], pad[2], pad[3])
                .depthwise(norm(f.array("dw_bn"), eps), Activation.parse(f.get("dw_activation")))
                .pointwise(norm(f.array("pw_bn"), eps), Activation.parse(f.get("pw_activation")))
                .build();
        return new Golden(f.name(), block, dw.data(), pw.data(), input, f.tensor("expected"));
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
    Stream<DynamicTest> pytorchBlocks() {
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
