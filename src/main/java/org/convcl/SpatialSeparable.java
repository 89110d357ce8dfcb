package org.convcl;

/**
 * Spatially separable convolutions (seed 000): a K×K filter that is the outer product of a K×1 column and a
 * 1×K row runs as the two 1-D passes, {@code KH + KW} instead of {@code KH·KW} multiply-accumulates per output.
 * Both forms come back as one {@link PreparedConv} whose intermediate tensor stays in device memory.
 */
public final class SpatialSeparable {
    private SpatialSeparable() {}

    /**
     * The worst relative rank-1 error ({@link SeparableFilter#relativeError()}) over the filters of a depthwise
     * spec's output channels.
     */
    public static double worstError(ConvSpec depthwise, float[] weights) {
        checkDepthwise(depthwise, weights);
        int taps = depthwise.kernelH() * depthwise.kernelW();
        double worst = 0;
        for (int o = 0; o < depthwise.outChannels(); o++) {
            worst = Math.max(worst, SeparableFilter.factor(slice(weights, o * taps, taps), depthwise.kernelH(),
                    depthwise.kernelW()).relativeError());
        }
        return worst;
    }

    /**
     * Prepares a depthwise layer (any γ) as a {@code KH×1} pass then a {@code 1×KW} pass when every output
     * channel's filter is rank-1 within {@code tolerance} (relative Frobenius error, see {@link SeparableFilter});
     * otherwise prepares it unchanged with {@link Backend#prepare}. The column pass carries the vertical stride,
     * dilation and padding and the depth multiplier; the row pass the horizontal ones and the epilogue.
     * {@link PreparedConv#plan()} says which form runs and the worst error.
     *
     * @throws IllegalArgumentException when the spec is not depthwise, the weights do not fit it, or the
     *         tolerance is negative or NaN
     */
    public static PreparedConv prepareFactored(Backend backend, ConvSpec depthwise, float[] weights, Epilogue epilogue,
                                               double tolerance) {
        return prepareFactored(backend, depthwise, weights, epilogue, tolerance, null);
    }

    /**
     * {@link #prepareFactored(Backend, ConvSpec, float[], Epilogue, double)} for inputs of {@code expectedInput}
     * (null: unknown): each pass is prepared for the shape it will see and the intermediate allocated now
     * ({@link Backend#prepare(ConvSpec, float[], Epilogue, Shape)}).
     */
    public static PreparedConv prepareFactored(Backend backend, ConvSpec depthwise, float[] weights, Epilogue epilogue,
                                               double tolerance, Shape expectedInput) {
        if (backend == null) throw new IllegalArgumentException("backend must not be null");
        if (!(tolerance >= 0)) throw new IllegalArgumentException("tolerance must be non-negative, got " + tolerance);
        if (epilogue == null) throw new IllegalArgumentException("epilogue must not be null");
        checkDepthwise(depthwise, weights);
        depthwise.expectedOutputShape(expectedInput);
        int kh = depthwise.kernelH(), kw = depthwise.kernelW(), cout = depthwise.outChannels();
        double worst = worstError(depthwise, weights);
        if (kh == 1 || kw == 1 || worst > tolerance) return backend.prepare(depthwise, weights, epilogue, expectedInput);

        float[] columns = new float[cout * kh];
        float[] rows = new float[cout * kw];
        for (int o = 0; o < cout; o++) {
            SeparableFilter f = SeparableFilter.factor(slice(weights, o * kh * kw, kh * kw), kh, kw);
            System.arraycopy(f.column(), 0, columns, o * kh, kh);
            System.arraycopy(f.row(), 0, rows, o * kw, kw);
        }
        ConvSpec columnSpec = ConvSpec.builder(depthwise.inChannels(), cout, kh, 1).groups(depthwise.inChannels())
                .stride(depthwise.strideH(), 1).dilation(depthwise.dilationH(), 1)
                .padding(depthwise.padTop(), 0, depthwise.padBottom(), 0).build();
        ConvSpec rowSpec = ConvSpec.builder(cout, cout, 1, kw).groups(cout).stride(1, depthwise.strideW())
                .dilation(1, depthwise.dilationW()).padding(0, depthwise.padLeft(), 0, depthwise.padRight()).build();
        String why = String.format(java.util.Locale.ROOT,
                "spatially separable: %dx1 then 1x%d (worst rank-1 error %.2g <= tolerance %.2g)", kh, kw, worst, tolerance);
        return ChainedConv.prepare(backend, columnSpec, columns, Epilogue.none(), rowSpec, rows, epilogue, depthwise, why,
                expectedInput);
    }

