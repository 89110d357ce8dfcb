package org.convcl.opencl;

/** A kernel program failed to build: carries the kernel file, the build options and the full build log. */
public final class KernelBuildException extends RuntimeException {
    private final String kernelFile;
    private final String options;
    private final String buildLog;

    /** A failed build of {@code kernelFile} with {@code options}; {@code cause} is the failing status, if any. */
    public KernelBuildException(String kernelFile, String options, String buildLog, Throwable cause) {
        super("building kernels/" + kernelFile + " with options '" + options + "' failed"
                + (cause == null ? "" : " (" + cause.getMessage() + ")") + "; build log:\n" + buildLog, cause);
        this.kernelFile = kernelFile;
        this.options = options;
        this.buildLog = buildLog;
    }

    /** The kernel file name under {@code /kernels}. */
    public String kernelFile() { return kernelFile; }

    /** The exact build options passed to {@code clBuildProgram}. */
    public String options() { return options; }

    /** The compiler's full build log. */
    public String buildLog() { return buildLog; }
}
