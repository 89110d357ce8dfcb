package org.convcl.plan;

/**
 * The convolution algorithms the OpenCL backend can run. Each names its kernel file and entry point
 * ({@code kernels/conv2d_<algo>.cl}, {@code conv2d_<algo>}); which one runs is the {@link Planner}'s choice.
 */
public enum Algorithm {
    /** Direct convolution for full and grouped specs: each work-item sums over one group's input channels. */
    DIRECT("conv2d_full.cl", "conv2d_full"),
    /**
     * Implicit GEMM for full and grouped specs (any stride, dilation, padding): register blocks of output
     * channels x outputs along x, input read straight from the tensor (no im2col buffer).
     */
    IMPLICIT_GEMM("conv2d_igemm.cl", "conv2d_igemm"),
    /** Depthwise (groups == inChannels) with depth multiplier γ: output channel o reads input channel o/γ. */
    DEPTHWISE("conv2d_depthwise.cl", "conv2d_depthwise"),
    /** 1×1, stride 1, unpadded, groups 1: a matrix product {@code W·X} per image. */
    POINTWISE("conv2d_pointwise.cl", "conv2d_pointwise"),
    /**
     * Winograd F(2×2, 3×3) for 3×3 stride-1 dilation-1 groups-1 specs (any padding): an input transform and
     * this entry point, the output transform, both in {@code conv2d_winograd.cl}, around 16 batched GEMMs on the
     * pointwise kernel ({@link Winograd}). Its error bound is its own (docs/kernels.md).
     */
    WINOGRAD("conv2d_winograd.cl", "conv2d_winograd_output");

    private final String kernelFile;
    private final String entryPoint;

    Algorithm(String kernelFile, String entryPoint) {
        this.kernelFile = kernelFile;
        this.entryPoint = entryPoint;
    }

    /** The kernel source file under {@code /kernels} on the classpath. */
    public String kernelFile() { return kernelFile; }

    /** The {@code __kernel} function name inside {@link #kernelFile()}. */
    public String entryPoint() { return entryPoint; }

    /**
     * The algorithm {@code name} names (any case, e.g. {@code implicit_gemm}), or null for {@code auto} (the
     * planner's choice).
     *
     * @param field what the value came from, for the error message (an option, a property)
     * @throws IllegalArgumentException naming {@code field} and {@code name} when it is neither
     */
    public static Algorithm parseOrAuto(String name, String field) {
        if (name.equalsIgnoreCase("auto")) return null;
        try {
            return valueOf(name.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " must be auto or one of " + java.util.Arrays.toString(values())
                    + ", got '" + name + "'");
        }
    }
}