    /**
     * Prepares a learned spatially separable layer (Inception style) as one operation: {@code columnStep}, a
     * {@code K×1} convolution {@code Cin → Cmid}, then {@code rowStep}, a {@code 1×K} convolution
     * {@code Cmid → Cout}, each with its own weights and epilogue. The column step may stride, dilate and pad
     * only vertically and the row step only horizontally; both have groups 1. {@link PreparedConv#spec()} is
     * the {@code KH×KW} convolution {@code Cin → Cout} with the same input and output shapes.
     */
    public static PreparedConv prepareLearned(Backend backend, ConvSpec columnStep, float[] columnWeights,
                                              Epilogue columnEpilogue, ConvSpec rowStep, float[] rowWeights,
                                              Epilogue rowEpilogue) {
        return prepareLearned(backend, columnStep, columnWeights, columnEpilogue, rowStep, rowWeights, rowEpilogue, null);
    }

    /**
     * {@link #prepareLearned(Backend, ConvSpec, float[], Epilogue, ConvSpec, float[], Epilogue)} for inputs of
     * {@code expectedInput} (null: unknown): each step is prepared for the shape it will see and the intermediate
     * allocated now ({@link Backend#prepare(ConvSpec, float[], Epilogue, Shape)}).
     */
    public static PreparedConv prepareLearned(Backend backend, ConvSpec columnStep, float[] columnWeights,
                                              Epilogue columnEpilogue, ConvSpec rowStep, float[] rowWeights,
                                              Epilogue rowEpilogue, Shape expectedInput) {
        if (backend == null) throw new IllegalArgumentException("backend must not be null");
        if (columnStep == null) throw new IllegalArgumentException("columnStep must not be null");
        if (rowStep == null) throw new IllegalArgumentException("rowStep must not be null");
        if (columnStep.kernelW() != 1 || columnStep.strideW() != 1 || columnStep.padLeft() != 0 || columnStep.padRight() != 0) {
            throw new IllegalArgumentException("columnStep must be Kx1 with horizontal stride 1 and no horizontal padding, got "
                    + columnStep);
        }
        if (rowStep.kernelH() != 1 || rowStep.strideH() != 1 || rowStep.padTop() != 0 || rowStep.padBottom() != 0) {
            throw new IllegalArgumentException("rowStep must be 1xK with vertical stride 1 and no vertical padding, got " + rowStep);
        }
        if (columnStep.groups() != 1 || rowStep.groups() != 1) {
            throw new IllegalArgumentException("columnStep and rowStep must have groups 1, got " + columnStep.groups()
                    + " and " + rowStep.groups());
        }
        if (rowStep.inChannels() != columnStep.outChannels()) {
            throw new IllegalArgumentException("rowStep inChannels " + rowStep.inChannels()
                    + " does not match columnStep outChannels " + columnStep.outChannels());
        }
        ConvSpec equivalent = ConvSpec.builder(columnStep.inChannels(), rowStep.outChannels(), columnStep.kernelH(),
                        rowStep.kernelW()).stride(columnStep.strideH(), rowStep.strideW())
                .dilation(columnStep.dilationH(), rowStep.dilationW())
                .padding(columnStep.padTop(), rowStep.padLeft(), columnStep.padBottom(), rowStep.padRight()).build();
        equivalent.expectedOutputShape(expectedInput);
        String why = "learned spatially separable: " + columnStep.kernelH() + "x1 " + columnStep.inChannels() + "->"
                + columnStep.outChannels() + " then 1x" + rowStep.kernelW() + " " + rowStep.inChannels() + "->"
                + rowStep.outChannels();
        return ChainedConv.prepare(backend, columnStep, columnWeights, columnEpilogue, rowStep, rowWeights, rowEpilogue,
                equivalent, why, expectedInput);
    }

    private static void checkDepthwise(ConvSpec spec, float[] weights) {
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        if (spec.groups() != spec.inChannels()) {
            throw new IllegalArgumentException("spec must be depthwise (groups == inChannels), got " + spec);
        }
        if (weights == null) throw new IllegalArgumentException("weights must not be null");
        if (weights.length != spec.weightCount()) {
            throw new IllegalArgumentException("weights length " + weights.length + " does not match spec "
                    + spec.outChannels() + "x1x" + spec.kernelH() + "x" + spec.kernelW() + " = " + spec.weightCount());
        }
    }

    private static float[] slice(float[] a, int from, int length) {
        float[] s = new float[length];
        System.arraycopy(a, from, s, 0, length);
        return s;
    }
}
