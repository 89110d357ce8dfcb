package org.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Folding batch-norm into weights and bias, and the epilogue's validation messages. */
class EpilogueTest {
    private static final ConvSpec SPEC = ConvSpec.full(3, 4, 3).padding(1).build();

    @ParameterizedTest(name = "{0}")
    @EnumSource(Activation.class)
    void foldedEqualsUnfoldedBiasBatchNormActivation(Activation activation) {
        SplittableRandom random = new SplittableRandom(7 + activation.ordinal());
        float[] weights = ParitySweepTest.uniform(random, SPEC.weightCount(), 1f);
        Tensor input = Tensor.of(ParitySweepTest.uniform(random, 2 * 3 * 6 * 5, 1f), 2, 3, 6, 5);
        Epilogue epilogue = Epilogue.builder().bias(ParitySweepTest.uniform(random, 4, 1f))
                .batchNorm(new float[] {0.5f, -0.25f, 0, 1}, new float[] {0.3f, 1, 2, 0.05f},
                        new float[] {2.5f, -1, 3, 0.7f}, new float[] {0.1f, 0.2f, -0.3f, 4}, 1e-3f)
                .activation(activation).build();

        Epilogue.Folded folded = epilogue.fold(SPEC, weights);
        Tensor unfolded = Reference.conv2d(input, SPEC, weights, epilogue);
        Tensor viaFold = Reference.conv2d(input, SPEC, folded.weights(),
                Epilogue.builder().bias(folded.bias()).activation(folded.activation()).build());
        TensorAssert.assertClose(unfolded, viaFold, TensorAssert.atol(SPEC.reductionLength()) * 10, TensorAssert.RTOL,
                "fold with " + activation);
        assertEquals(activation, folded.activation());
    }

    @Test
    void foldScalesEachChannelAndShiftsTheBias() {
        // One weight per channel (pointwise 1→2): scale0 = 2/√4 = 1, scale1 = 3/√(0.25) = 6.
        Epilogue e = Epilogue.builder().bias(new float[] {1, -1})
                .batchNorm(new float[] {0.5f, 1}, new float[] {4, 0.25f}, new float[] {2, 3}, new float[] {10, 20}, 0f).build();
        Epilogue.Folded f = e.fold(ConvSpec.pointwise(1, 2), new float[] {0.25f, 2});
        assertArrayEquals(new float[] {0.25f, 12}, f.weights());
        // (1 − 0.5)·1 + 10 = 10.5; (−1 − 1)·6 + 20 = 8.
        assertArrayEquals(new float[] {10.5f, 8}, f.bias());
    }

    @Test
    void foldWithoutBatchNormCopiesAndKeepsTheArguments() {
        float[] weights = {1, 2};
        float[] bias = {3, 4};
        Epilogue e = Epilogue.bias(bias);
        bias[0] = 99; // the epilogue copied its bias in
        Epilogue.Folded f = e.fold(ConvSpec.pointwise(1, 2), weights);
        f.weights()[0] = 42;
        assertArrayEquals(new float[] {1, 2}, weights);
        assertArrayEquals(new float[] {3, 4}, f.bias());
        assertNull(Epilogue.none().fold(ConvSpec.pointwise(1, 2), weights).bias());
        assertEquals(Activation.NONE, Epilogue.none().activationKind());
    }

