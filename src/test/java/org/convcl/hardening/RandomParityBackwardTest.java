package org.convcl.hardening;

import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.convcl.Activation;
import org.convcl.Backend;
import org.convcl.ConvGradients;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.ReferenceGradients;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TestBackends;

/**
 * Randomized parity of the backward passes: jqwik draws valid convolutions of every kind (as {@link RandomParity} does:
 * kernel {1, 3}, stride and dilation {1, 2}, γ {1, 2}, asymmetric padding, groups, batch, image sizes whose strides
 * need not divide them) and checks every backend's {@code dx}, {@code dw} and {@code db}, and the activation's
 * backward, against {@link ReferenceGradients} within {@code 1e-4·max|grad|}. The seed is fixed, so a failure replays.
 */
class RandomParityBackwardTest {
    static final int TRIES = 60;

    @Provide
    Arbitrary<Integer> kernels() { return Arbitraries.of(1, 3); }

    @Provide
    Arbitrary<Integer> steps() { return Arbitraries.of(1, 2); }

    @Provide
    Arbitrary<Integer> outPerGroup() { return Arbitraries.of(1, 4, 5); }

    @Provide
    Arbitrary<Integer> groupCounts() { return Arbitraries.of(2, 3); }

    /** The activations whose backward follows from the output (HardSwish's is refused). */
    @Provide
    Arbitrary<Activation> clampActivations() {
        return Arbitraries.of(java.util.Arrays.stream(Activation.values()).filter(Activation::isClamp).toList());
    }

    @Property(tries = TRIES, seed = RandomParity.SEED)
    void everyBackendsGradientsMatchTheReference(
            @ForAll RandomParity.Kind kind,
            @ForAll("kernels") int kernel,
            @ForAll("steps") int stride,
            @ForAll("steps") int dilation,
            @ForAll("steps") int gamma,
            @ForAll("outPerGroup") int outPerGroup,
            @ForAll("groupCounts") int groupCount,
            @ForAll @IntRange(min = 1, max = 5) int inPerGroup,
            @ForAll @IntRange(min = 0, max = 2) int padTop,
            @ForAll @IntRange(min = 0, max = 2) int padLeft,
            @ForAll @IntRange(min = 0, max = 2) int padBottom,
            @ForAll @IntRange(min = 0, max = 2) int padRight,
            @ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 0, max = 13) int extraH,
            @ForAll @IntRange(min = 0, max = 13) int extraW,
            @ForAll("clampActivations") Activation activation,
            @ForAll long dataSeed) {
        ConvSpec spec = RandomParity.spec(kind, kernel, stride, dilation, gamma, outPerGroup, groupCount, inPerGroup,
                padTop, padLeft, padBottom, padRight);
        int h = Math.max(1, spec.dilationH() * (spec.kernelH() - 1) + 1 - spec.padTop() - spec.padBottom()) + extraH;
        int w = Math.max(1, spec.dilationW() * (spec.kernelW() - 1) + 1 - spec.padLeft() - spec.padRight()) + extraW;
        Random rnd = new Random(dataSeed);
        Shape in = new Shape(batch, spec.inChannels(), h, w), out = spec.outputShape(in);
        Tensor x = Tensor.of(RandomParity.uniform(rnd, in.count()), in);
        float[] weights = RandomParity.uniform(rnd, spec.weightCount());
        Tensor dy = Tensor.of(RandomParity.uniform(rnd, out.count()), out);
        Epilogue epilogue = Epilogue.builder().bias(RandomParity.uniform(rnd, spec.outChannels())).activation(activation).build();
        for (Backend backend : TestBackends.all()) {
            String where = backend.device().id() + " " + spec + " input " + in + " " + activation + " data seed " + dataSeed;
            try (PreparedConv conv = backend.prepare(spec, weights, epilogue, in)) {
                Tensor y = conv.forward(x);
                Tensor dz = conv.activationBackward(y, dy);
                float[] expectedDz = ConvGradients.activationBackward(activation, y, dy).data();
                if (!java.util.Arrays.equals(expectedDz, dz.data())) throw new AssertionError("activation backward differs: " + where);
                ReferenceGradients.Grads g = ReferenceGradients.gradients(x, spec, weights, dz);
                ReferenceGradients.assertClose(g.dx(), conv.backwardData(dz, in).data(), in, 1e-4, "dx " + where);
                ConvGradients.Filter f = conv.backwardFilter(x, dz, true);
                ReferenceGradients.assertClose(g.dw(), f.weights(), ConvGradients.weightShape(spec), 1e-4, "dw " + where);
                ReferenceGradients.assertClose(g.db(), f.bias(), ConvGradients.biasShape(spec), 1e-4, "db " + where);
            }
        }
    }
}
