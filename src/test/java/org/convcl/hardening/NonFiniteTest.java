package org.convcl.hardening;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.convcl.Activation;
import org.convcl.Backend;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Reference;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.TestBackends;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * NaN and ±Inf in the input, the weights and the bias propagate exactly as in the reference on every backend
 * and every kind: a NaN stays NaN through ReLU and ReLU6, Inf − Inf becomes NaN, Inf times a padded zero is
 * never computed (padding is skipped, not multiplied). {@link TensorAssert} requires NaN where the reference
 * has NaN and the identical infinity where it has one.
 */
class NonFiniteTest {

    /** Where the non-finite values go. */
    enum Poison { INPUT, WEIGHTS, BIAS, INPUT_AND_WEIGHTS }

    record Case(String name, ConvSpec spec, Shape input, Poison poison, Activation activation) {}

    static List<Case> cases() {
        List<ConvSpec> specs = List.of(
                ConvSpec.full(3, 5, 3).padding(1).build(),
                ConvSpec.full(4, 6, 3).groups(2).stride(2).padding(1, 0, 2, 1).build(),
                ConvSpec.depthwise(3, 2, 3).padding(1).dilation(2).build(),
                ConvSpec.pointwise(5, 6));
        List<Case> cases = new ArrayList<>();
        for (ConvSpec spec : specs) {
            for (Poison poison : Poison.values()) {
                for (Activation act : Activation.values()) {
                    cases.add(new Case(spec + " " + poison + " " + act, spec, new Shape(2, spec.inChannels(), 7, 6),
                            poison, act));
                }
            }
        }
        return cases;
    }

    /**
     * Values in [-1, 1]; when poisoned, NaN, +Inf and -Inf at three distinct seeded positions (so each kind
     * is there) and at about one in {@code every} of the others.
     */
    static float[] poisoned(Random rnd, int n, int every, boolean poison) {
        float[] a = new float[n];
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int i = 0; i < n; i++) {
            a[i] = poison && rnd.nextInt(every) == 0 ? special[rnd.nextInt(3)] : rnd.nextFloat() * 2 - 1;
        }
        if (poison) {
            int start = rnd.nextInt(n), step = Math.max(1, n / 3);
            for (int k = 0; k < Math.min(3, n); k++) a[(start + k * step) % n] = special[k];
        }
        return a;
    }

    @TestFactory
    Stream<DynamicTest> nonFiniteValuesPropagateAsInTheReference() {
        List<Backend> backends = TestBackends.all();
        return backends.stream().flatMap(b -> cases().stream().map(c -> DynamicTest.dynamicTest(
                b.device().id() + " " + c.name(), () -> check(b, c))));
    }

    private static void check(Backend backend, Case c) {
        Random rnd = new Random(c.name().hashCode());
        ConvSpec spec = c.spec();
        boolean inPoison = c.poison() == Poison.INPUT || c.poison() == Poison.INPUT_AND_WEIGHTS;
        boolean wPoison = c.poison() == Poison.WEIGHTS || c.poison() == Poison.INPUT_AND_WEIGHTS;
        Tensor x = Tensor.of(poisoned(rnd, c.input().count(), 40, inPoison), c.input());
        float[] w = poisoned(rnd, spec.weightCount(), 25, wPoison);
        float[] bias = poisoned(rnd, spec.outChannels(), 3, c.poison() == Poison.BIAS);
        Epilogue epilogue = Epilogue.builder().bias(bias).activation(c.activation()).build();
        Tensor expected = Reference.conv2d(x, spec, w, epilogue);
        int nonFinite = 0;
        for (float v : expected.data()) if (!Float.isFinite(v)) nonFinite++;
        assertTrue(nonFinite > 0, "the case must produce non-finite outputs to test anything: " + c.name());
        Tensor actual = backend.conv2d(x, spec, w, epilogue);
        TensorAssert.assertClose(expected, actual, spec.reductionLength(), backend.device().id() + " " + c.name());
    }
}
