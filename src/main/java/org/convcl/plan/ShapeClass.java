package org.convcl.plan;

import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The coarse class of a layer that a {@link TuningTable} entry serves: layers of one class share the best
 * tile parameters closely enough that tuning one stands for all. Buckets are upper bounds, written into the
 * key ({@code <=} inclusive, {@code >} above the last bound):
 * <ul>
 *   <li>pointwise (the CPU family's and the GPU family's kernel alike): {@code cin<=B,hw<=B,nB} — input channels,
 *       output pixels per image, batch</li>
 *   <li>depthwise: {@code kKHxKW,sSHxSW,hw<=B,nB} — kernel, stride, output pixels per image, batch</li>
 *   <li>implicit GEMM: {@code kKHxKW,sSHxSW,cin<=B,hw<=B,nB} — kernel, stride, input channels per group,
 *       output pixels per image, batch</li>
 *   <li>backward kernels ({@link BackwardAlgorithm}): {@code kKHxKW,sSHxSW,cin<=B,hw<=B,nB} — kernel, stride, input
 *       channels per group (all of them for a depthwise layer), output pixels per image, batch</li>
 * </ul>
 * Channel bounds: {@link #CHANNEL_BOUNDS}; pixel bounds: {@link #PIXEL_BOUNDS}; batch: {@code n1},
 * {@code n<=4}, {@code n>4}. Each {@link AlgorithmDescriptor} composes its key from these parts; algorithms without
 * tunable parameters (direct, Winograd) have no class.
 *
 * @param algorithm the kernel the class belongs to
 * @param key       the class key as written in tuning files, e.g. {@code cin<=128,hw<=4096,n1}
 */
public record ShapeClass(TunedKernel algorithm, String key) {
    /** Upper bounds of the input-channel buckets (per group for the implicit GEMM). */
    public static final int[] CHANNEL_BOUNDS = {16, 32, 64, 128, 256, 512};
    /** Upper bounds of the output-pixel buckets (H·W of one output image: 8x8, 16x16, 32x32, 64x64, 128x128). */
    public static final int[] PIXEL_BOUNDS = {64, 256, 1024, 4096, 16384};

    public ShapeClass {
        if (algorithm == null) throw new IllegalArgumentException("algorithm must not be null");
        if (key == null || key.isBlank()) throw new IllegalArgumentException("shape class key must not be blank, got '" + key + "'");
    }

    /** Whether layers planned with {@code algorithm} have shape classes: whether it has tunable parameters. */
    public static boolean tunable(TunedKernel algorithm) {
        return !algorithm.tunables().isEmpty();
    }

    /**
     * The class of {@code spec} on {@code input} when run by {@code algorithm} ({@link TunedKernel#shapeClassKey}).
     *
     * @throws IllegalArgumentException when the algorithm is not {@link #tunable} or the input does not fit the spec
     */
    public static ShapeClass of(TunedKernel algorithm, ConvSpec spec, Shape input) {
        if (algorithm == null || spec == null || input == null) {
            throw new IllegalArgumentException("algorithm, spec and input must not be null, got " + algorithm + ", " + spec + ", " + input);
        }
        spec.outputShape(input); // validates
        if (!tunable(algorithm)) throw new IllegalArgumentException(algorithm + " is not tuned: it has no shape class");
        return new ShapeClass(algorithm, algorithm.shapeClassKey(spec, input));
    }

    /** The output-pixel bucket of one image, e.g. {@code hw<=4096}. */
    static String pixels(ConvSpec spec, Shape input) {
        Shape out = spec.outputShape(input);
        return bucket("hw", (long) out.h() * out.w(), PIXEL_BOUNDS);
    }

    /** The batch bucket: {@code n1}, {@code n<=4} or {@code n>4}. */
    static String batch(Shape input) {
        return input.n() == 1 ? "n1" : input.n() <= 4 ? "n<=4" : "n>4";
    }

    /** The kernel and stride, e.g. {@code k3x3,s1x1}. */
    static String window(ConvSpec spec) {
        return "k" + spec.kernelH() + "x" + spec.kernelW() + ",s" + spec.strideH() + "x" + spec.strideW();
    }

    /** The input-channel bucket, e.g. {@code cin<=128}. */
    static String channels(int channels) {
        return bucket("cin", channels, CHANNEL_BOUNDS);
    }

    /** {@code name<=bound} for the first bound at or above {@code value}, else {@code name>last}. */
    static String bucket(String name, long value, int[] bounds) {
        for (int b : bounds) if (value <= b) return name + "<=" + b;
        return name + ">" + bounds[bounds.length - 1];
    }

    @Override
    public String toString() {
        return algorithm + "[" + key + "]";
    }
}
