package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.convcl.opencl.OpenClBackend;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link Backend#prepare(ConvSpec, float[], Epilogue, Shape)} and the composites that pass an expected input on
 * (unfused blocks, spatially separable layers): the shape is validated alike on every backend, the answers match
 * the reference for that shape and for others, and on OpenCL the first forward with the expected shape neither
 * builds a program nor allocates a buffer (intermediates are allocated at prepare).
 */
class ExpectedInputTest {
    /** Reuses WinogradTest's and SeparableBlockTest's layers so that their programs are shared. */
    private static final ConvSpec FULL = ConvSpec.full(5, 11, 3).padding(1).build();
    private static final Shape FULL_INPUT = new Shape(1, 5, 7, 9);
    private static final SeparableBlock BLOCK = SeparableBlock.mobilenet(8, 16, 1);
    private static final Shape BLOCK_INPUT = new Shape(1, 8, 9, 9);

    private static float[] random(SplittableRandom r, int n) {
        return SeparableBlockTest.random(r, n, -1, 1);
    }

    /** The same {@link IllegalArgumentException} message on every backend; returns it. */
    private static String sameMessageEverywhere(Function<Backend, Object> call) {
        String first = null;
        for (Backend b : TestBackends.all()) {
            String message = assertThrows(IllegalArgumentException.class, () -> call.apply(b), b.device().id()).getMessage();
            if (first == null) first = message; else assertEquals(first, message, "message on " + b.device().id());
        }
        return first;
    }

    @Test
    void aShapeThatDoesNotFitIsRefusedNamingTheFieldAndValueOnEveryBackend() {
        float[] w = new float[FULL.weightCount()];
        String channels = sameMessageEverywhere(b -> b.prepare(FULL, w, Epilogue.none(), new Shape(1, 6, 7, 9)));
        assertTrue(channels.contains("expectedInput [1, 6, 7, 9]") && channels.contains("c=6")
                && channels.contains("inChannels=5"), channels);
        ConvSpec unpadded = ConvSpec.full(5, 11, 3).build();
        String tooSmall = sameMessageEverywhere(b -> b.prepare(unpadded, w, Epilogue.none(), new Shape(1, 5, 2, 9)));
        assertTrue(tooSmall.contains("expectedInput [1, 5, 2, 9]") && tooSmall.contains("height 2"), tooSmall);
        String spec = sameMessageEverywhere(b -> b.prepare(null, w, Epilogue.none(), FULL_INPUT));
        assertEquals("spec must not be null", spec);

        float[] dw = new float[BLOCK.depthwise().weightCount()], pw = new float[BLOCK.pointwise().weightCount()];
        String block = sameMessageEverywhere(b -> b.prepareBlock(BLOCK, dw, pw, BlockMode.UNFUSED, new Shape(1, 9, 9, 9)));
        assertTrue(block.contains("expectedInput") && block.contains("c=9") && block.contains("inChannels=8"), block);
        ConvSpec depthwise = ConvSpec.depthwise(4, 1, 3).padding(1).build();
        String factored = sameMessageEverywhere(b -> SpatialSeparable.prepareFactored(b, depthwise,
                new float[depthwise.weightCount()], Epilogue.none(), 1e-3, new Shape(1, 3, 5, 5)));
        assertTrue(factored.contains("expectedInput") && factored.contains("c=3") && factored.contains("inChannels=4"), factored);
        // null is "unknown", not an error
        assertEquals(null, FULL.expectedOutputShape(null));
        assertEquals(new Shape(1, 11, 7, 9), FULL.expectedOutputShape(FULL_INPUT));
    }

