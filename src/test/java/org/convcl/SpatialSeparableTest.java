package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Spatially separable layers on every backend against the naive reference of the K×K (or two-step) layer. */
class SpatialSeparableTest {
    private static final float[] GAUSS_COLUMN = {1, 4, 6, 4, 1};
    private static final float[] SOBEL_COLUMN = {1, 2, 1}, SOBEL_ROW = {-1, 0, 1};
    private static final float[] LAPLACIAN = {0, 1, 0, 1, -4, 1, 0, 1, 0};

    /** Rank-1 filters for every output channel: a random column times a random row, scaled per channel. */
    static float[] rankOneFilters(SplittableRandom r, int channels, int kh, int kw) {
        float[] w = new float[channels * kh * kw];
        for (int o = 0; o < channels; o++) {
            float[] col = SeparableBlockTest.random(r, kh, -1, 1), row = SeparableBlockTest.random(r, kw, -1, 1);
            for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++) w[(o * kh + y) * kw + x] = col[y] * row[x];
        }
        return w;
    }

    static float[] outer(float[] column, float[] row, float scale) {
        float[] k = new float[column.length * row.length];
        for (int y = 0; y < column.length; y++) for (int x = 0; x < row.length; x++) k[y * row.length + x] = column[y] * row[x] * scale;
        return k;
    }

    record Case(String name, ConvSpec spec, float[] weights, Epilogue epilogue, Tensor input, boolean separable) {}

    static List<Case> cases() {
        SplittableRandom r = new SplittableRandom(42);
        ConvSpec gaussSpec = ConvSpec.depthwise(2, 1, 5).padding(2).build();
        float[] gauss = new float[50];
        System.arraycopy(outer(GAUSS_COLUMN, GAUSS_COLUMN, 1f / 256), 0, gauss, 0, 25);
        System.arraycopy(outer(new float[] {1, 2, 3, 2, 1}, GAUSS_COLUMN, 0.01f), 0, gauss, 25, 25);
        ConvSpec sobelSpec = ConvSpec.depthwise(3, 2, 3).stride(2, 1).dilation(1, 2).padding(1, 2, 0, 1).build();
        float[] sobel = rankOneFilters(r, 6, 3, 3);
        System.arraycopy(outer(SOBEL_COLUMN, SOBEL_ROW, 1), 0, sobel, 0, 9);
        ConvSpec lapSpec = ConvSpec.depthwise(1, 1, 3).padding(1).build();
        return List.of(
                new Case("gaussian 5x5", gaussSpec, gauss, Epilogue.none(), input(r, 1, 2, 11, 9), true),
                new Case("sobel and random rank-1, γ 2, stride 2x1, dilation 1x2, asymmetric padding, bn relu6", sobelSpec,
                        sobel, Epilogue.builder().bias(SeparableBlockTest.random(r, 6, -1, 1))
                        .batchNorm(SeparableBlockTest.randomNorm(r, 6)).activation(Activation.RELU6).build(),
                        input(r, 2, 3, 10, 13), true),
                new Case("laplacian (not separable)", lapSpec, LAPLACIAN, Epilogue.activation(Activation.RELU),
                        input(r, 1, 1, 7, 7), false));
    }

    static Tensor input(SplittableRandom r, int n, int c, int h, int w) {
        return Tensor.of(SeparableBlockTest.random(r, n * c * h * w, -1, 1), n, c, h, w);
    }

    @TestFactory
    Stream<DynamicTest> factoredDepthwiseMatchesReference() {
        return PerBackend.tests(cases(), Case::name, (backend, c) -> {
            Tensor expected = Reference.conv2d(c.input, c.spec, c.weights, c.epilogue);
            try (PreparedConv conv = SpatialSeparable.prepareFactored(backend, c.spec, c.weights, c.epilogue, 1e-5)) {
                assertEquals(c.separable, conv.plan().startsWith("spatially separable"), conv.plan());
                assertEquals(c.spec, conv.spec());
                // The factors carry the rank-1 error (1e-7 relative) into the result: a slightly looser atol.
                TensorAssert.assertClose(expected, conv.forward(c.input), 4 * c.spec.reductionLength(),
                        c.name + " on " + backend.device().id() + ": " + conv.plan());
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> learnedPairMatchesTwoStepReference() {
        SplittableRandom r = new SplittableRandom(7);
        ConvSpec column = ConvSpec.builder(3, 5, 3, 1).stride(2, 1).padding(1, 0, 1, 0).build();
        ConvSpec row = ConvSpec.builder(5, 4, 1, 3).stride(1, 2).dilation(1, 2).padding(0, 2, 0, 1).build();
        float[] w1 = SeparableBlockTest.random(r, column.weightCount(), -1, 1);
        float[] w2 = SeparableBlockTest.random(r, row.weightCount(), -1, 1);
        Epilogue e1 = Epilogue.builder().batchNorm(SeparableBlockTest.randomNorm(r, 5)).activation(Activation.RELU).build();
        Epilogue e2 = Epilogue.bias(SeparableBlockTest.random(r, 4, -1, 1));
        Tensor in = input(r, 2, 3, 9, 12);
        Tensor expected = Reference.conv2d(Reference.conv2d(in, column, w1, e1), row, w2, e2);
        return PerBackend.tests(List.of(in), t -> "inception 3x1 then 1x3", (backend, t) -> {
            try (PreparedConv conv = SpatialSeparable.prepareLearned(backend, column, w1, e1, row, w2, e2)) {
                assertTrue(conv.plan().startsWith("learned spatially separable: 3x1 3->5 then 1x3 5->4"), conv.plan());
                assertEquals(expected.shape(), conv.outputShape(in.shape()));
                assertEquals(expected.shape(), conv.spec().outputShape(in.shape()));
                TensorAssert.assertClose(expected, conv.forward(t), 15, conv.plan());
                try (DeviceTensor din = backend.upload(t); DeviceTensor out = conv.forward(din)) {
                    TensorAssert.assertClose(expected, out.download(), 15, "device tensors: " + conv.plan());
                }
            }
        });
    }

    @Test
    void worstErrorAndInvalidInput() {
        ConvSpec lap = ConvSpec.depthwise(1, 1, 3).padding(1).build();
        assertEquals((Math.sqrt(6) - 2) / Math.sqrt(20), SpatialSeparable.worstError(lap, LAPLACIAN), 1e-6);
        assertTrue(SpatialSeparable.worstError(ConvSpec.depthwise(1, 1, 3).build(), outer(SOBEL_COLUMN, SOBEL_ROW, 1)) < 1e-6);
        Backend cpu = TestBackends.cpu();
        assertEquals("spec must be depthwise (groups == inChannels), got " + ConvSpec.full(2, 2, 3).build(),
                assertThrows(IllegalArgumentException.class, () -> SpatialSeparable.prepareFactored(cpu,
                        ConvSpec.full(2, 2, 3).build(), new float[36], Epilogue.none(), 1e-3)).getMessage());
        assertEquals("tolerance must be non-negative, got -1.0", assertThrows(IllegalArgumentException.class,
                () -> SpatialSeparable.prepareFactored(cpu, lap, LAPLACIAN, Epilogue.none(), -1)).getMessage());
        assertEquals("weights length 8 does not match spec 1x1x3x3 = 9", assertThrows(IllegalArgumentException.class,
                () -> SpatialSeparable.prepareFactored(cpu, lap, new float[8], Epilogue.none(), 1e-3)).getMessage());
        ConvSpec column = ConvSpec.builder(3, 5, 3, 1).build();
        ConvSpec notRow = ConvSpec.builder(5, 4, 3, 3).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpatialSeparable.prepareLearned(cpu,
                column, new float[45], Epilogue.none(), notRow, new float[180], Epilogue.none()));
        assertTrue(e.getMessage().startsWith("rowStep must be 1xK"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SpatialSeparable.prepareLearned(cpu, column, new float[45],
                Epilogue.none(), ConvSpec.builder(4, 4, 1, 3).build(), new float[48], Epilogue.none()));
        assertEquals("rowStep inChannels 4 does not match columnStep outChannels 5", e.getMessage());
        assertFalse(SpatialSeparable.prepareFactored(cpu, lap, LAPLACIAN, Epilogue.none(), 0.2).plan().isEmpty());
    }
}
