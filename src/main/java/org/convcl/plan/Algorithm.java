package org.convcl.plan;

/**
 * The names of the convolution algorithms the OpenCL backend can run, each with its {@link AlgorithmDescriptor},
 * which says everything else about it (what it runs, kernel file, defines, work sizes, launches). The names are what
 * tuning files, {@code convcl plan --algorithm} and the {@code convcl.algorithm} setting use; which algorithm runs
 * is the {@link Planner}'s choice, in the order of {@link Planner#registry}.
 */
public enum Algorithm implements TunedKernel {
    /** Direct convolution for any spec ({@link DirectDescriptor}). */
    DIRECT(new DirectDescriptor()),
    /** Implicit GEMM for any spec, register-blocked ({@link ImplicitGemmDescriptor}). */
    IMPLICIT_GEMM(new ImplicitGemmDescriptor()),
    /** Depthwise with depth multiplier γ ({@link DepthwiseDescriptor}). */
    DEPTHWISE(new DepthwiseDescriptor()),
    /** 1×1, stride 1, unpadded, groups 1: a matrix product per image ({@link PointwiseDescriptor}). */
    POINTWISE(new PointwiseDescriptor()),
    /** Winograd F(2×2, 3×3) for 3×3 stride-1 dilation-1 groups-1 specs ({@link WinogradDescriptor}). */
    WINOGRAD(new WinogradDescriptor()),
    /** The GPU family's pointwise GEMM: work-groups staging tiles in local memory ({@link PointwiseGpuDescriptor}). */
    POINTWISE_GPU(new PointwiseGpuDescriptor()),
    /** Winograd F(2×2, 3×3) whose batched GEMMs run on the GPU family's pointwise kernel ({@link WinogradDescriptor#onGpuGemm}). */
    WINOGRAD_GPU(WinogradDescriptor.onGpuGemm()),
    /** GPU family: depthwise with γ, work-groups staging input tiles in local memory ({@link DepthwiseGpuDescriptor}). */
    DEPTHWISE_GPU(new DepthwiseGpuDescriptor()),
    /** GPU family: implicit GEMM for any spec, tiles of weights and gathered input in local memory ({@link ImplicitGemmGpuDescriptor}). */
    IMPLICIT_GEMM_GPU(new ImplicitGemmGpuDescriptor());

    private final AlgorithmDescriptor descriptor;

    Algorithm(AlgorithmDescriptor descriptor) {
        this.descriptor = descriptor;
    }

    /** What this algorithm runs and how. */
    public AlgorithmDescriptor descriptor() { return descriptor; }

    @Override
    public java.util.List<String> tunables() { return descriptor.tunables(); }

    @Override
    public java.util.SortedMap<String, Integer> defaults(org.convcl.ConvSpec spec) { return descriptor.defaults(spec); }

    /** {@link AlgorithmDescriptor#candidateChanges()}: the same for every spec. */
    @Override
    public java.util.List<java.util.Map<String, Integer>> candidateChanges(org.convcl.ConvSpec spec) { return descriptor.candidateChanges(); }

    @Override
    public String shapeClassKey(org.convcl.ConvSpec spec, org.convcl.Shape input) { return descriptor.shapeClassKey(spec, input); }

    /** {@link Tunables#misfit(Algorithm, org.convcl.ConvSpec, java.util.Map)}. */
    @Override
    public String misfit(org.convcl.ConvSpec spec, java.util.Map<String, Integer> params) { return Tunables.misfit(this, spec, params); }

    /** The kernel source file under {@code /kernels} on the classpath. */
    public String kernelFile() { return descriptor.kernelFile(); }

    /** The main {@code __kernel} function name inside {@link #kernelFile()}. */
    public String entryPoint() { return descriptor.entryPoint(); }

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
