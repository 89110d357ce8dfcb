package org.convcl;

/**
 * The naive reference convolution, test-only: the definition written out loop by loop with double
 * accumulation, bias and batch-norm applied unfolded. Written for clarity, not speed.
 */
public final class Reference {
    private Reference() {}

    /** {@code out[n][o][y][x] = epilogue(Σ in[n][i][y·sh − pt + ky·dh][x·sw − pl + kx·dw] · w[o][i'][ky][kx])}. */
    public static Tensor conv2d(Tensor input, ConvSpec s, float[] weights, Epilogue epilogue) {
        Shape in = input.shape();
        Shape out = s.outputShape(in);
        float[] bias = epilogue.biasValues();
        Epilogue.BatchNorm bn = epilogue.batchNorm();
        int cinPerGroup = s.inChannelsPerGroup();
        int coutPerGroup = s.outChannelsPerGroup();
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
                        result[out.index(n, o, y, x)] = epilogue.activationKind().apply((float) acc);
                    }
                }
            }
        }
        return Tensor.of(result, out);
    }
}