    @Test
    void activationsLetNaNThrough() {
        assertTrue(Float.isNaN(Activation.RELU.apply(Float.NaN)));
        assertTrue(Float.isNaN(Activation.RELU6.apply(Float.NaN)));
        assertEquals(0f, Activation.RELU.apply(Float.NEGATIVE_INFINITY));
        assertEquals(6f, Activation.RELU6.apply(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, Activation.RELU.apply(Float.POSITIVE_INFINITY));
        assertEquals(5.5f, Activation.RELU6.apply(5.5f));
        assertEquals(Activation.RELU6, Activation.parse(" ReLU6 "));
        assertTrue(Float.isNaN(Activation.HARDSWISH.apply(Float.NaN)));
        assertTrue(Float.isNaN(Activation.HARDSWISH.apply(Float.NEGATIVE_INFINITY))); // −∞ · 0, as in PyTorch
        assertEquals(Float.POSITIVE_INFINITY, Activation.HARDSWISH.apply(Float.POSITIVE_INFINITY));
        assertEquals(-0f, Activation.HARDSWISH.apply(-3f)); // −3 · 0, as in PyTorch
        assertEquals(3f, Activation.HARDSWISH.apply(3f));
        assertEquals(-1f / 3, Activation.HARDSWISH.apply(-1f), 1e-7f); // −1 · (−1/6 + 1/2)
        assertEquals(Activation.HARDSWISH, Activation.parse("HardSwish"));
        assertThrows(IllegalStateException.class, Activation.HARDSWISH::lower);
    }

    private static final float[] TWO = {1, 1}, FOUR = {1, 1, 1, 1};

    static Stream<Arguments> invalid() {
        return Stream.of(
            bad("null weights", () -> Epilogue.none().fold(SPEC, null), "weights must not be null"),
            bad("short weights", () -> Epilogue.none().fold(SPEC, new float[5]), "weights length 5 does not match spec 4x3x3x3 = 108"),
            bad("bias length", () -> Epilogue.bias(new float[3]).fold(SPEC, new float[108]), "bias length 3 does not match outChannels=4"),
            bad("batch-norm length", () -> Epilogue.builder().batchNorm(TWO, TWO, TWO, TWO, 0f).build().fold(SPEC, new float[108]),
                    "batchNorm length 2 does not match outChannels=4"),
            bad("batch-norm arrays differ", () -> new Epilogue.BatchNorm(TWO, new float[] {1, 1, 1}, TWO, TWO, 0f),
                    "batchNorm arrays differ in length: mean 2, variance 3, gamma 2, beta 2"),
            bad("null mean", () -> new Epilogue.BatchNorm(null, TWO, TWO, TWO, 0f), "batchNorm.mean must not be null"),
            bad("null variance", () -> new Epilogue.BatchNorm(TWO, null, TWO, TWO, 0f), "batchNorm.variance must not be null"),
            bad("null gamma", () -> new Epilogue.BatchNorm(TWO, TWO, null, TWO, 0f), "batchNorm.gamma must not be null"),
            bad("null beta", () -> new Epilogue.BatchNorm(TWO, TWO, TWO, null, 0f), "batchNorm.beta must not be null"),
            bad("negative variance + eps", () -> new Epilogue.BatchNorm(FOUR, new float[] {1, -1, 1, 1}, FOUR, FOUR, 0.5f),
                    "batchNorm.variance[1] + eps must be positive, got -1.0 + 0.5"),
            bad("zero variance and eps", () -> new Epilogue.BatchNorm(TWO, new float[] {1, 0}, TWO, TWO, 0f),
                    "batchNorm.variance[1] + eps must be positive, got 0.0 + 0.0"),
            bad("negative eps", () -> new Epilogue.BatchNorm(TWO, TWO, TWO, TWO, -1e-5f),
                    "batchNorm.eps must be finite and non-negative, got -1.0E-5"),
            bad("NaN eps", () -> new Epilogue.BatchNorm(TWO, TWO, TWO, TWO, Float.NaN),
                    "batchNorm.eps must be finite and non-negative, got NaN"),
            bad("null activation", () -> Epilogue.builder().activation(null), "activation must not be null"),
            bad("unknown activation", () -> Activation.parse("gelu"), "activation must be one of none, relu, relu6, hardswish, got 'gelu'"));
    }

    private static Arguments bad(String what, Executable build, String message) {
        return Arguments.of(what, build, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidEpiloguesNameTheFieldAndValue(String what, Executable build, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, build, what).getMessage());
    }
}
