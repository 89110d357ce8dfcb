package org.convcl;

/**
 * The naive reference convolution, test-only: the definition written out loop by loop with double
 * accumulation, bias and batch-norm applied unfolded. Written for clarity, not speed. It has its own output-size
 * formula and activations (PyTorch's definitions), so a slip in {@link ConvSpec#outputShape} or
 * {@link Activation#apply} shows up as a difference instead of being shared.
 */
public final class Reference {
    private Reference() {}

    /**
     * PyTorch's output size along one axis: {@code floor((in + padBefore + padAfter − dilation·(kernel − 1) − 1) / stride) + 1};
     * throws when the dilated kernel is larger than the padded input.
     */
    public static int outputSize(int in, int padBefore, int padAfter, int kernel, int stride, int dilation) {
        long span = (long) in + padBefore + padAfter - (long) dilation * (kernel - 1) - 1;
        if (span < 0) {
            throw new IllegalArgumentException("reference: kernel " + kernel + " dilated by " + dilation
                    + " does not fit the padded input " + ((long) in + padBefore + padAfter));
        }
        return Math.toIntExact(Math.floorDiv(span, stride) + 1);
    }

    /** The output shape of {@code s} for {@code in}, from {@link #outputSize}. */
    public static Shape outputShape(Shape in, ConvSpec s) {
        if (in.c() != s.inChannels()) {
            throw new IllegalArgumentException("reference: input channels " + in.c() + ", spec " + s.inChannels());
        }
        return new Shape(in.n(), s.outChannels(),
                outputSize(in.h(), s.padTop(), s.padBottom(), s.kernelH(), s.strideH(), s.dilationH()),
                outputSize(in.w(), s.padLeft(), s.padRight(), s.kernelW(), s.strideW(), s.dilationW()));
    }

    /**
     * PyTorch's activations: ReLU {@code max(v, 0)}, ReLU6 {@code min(max(v, 0), 6)}, HardSwish
     * {@code v · min(max(v + 3, 0), 6) / 6} (in double here); NaN stays NaN.
     */
    public static float activate(Activation activation, float v) {
        if (Float.isNaN(v)) return v;
        return switch (activation) {
            case NONE -> v;
            case RELU -> v < 0 ? 0f : v;
            case RELU6 -> Math.min(v < 0 ? 0f : v, 6f);
            case HARDSWISH -> (float) (v * Math.min(Math.max(v + 3.0, 0.0), 6.0) / 6.0);
        };
    }

    /** {@code out[n][o][y][x] = epilogue(Σ in[n][i][y·sh − pt + ky·dh][x·sw − pl + kx·dw] · w[o][i'][ky][kx])}. */
    public static Tensor conv2d(Tensor input, ConvSpec s, float[] weights, Epilogue epilogue) {
        Shape in = input.shape();
        Shape out = outputShape(in, s);
        float[] bias = epilogue.biasValues();
        Epilogue.BatchNorm bn = epilogue.batchNorm();
        int cinPerGroup = s.inChannels() / s.groups();
        int coutPerGroup = s.outChannels() / s.groups();
        float[] result = new float[out.count()];
        for (int n = 0; n < out.n(); n++) {
            for (int o = 0; o < out.c(); o++) {
                int group = o / coutPerGroup;
                for (int y = 0; y < out.h(); y++) {
                    for (int x = 0; x < out.w(); x++) {
                        double acc = 0;
                        for (int ig = 0; ig < cinPerGroup; ig++) {
                            int i = group * cinPerGroup + ig;
                            for (int ky = 0; ky < s.kernelH(); ky++) {
                                int iy = y * s.strideH() - s.padTop() + ky * s.dilationH();
                                if (iy < 0 || iy >= in.h()) continue;
                                for (int kx = 0; kx < s.kernelW(); kx++) {
                                    int ix = x * s.strideW() - s.padLeft() + kx * s.dilationW();
                                    if (ix < 0 || ix >= in.w()) continue;
                                    int wi = ((o * cinPerGroup + ig) * s.kernelH() + ky) * s.kernelW() + kx;
                                    acc += (double) input.get(n, i, iy, ix) * weights[wi];
                                }
                            }
                        }
                        if (bias != null) acc += bias[o];
                        if (bn != null) {
                            acc = (acc - bn.mean()[o]) * bn.gamma()[o] / Math.sqrt((double) bn.variance()[o] + bn.eps())
                                    + bn.beta()[o];
                        }
                        result[out.index(n, o, y, x)] = activate(epilogue.activationKind(), (float) acc);
                    }
                }
            }
        }
        return Tensor.of(result, out);
    }
}
