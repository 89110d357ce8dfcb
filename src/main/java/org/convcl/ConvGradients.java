package org.convcl;

/**
 * The shapes, results and activation helpers of a convolution's backward passes
 * ({@link PreparedConv#backwardData}, {@link PreparedConv#backwardFilter}).
 *
 * <p><b>What the gradients are of.</b> The backward passes differentiate the convolution alone,
 * {@code z = conv(x, w) + b}, before the activation, as PyTorch's autograd does for {@code F.conv2d}: they take
 * {@code dz = ∂L/∂z} and give {@code dx = ∂L/∂x}, {@code dw = ∂L/∂w} and {@code db = ∂L/∂b}. The activation's
 * backward is the caller's: the forward output {@code y = act(z)} holds its mask, and
 * {@link #activationBackward} (host) or {@link PreparedConv#activationBackward(DeviceTensor, DeviceTensor, DeviceTensor)}
 * (device) turns {@code dy} into {@code dz}. Batch-norm folding changes the weights a layer runs with, so backward
 * passes are offered only on layers prepared without batch-norm: {@code dw} is then the gradient with respect to the
 * very weights given to {@code prepare}.
 *
 * <p>Device tensors of gradients use {@link #weightShape} ({@code [Cout][Cin/groups][KH][KW]}, the OIHW order of the
 * weights) and {@link #biasShape} ({@code [1][Cout][1][1]}).
 */
public final class ConvGradients {
    private ConvGradients() {}

    /** The gradients of the weights (OIHW) and of the bias ({@code null} when not asked for). Arrays are owned. */
    public record Filter(float[] weights, float[] bias) {}

    /** The shape of a weight gradient tensor: {@code [Cout][Cin/groups][KH][KW]}. */
    public static Shape weightShape(ConvSpec spec) {
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        return new Shape(spec.outChannels(), spec.inChannelsPerGroup(), spec.kernelH(), spec.kernelW());
    }

    /** The shape of a bias gradient tensor: {@code [1][Cout][1][1]}. */
    public static Shape biasShape(ConvSpec spec) {
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        return new Shape(1, spec.outChannels(), 1, 1);
    }

    /**
     * The activation's backward from its forward output: {@code dz = dy} where the activation let {@code z} through,
     * else 0. ReLU passes where {@code !(y <= 0)}; ReLU6 where {@code !(y <= 0)} and {@code !(y >= 6)}: PyTorch's {@code threshold_backward} and {@code hardtanh_backward}, so a NaN output passes
     * the gradient. {@link Activation#NONE} returns a copy of {@code gradOutput}.
     *
     * @throws IllegalArgumentException for a null argument or shapes that differ
     */
    public static Tensor activationBackward(Activation activation, Tensor output, Tensor gradOutput) {
        if (activation == null) throw new IllegalArgumentException("activation must not be null");
        if (output == null) throw new IllegalArgumentException("output tensor must not be null");
        if (gradOutput == null) throw new IllegalArgumentException("gradOutput tensor must not be null");
        if (!output.shape().equals(gradOutput.shape())) {
            throw new IllegalArgumentException("gradOutput shape " + gradOutput.shape() + " does not match output shape "
                    + output.shape());
        }
        float[] dz = new float[output.shape().count()];
        activationBackward(activation, output.data(), gradOutput.data(), dz);
        return Tensor.of(dz, output.shape());
    }

    /** {@link #activationBackward(Activation, Tensor, Tensor)} on arrays of one length, into {@code dst}. */
    static void activationBackward(Activation activation, float[] y, float[] dy, float[] dst) {
        requireOutputMask(activation);
        float lower = activation.lower(), upper = activation.upper();
        for (int i = 0; i < dst.length; i++) dst[i] = passes(y[i], lower, upper) ? dy[i] : 0f;
    }

    /**
     * Throws {@link UnsupportedOperationException} unless the activation's backward follows from the forward output
     * alone (a clamp: the gradient passes where the output is inside the bounds); HardSwish's needs its input.
     */
    public static void requireOutputMask(Activation activation) {
        if (!activation.isClamp()) {
            throw new UnsupportedOperationException("the backward of the " + activation.name().toLowerCase() + " activation "
                    + "needs its input, which the layer's output does not determine; prepare the layer without the "
                    + "activation and apply it (and its backward) as a step of its own");
        }
    }

    /** Whether the activation with bounds {@code [lower, upper]} passed the gradient at output {@code y}. */
    public static boolean passes(float y, float lower, float upper) {
        return (lower == Float.NEGATIVE_INFINITY || !(y <= lower)) && (upper == Float.POSITIVE_INFINITY || !(y >= upper));
    }

    /** The refusal of backward passes on a layer prepared with batch-norm (its weights are no longer the caller's). */
    public static String noBackwardWithBatchNorm(ConvSpec spec) {
        return "backward passes need the weights given to prepare, but " + spec + " was prepared with batch-norm folded "
                + "into them; prepare it without batch-norm and apply batch-norm as a layer of its own";
    }

    /**
     * Throws {@link IllegalArgumentException} unless {@code gradOutput} is the output shape of {@code spec} for
     * {@code input} ({@code what} names the tensor whose shape is the input's, e.g. {@code "gradInput"}).
     */
    public static void checkGradOutput(ConvSpec spec, Shape gradOutput, Shape input, String what) {
        Shape expected;
        try {
            expected = spec.outputShape(input);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " shape " + input + " does not fit " + spec + ": " + e.getMessage(), e);
        }
        if (!expected.equals(gradOutput)) {
            throw new IllegalArgumentException("gradOutput shape " + gradOutput + " does not match " + expected + ", the output of "
                    + spec + " for " + what + " shape " + input);
        }
    }

    /** Throws {@link IllegalArgumentException} naming {@code field} unless {@code actual} is {@code expected}. */
    public static void checkShape(Shape actual, Shape expected, String field) {
        if (!actual.equals(expected)) throw new IllegalArgumentException(field + " shape " + actual + " does not match " + expected);
    }

    /** Throws {@link IllegalArgumentException} unless the gradient tensors of a filter pass are distinct from each other and the inputs. */
    public static void checkDistinct(Object input, Object gradOutput, Object gradWeights, Object gradBias) {
        if (input == gradOutput) throw new IllegalArgumentException("input and gradOutput must be different tensors");
        if (gradWeights == input || gradWeights == gradOutput || gradBias == input || gradBias == gradOutput || gradBias == gradWeights) {
            throw new IllegalArgumentException("gradWeights and gradBias must be tensors of their own, distinct from input, "
                    + "gradOutput and each other");
        }
    }
}
