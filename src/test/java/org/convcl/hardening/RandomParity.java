package org.convcl.hardening;

import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.convcl.Activation;
import org.convcl.Backend;
import org.convcl.ConvSpec;
import org.convcl.DeviceInfo;
import org.convcl.Epilogue;
import org.convcl.Reference;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.TestBackends;

/**
 * Randomized parity: jqwik draws valid convolutions (kind, channels, kernel, stride, dilation, asymmetric
 * padding, groups, γ, batch, image size, epilogue) and checks every backend against the reference.
 *
 * <p>The seed is fixed ({@link #SEED}, also printed by jqwik's report) so a failure replays exactly; jqwik
 * shrinks a failing case to a small one. Kernel sizes {1, 3}, strides, dilations and γ {1, 2}, output channels
 * per group {1, 4, 5} and three epilogues come from small sets, because each combination is a separately
 * compiled OpenCL program (about a hundred in all, most of the run time on PoCL); input channels, padding,
 * batch and image sizes vary freely.
 *
 * <p>The kinds are split between two classes of {@link #TRIES} tries each, {@link RandomParityGemmTest} (full and
 * grouped) and {@link RandomParityDepthwisePointwiseTest}, so that Surefire's two test JVMs share the compiling.
 */
abstract class RandomParity {
    static final String SEED = "6060842";
    static final int TRIES = 500;

    /** The epilogues drawn: each is a different pair of kernel switches (bias, activation). */
    enum EpilogueKind { NONE, BIAS_RELU, BATCHNORM_RELU6 }

    /** The kinds drawn; pointwise ignores the kernel, stride, dilation and padding draws. */
    enum Kind { FULL, GROUPED, DEPTHWISE, POINTWISE }

    private static int buildsBefore = -1;

    @BeforeContainer
    static void announce() {
        System.out.println("[RandomParity] seed " + SEED + ", " + TRIES + " tries, each on "
                + TestBackends.all().stream().map(b -> b.device().id()).toList());
        buildsBefore = openClBuilds();
    }

    @AfterContainer
    static void reportBuilds() {
        System.out.println("[RandomParity] OpenCL programs compiled by the properties: "
                + (openClBuilds() - buildsBefore));
    }

    private static int openClBuilds() {
        return TestBackends.all().stream().filter(b -> b.device().backend() == DeviceInfo.BackendKind.OPENCL)
                .mapToInt(b -> ((org.convcl.opencl.OpenClBackend) b).buildCount()).sum();
    }

    /** The kinds this class draws. */
    @Provide
    abstract Arbitrary<Kind> kinds();

    @Provide
    Arbitrary<Integer> kernels() { return Arbitraries.of(1, 3); }

    @Provide
    Arbitrary<Integer> steps() { return Arbitraries.of(1, 2); }

    @Provide
    Arbitrary<Integer> outPerGroup() { return Arbitraries.of(1, 4, 5); } // tiles of 1 and 4 output channels, 5 leaves a tail

    @Provide
    Arbitrary<Integer> groupCounts() { return Arbitraries.of(2, 3); }

    @Property(tries = TRIES, seed = SEED)
    void everyBackendMatchesTheReference(
            @ForAll("kinds") Kind kind,
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
            @ForAll @IntRange(min = 0, max = 17) int extraH,
            @ForAll @IntRange(min = 0, max = 17) int extraW,
            @ForAll EpilogueKind epilogueKind,
            @ForAll long dataSeed) {
        ConvSpec spec = spec(kind, kernel, stride, dilation, gamma, outPerGroup, groupCount, inPerGroup,
                padTop, padLeft, padBottom, padRight);
        // The smallest input the (dilated) kernel fits, plus a free extra.
        int h = Math.max(1, spec.dilationH() * (spec.kernelH() - 1) + 1 - spec.padTop() - spec.padBottom()) + extraH;
        int w = Math.max(1, spec.dilationW() * (spec.kernelW() - 1) + 1 - spec.padLeft() - spec.padRight()) + extraW;
        Random rnd = new Random(dataSeed);
        Tensor x = Tensor.of(uniform(rnd, batch * spec.inChannels() * h * w), new Shape(batch, spec.inChannels(), h, w));
        float[] weights = uniform(rnd, spec.weightCount());
        Epilogue epilogue = epilogue(epilogueKind, spec.outChannels(), rnd);
        Tensor expected = Reference.conv2d(x, spec, weights, epilogue);
        for (Backend backend : TestBackends.all()) {
            TensorAssert.assertClose(expected, backend.conv2d(x, spec, weights, epilogue), spec.reductionLength(),
                    backend.device().id() + " " + spec + " input " + x.shape() + " " + epilogueKind + " data seed " + dataSeed);
        }
    }

    static ConvSpec spec(Kind kind, int kernel, int stride, int dilation, int gamma, int outPerGroup, int groupCount,
            int inPerGroup, int padTop, int padLeft, int padBottom, int padRight) {
        int d = kernel == 1 ? 1 : dilation; // dilation of a 1×1 kernel is a distinct program that changes nothing
        return switch (kind) {
            case POINTWISE -> ConvSpec.pointwise(inPerGroup, outPerGroup);
            case FULL -> ConvSpec.builder(inPerGroup, outPerGroup, kernel, kernel).stride(stride).dilation(d)
                    .padding(padTop, padLeft, padBottom, padRight).build();
            case GROUPED -> ConvSpec.builder(inPerGroup * groupCount, outPerGroup * groupCount, kernel, kernel)
                    .groups(groupCount).stride(stride).dilation(d).padding(padTop, padLeft, padBottom, padRight).build();
            case DEPTHWISE -> ConvSpec.depthwise(inPerGroup, gamma, kernel).stride(stride).dilation(d)
                    .padding(padTop, padLeft, padBottom, padRight).build();
        };
    }

    static Epilogue epilogue(EpilogueKind kind, int channels, Random rnd) {
        return switch (kind) {
            case NONE -> Epilogue.none();
            case BIAS_RELU -> Epilogue.builder().bias(uniform(rnd, channels)).activation(Activation.RELU).build();
            case BATCHNORM_RELU6 -> {
                float[] variance = uniform(rnd, channels);
                for (int i = 0; i < channels; i++) variance[i] = Math.abs(variance[i]) + 0.1f;
                // Scaled up so that ReLU6 clamps some outputs at 6.
                float[] gamma = uniform(rnd, channels);
                for (int i = 0; i < channels; i++) gamma[i] *= 8f;
                yield Epilogue.builder().batchNorm(uniform(rnd, channels), variance, gamma, uniform(rnd, channels), 1e-5f)
                        .activation(Activation.RELU6).build();
            }
        };
    }

    static float[] uniform(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }
}
