package org.convcl.cli.bench;

import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import org.convcl.Backend;
import org.convcl.ConvSpec;
import org.convcl.DeviceInfo;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.opencl.ClInterop;
import org.convcl.opencl.ClStatus;
import org.jocl.CL;
import org.jocl.blast.CLBlast;
import org.jocl.blast.CLBlastKernelMode;
import org.jocl.blast.CLBlastLayout;
import org.jocl.blast.CLBlastStatusCode;
import org.jocl.blast.CLBlastTranspose;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * CLBlast (through JOCLBlast) as a yardstick backend of the benchmark, series {@code clblast:<device>}, on the same
 * OpenCL device, shapes and data as convcl's kernels.
 *
 * <ul>
 *   <li>Pointwise: {@code out[Cout][HW] = W[Cout][Cin] · X[Cin][HW]} per image, row-major. Batch 1 is one
 *       {@code CLBlastSgemm} call; batch N is one {@code CLBlastSgemmStridedBatched} call (A stride 0, B and C
 *       strided by one image).</li>
 *   <li>Other groups == 1 convolutions (full K×K, K×1, 1×K, strided 1×1): one {@code CLBlastSconvgemm} call for the
 *       whole batch (im2col + GEMM inside CLBlast; input NCHW, weights KCHW = our OIHW with groups 1, output NCHW,
 *       cross-correlation mode). It takes one pad per axis, so asymmetric padding is not supported.</li>
 *   <li>Grouped and depthwise convolutions: CLBlast has no grouped convolution; {@link #unsupported} says so and the
 *       report prints n/a.</li>
 * </ul>
 *
 * <p>CLBlast runs on an open convcl OpenCL backend of the device: its queue and its tensors' buffers
 * ({@link ClInterop}), so there is one context, one set of buffers and one status check for both. Data goes up
 * and down through the {@link Backend} API, like convcl's own measurements.
 *
 * <p>Timing: CLBlast's returned event belongs to its last kernel only (GEMM may run pad/transpose kernels before,
 * convgemm an im2col kernel), so "kernel" time here is the wall time of the call followed by
 * {@link Backend#finish()}: it covers all of CLBlast's kernels plus one enqueue/finish round trip (about 13 µs on
 * PoCL). End-to-end time is upload input + call + download output, as convcl's.
 *
 * <p>Verification: before timing, each case's CLBlast output is compared with convcl's output for the same input and
 * weights on the same backend; a difference beyond {@link #TOLERANCE} fails the case, so a layout mistake can
 * never turn into a number. The result's plan column records the check.
 */
public final class ClBlast {
    /** The backend column of CLBlast's rows. */
    public static final String BACKEND = "clblast";
    /**
     * Allowed difference from the reference: {@code |a − e| ≤ TOLERANCE · (rms(e) + |e|)}. A wrong layout gives errors
     * of the order of rms(e); fp32 rounding and convcl's Winograd path stay far below 10⁻³ of it.
     */
    public static final double TOLERANCE = 2e-3;

    private static String loadFailure;
    private static boolean probed;

    private ClBlast() {}

    /**
     * Why CLBlast cannot be used in this process (JOCLBlast missing from the class path, or its native library
     * failing to load), or null when it loads. Probed once; later calls return the first answer.
     */
    public static synchronized String unavailableReason() {
        if (!probed) {
            probed = true;
            try {
                Class.forName("org.jocl.blast.CLBlast", true, ClBlast.class.getClassLoader());
                loadFailure = null;
            } catch (ClassNotFoundException e) {
                loadFailure = "JOCLBlast (org.jocl:jocl-blast) is not on the class path";
            } catch (LinkageError e) {
                loadFailure = "JOCLBlast's native library cannot load: " + e;
            }
        }
        return loadFailure;
    }

    /** The reason CLBlast cannot compute this convolution, or empty when it can (SGEMM or convgemm). */
    public static Optional<String> unsupported(ConvSpec spec) {
        if (spec.groups() > 1) {
            return Optional.of("CLBlast has no grouped convolution (groups=" + spec.groups() + ")");
        }
        if (spec.kind() != ConvSpec.Kind.POINTWISE
                && (spec.padTop() != spec.padBottom() || spec.padLeft() != spec.padRight())) {
            return Optional.of("CLBlast convgemm takes symmetric padding only (pads t/l/b/r = " + spec.padTop() + "/"
                    + spec.padLeft() + "/" + spec.padBottom() + "/" + spec.padRight() + ")");
        }
        return Optional.empty();
    }

    /** Which CLBlast routine runs a supported spec at a batch size, as the plan column shows it. */
    static String routine(ConvSpec spec, int batch) {
        if (spec.kind() == ConvSpec.Kind.POINTWISE) {
            return batch == 1 ? "CLBlastSgemm (M=Cout, N=H·W, K=Cin)"
                    : "CLBlastSgemmStridedBatched (1 call, " + batch + " images, M=Cout, N=H·W, K=Cin)";
        }
        return "CLBlastSconvgemm (im2col+GEMM, 1 call, " + batch + " image" + (batch == 1 ? "" : "s") + ")";
    }

    /**
     * A session on an open OpenCL backend (which the caller keeps owning and closes after the session). Requires
     * {@link #unavailableReason()} to be null.
     */
    public static Session open(Backend backend) {
        if (unavailableReason() != null) throw new IllegalStateException("CLBlast is unavailable: " + unavailableReason());
        if (!ClInterop.isOpenCl(backend)) {
            throw new IllegalArgumentException("CLBlast needs an OpenCL device, got " + backend.device().describe());
        }
        return new Session(backend);
    }

    /** CLBlast on one OpenCL backend's queue; measures cases one at a time. Not thread-safe. */
    public static final class Session implements AutoCloseable {
        private final Backend backend;
        private boolean closed;

        private Session(Backend backend) {
            this.backend = backend;
        }

        /**
         * Measures one supported case like {@link BenchRunner#measure}: the same input and weights, warm-up, then
         * {@code runs} timed calls and {@code runs} end-to-end calls. The first call's output is checked against
         * convcl's on the same backend before anything is timed; a mismatch throws.
         */
        public BenchResult measure(BenchCase c, BenchRunner.Options options) {
            Optional<String> why = unsupported(c.spec());
            if (why.isPresent()) throw new IllegalArgumentException("case " + c.name() + ": " + why.get());
            ConvSpec spec = c.spec();
            Shape inShape = c.input(options.batch());
            Shape outShape = spec.outputShape(inShape);
            SplittableRandom random = new SplittableRandom(c.name().hashCode());
            Tensor input = Tensor.of(BenchRunner.randomValues(random, inShape.count()), inShape);
            float[] weights = BenchRunner.randomValues(random, spec.weightCount());
            float[] expected = referenceOutput(backend, spec, input, weights);
            Shape weightShape = new Shape(spec.outChannels(), spec.inChannelsPerGroup(), spec.kernelH(), spec.kernelW());

            try (DeviceTensor in = backend.upload(input);
                 DeviceTensor wei = backend.upload(Tensor.of(weights, weightShape));
                 DeviceTensor out = backend.allocate(outShape)) {
                Runnable call = () -> enqueue(spec, inShape, ClInterop.buffer(in), ClInterop.buffer(wei), ClInterop.buffer(out));
                call.run();
                String verified = verify(c, expected, backend.download(out).data(), backend.device());

                BenchRunner.warmUp(options.warmup(), () -> timeCall(call));
                long[] kernelNs = new long[options.runs()];
                for (int i = 0; i < kernelNs.length; i++) kernelNs[i] = timeCall(call);

                Runnable endToEnd = () -> {
                    try (DeviceTensor fresh = backend.upload(input)) {
                        enqueue(spec, inShape, ClInterop.buffer(fresh), ClInterop.buffer(wei), ClInterop.buffer(out));
                        backend.download(out);
                    }
                };
                BenchRunner.warmUp(options.warmup(), () -> timeCall(endToEnd));
                long[] e2eNs = new long[options.runs()];
                for (int i = 0; i < e2eNs.length; i++) e2eNs[i] = timeCall(endToEnd);

                return new BenchResult(c.suite(), c.name(), c.kindName(), BACKEND, backend.device().name(), spec, inShape,
                        options.runs(), options.warmup(), Stats.ofNanos(e2eNs), Stats.ofNanos(kernelNs),
                        Stats.ofNanos(kernelNs), routine(spec, inShape.n()) + "; wall time with clFinish; " + verified);
            }
        }

        /** Enqueues the CLBlast routine for one whole batch on the backend's queue; returns after the enqueue. */
        private void enqueue(ConvSpec s, Shape in, cl_mem src, cl_mem wei, cl_mem dst) {
            int n = in.n();
            long hw = (long) in.h() * in.w();
            var queue = ClInterop.queue(backend);
            cl_event event = new cl_event();
            int status;
            String name;
            if (s.kind() == ConvSpec.Kind.POINTWISE) {
                long m = s.outChannels(), k = s.inChannels();
                if (n == 1) {
                    name = "CLBlastSgemm";
                    status = CLBlast.CLBlastSgemm(CLBlastLayout.CLBlastLayoutRowMajor, CLBlastTranspose.CLBlastTransposeNo,
                            CLBlastTranspose.CLBlastTransposeNo, m, hw, k, 1f, wei, 0, k, src, 0, hw, 0f, dst, 0, hw,
                            queue, event);
                } else {
                    name = "CLBlastSgemmStridedBatched";
                    status = CLBlast.CLBlastSgemmStridedBatched(CLBlastLayout.CLBlastLayoutRowMajor,
                            CLBlastTranspose.CLBlastTransposeNo, CLBlastTranspose.CLBlastTransposeNo, m, hw, k,
                            1f, wei, 0, k, 0, src, 0, hw, k * hw, 0f, dst, 0, hw, m * hw, n, queue, event);
                }
            } else {
                name = "CLBlastSconvgemm";
                status = CLBlast.CLBlastSconvgemm(CLBlastKernelMode.CLBlastKernelModeCrossCorrelation,
                        s.inChannels(), in.h(), in.w(), s.kernelH(), s.kernelW(), s.padTop(), s.padLeft(),
                        s.strideH(), s.strideW(), s.dilationH(), s.dilationW(), s.outChannels(), n,
                        src, 0, wei, 0, dst, 0, queue, event);
            }
            if (status != CLBlastStatusCode.CLBlastSuccess) {
                throw new IllegalStateException(name + " failed: " + CLBlastStatusCode.stringFor(status));
            }
            ClStatus.check(CL.clReleaseEvent(event), "clReleaseEvent");
        }

        /** Wall time of {@code call} and the wait for everything it enqueued. */
        private long timeCall(Runnable call) {
            long start = System.nanoTime();
            call.run();
            backend.finish();
            return System.nanoTime() - start;
        }

        /**
         * Waits for the queue, then drops CLBlast's cached programs. Idempotent; close it before the backend, which
         * stays open.
         */
        @Override
        public void close() {
            if (closed) return;
            closed = true;
            try {
                backend.finish();
            } finally {
                CLBlast.CLBlastClearCache();
            }
        }
    }

    /** convcl's output for the same data on the same backend: what CLBlast must reproduce. */
    private static float[] referenceOutput(Backend reference, ConvSpec spec, Tensor input, float[] weights) {
        try (PreparedConv conv = reference.prepare(spec, weights, Epilogue.none(), input.shape());
             DeviceTensor in = reference.upload(input);
             DeviceTensor out = reference.allocate(conv.outputShape(input.shape()))) {
            conv.forward(in, out);
            return reference.download(out).data();
        }
    }

    /**
     * Checks {@code |a − e| ≤ TOLERANCE · (rms(e) + |e|)} everywhere; throws naming the worst element, else returns
     * the line the plan column records.
     */
    static String verify(BenchCase c, float[] expected, float[] actual, DeviceInfo referenceDevice) {
        if (expected.length != actual.length) {
            throw new IllegalStateException("CLBlast output of " + c.name() + " has " + actual.length
                    + " values, convcl's has " + expected.length);
        }
        double sumSq = 0;
        for (float e : expected) sumSq += (double) e * e;
        double rms = Math.sqrt(sumSq / Math.max(1, expected.length));
        double worstExcess = Double.NEGATIVE_INFINITY, worstErr = 0;
        int worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs((double) actual[i] - expected[i]);
            double excess = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err - TOLERANCE * (rms + Math.abs(expected[i]));
            if (excess > worstExcess) {
                worstExcess = excess;
                worstErr = err;
                worst = i;
            }
        }
        String ref = BenchRunner.backendName(referenceDevice) + ":" + referenceDevice.name();
        if (worstExcess > 0) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "CLBlast output of %s differs from convcl (%s) at flat index %d: got %s, expected %s "
                            + "(|err| %.3g > %.1g·(rms %.3g + |e|)); layout or routine mismatch, no number reported",
                    c.name(), ref, worst, actual[worst], expected[worst], worstErr, TOLERANCE, rms));
        }
        return String.format(Locale.ROOT, "verified vs %s: max|err| %.2g (rms %.3g)", ref, worstErr, rms);
    }
}