    /**
     * Runs {@code conv} on {@code x} into device tensors made beforehand; on OpenCL the call must build no program
     * and allocate no buffer. Returns the downloaded output.
     */
    private static Tensor firstForward(Backend backend, PreparedConv conv, Tensor x, String what) {
        try (DeviceTensor in = backend.upload(x); DeviceTensor out = backend.allocate(conv.outputShape(x.shape()))) {
            if (backend instanceof OpenClBackend cl) {
                int builds = cl.buildCount(), buffers = cl.liveBufferCount();
                conv.forward(in, out);
                assertEquals(builds, cl.buildCount(), what + ": programs built by the first forward; plan " + conv.plan());
                assertEquals(buffers, cl.liveBufferCount(), what + ": buffers allocated by the first forward");
            } else {
                conv.forward(in, out);
            }
            return out.download();
        }
    }

    /** How to prepare an operation with an expected input (null: unknown), its reference, and its tolerance. */
    private record Case(String name, BiFunction<Backend, Shape, PreparedConv> prepare, UnaryOperator<Tensor> reference,
                        int reduction, Shape input, Shape other) {}

    private static List<Case> cases() {
        SplittableRandom r = new SplittableRandom(41);
        float[] w = random(r, FULL.weightCount());
        Epilogue biasRelu = Epilogue.builder().bias(random(r, 11)).activation(Activation.RELU).build();
        float[] dw = random(r, BLOCK.depthwise().weightCount()), pw = random(r, BLOCK.pointwise().weightCount());
        ConvSpec depthwise = ConvSpec.depthwise(4, 1, 3).padding(1).build();
        float[] rankOne = new float[depthwise.weightCount()];
        for (int c = 0; c < 4; c++) {
            float[] col = {1, 2 + c, 1}, row = {-1, 0, 1 + c};
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) rankOne[c * 9 + i * 3 + j] = col[i] * row[j];
        }
        return List.of(
                new Case("conv", (b, s) -> b.prepare(FULL, w, biasRelu, s), x -> Reference.conv2d(x, FULL, w, biasRelu),
                        FULL.reductionLength(), FULL_INPUT, new Shape(2, 5, 12, 10)),
                new Case("unfused block", (b, s) -> b.prepareBlock(BLOCK, dw, pw, BlockMode.UNFUSED, s),
                        x -> Reference.conv2d(Reference.conv2d(x, BLOCK.depthwise(), dw, BLOCK.depthwiseEpilogue()),
                                BLOCK.pointwise(), pw, BLOCK.pointwiseEpilogue()),
                        SeparableBlockTest.reduction(BLOCK), BLOCK_INPUT, new Shape(2, 8, 5, 6)),
                new Case("spatially separable", (b, s) -> {
                    PreparedConv conv = SpatialSeparable.prepareFactored(b, depthwise, rankOne, Epilogue.none(), 1e-5, s);
                    assertTrue(conv.plan().startsWith("spatially separable"), conv.plan());
                    return conv;
                }, x -> Reference.conv2d(x, depthwise, rankOne, Epilogue.none()), 9, new Shape(1, 4, 6, 7), new Shape(1, 4, 3, 11)));
    }

    @TestFactory
    Stream<DynamicTest> theExpectedShapeAndOthersGiveTheReferenceAnswers() {
        return PerBackend.tests(cases(), Case::name, (backend, c) -> {
            SplittableRandom r = new SplittableRandom(c.name().hashCode());
            Tensor x = Tensor.of(random(r, c.input().count()), c.input());
            Tensor other = Tensor.of(random(r, c.other().count()), c.other());
            try (PreparedConv conv = c.prepare().apply(backend, c.input())) {
                Tensor expected = c.reference().apply(x);
                TensorAssert.assertClose(expected, firstForward(backend, conv, x, c.name()), c.reduction(),
                        c.name() + " expected shape: " + conv.plan());
                // another shape is planned (and, on OpenCL, built if need be) at its first forward
                TensorAssert.assertClose(c.reference().apply(other), conv.forward(other), c.reduction(),
                        c.name() + " other shape " + c.other() + ": " + conv.plan());
                TensorAssert.assertClose(expected, conv.forward(x), c.reduction(), c.name() + " expected shape again");
            }
        });
    }
}
