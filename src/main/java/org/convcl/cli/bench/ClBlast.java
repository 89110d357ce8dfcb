package org.convcl.cli.bench;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_QUEUE_PROFILING_ENABLE;
import static org.jocl.CL.CL_QUEUE_PROPERTIES;
import static org.jocl.CL.CL_SUCCESS;

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
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_event;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_queue_properties;
import org.jocl.blast.CLBlast;
import org.jocl.blast.CLBlastKernelMode;
import org.jocl.blast.CLBlastLayout;
import org.jocl.blast.CLBlastStatusCode;
import org.jocl.blast.CLBlastTranspose;

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
 * <p>Timing: CLBlast's returned event belongs to its last kernel only (GEMM may run pad/transpose kernels before,
 * convgemm an im2col kernel), so "kernel" time here is the wall time of the call followed by {@code clFinish}: it
 * covers all of CLBlast's kernels plus one enqueue/finish round trip (about 13 µs on PoCL). End-to-end time is
 * write input + call + read output, blocking, like convcl's.
 *
 * <p>Verification: before timing, each case's CLBlast output is compared with convcl's output for the same input and
 * weights on a reference backend; a difference beyond {@link #TOLERANCE} fails the case, so a layout mistake can
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
     * Opens a context and a queue on an OpenCL device (matched by its {@code platform:device} id and name).
     * Requires {@link #unavailableReason()} to be null.
     */
    public static Session open(DeviceInfo device) {
        if (unavailableReason() != null) throw new IllegalStateException("CLBlast is unavailable: " + unavailableReason());
        if (device.backend() != DeviceInfo.BackendKind.OPENCL) {
            throw new IllegalArgumentException("CLBlast needs an OpenCL device, got " + device.describe());
        }
        return new Session(device);
    }

    /** A context and an in-order queue on one device; measures cases one at a time. Not thread-safe. */
    public static final class Session implements AutoCloseable {
        private final DeviceInfo device;
        private final cl_context context;
        private final cl_command_queue queue;
        private boolean closed;

        private Session(DeviceInfo device) {
            this.device = device;
            cl_device_id id = findDevice(device);
            cl_platform_id platform = platformOf(device);
            int[] err = new int[1];
            cl_context_properties cp = new cl_context_properties();
            cp.addProperty(CL_CONTEXT_PLATFORM, platform);
            context = CL.clCreateContext(cp, 1, new cl_device_id[] {id}, null, null, err);
            check(err[0], "clCreateContext");
            cl_queue_properties qp = new cl_queue_properties();
            qp.addProperty(CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE);
            queue = CL.clCreateCommandQueueWithProperties(context, id, qp, err);
            if (err[0] != CL_SUCCESS) CL.clReleaseContext(context);
            check(err[0], "clCreateCommandQueueWithProperties");
        }

        /**
         * Measures one supported case like {@link BenchRunner#measure}: the same input and weights, warm-up, then
         * {@code runs} timed calls and {@code runs} end-to-end calls. The first call's output is checked against
         * {@code reference} (convcl) before anything is timed; a mismatch throws.
         */
        public BenchResult measure(BenchCase c, BenchRunner.Options options, Backend reference) {
            Optional<String> why = unsupported(c.spec());
            if (why.isPresent()) throw new IllegalArgumentException("case " + c.name() + ": " + why.get());
            Shape inShape = c.input(options.batch());
            Shape outShape = c.spec().outputShape(inShape);
            SplittableRandom random = new SplittableRandom(c.name().hashCode());
            float[] input = BenchRunner.randomValues(random, inShape.count());
            float[] weights = BenchRunner.randomValues(random, c.spec().weightCount());
            float[] expected = referenceOutput(reference, c.spec(), Tensor.of(input, inShape), weights);

            cl_mem in = buffer(input.length), wei = buffer(weights.length), out = buffer(outShape.count());
            try {
                write(in, input);
                write(wei, weights);
                Runnable call = () -> enqueue(c.spec(), inShape, in, wei, out);
                call.run();
                float[] actual = new float[outShape.count()];
                read(out, actual);
                String verified = verify(c, expected, actual, reference.device());

                BenchRunner.warmUp(options.warmup(), () -> timeCall(call));
                long[] kernelNs = new long[options.runs()];
                for (int i = 0; i < kernelNs.length; i++) kernelNs[i] = timeCall(call);

                Runnable endToEnd = () -> {
                    write(in, input);
                    call.run();
                    read(out, actual);
                };
                BenchRunner.warmUp(options.warmup(), () -> timeCall(endToEnd));
                long[] e2eNs = new long[options.runs()];
                for (int i = 0; i < e2eNs.length; i++) e2eNs[i] = timeCall(endToEnd);

                return new BenchResult(c.suite(), c.name(), c.kindName(), BACKEND, device.name(), c.spec(), inShape,
                        options.runs(), options.warmup(), Stats.ofNanos(e2eNs), Stats.ofNanos(kernelNs),
                        Stats.ofNanos(kernelNs), routine(c.spec(), inShape.n()) + "; wall time with clFinish; " + verified);
            } finally {
                CL.clReleaseMemObject(in);
                CL.clReleaseMemObject(wei);
                CL.clReleaseMemObject(out);
            }
        }

        /** Enqueues the CLBlast routine for one whole batch; returns after the enqueue (not the finish). */
        private void enqueue(ConvSpec s, Shape in, cl_mem src, cl_mem wei, cl_mem dst) {
            int n = in.n();
            long hw = (long) in.h() * in.w();
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
            CL.clReleaseEvent(event);
        }

        private long timeCall(Runnable call) {
            long start = System.nanoTime();
            call.run();
            check(CL.clFinish(queue), "clFinish");
            return System.nanoTime() - start;
        }

        private cl_mem buffer(int floats) {
            int[] err = new int[1];
            cl_mem m = CL.clCreateBuffer(context, CL_MEM_READ_WRITE, (long) floats * Sizeof.cl_float, null, err);
            check(err[0], "clCreateBuffer");
            return m;
        }

        private void write(cl_mem m, float[] data) {
            check(CL.clEnqueueWriteBuffer(queue, m, true, 0, (long) data.length * Sizeof.cl_float, Pointer.to(data),
                    0, null, null), "clEnqueueWriteBuffer");
        }

        private void read(cl_mem m, float[] data) {
            check(CL.clEnqueueReadBuffer(queue, m, true, 0, (long) data.length * Sizeof.cl_float, Pointer.to(data),
                    0, null, null), "clEnqueueReadBuffer");
        }

        /** Releases CLBlast's cached programs for this context, then the queue and the context. Idempotent. */
        @Override
        public void close() {
            if (closed) return;
            closed = true;
            CL.clFinish(queue);
            CLBlast.CLBlastClearCache();
            CL.clReleaseCommandQueue(queue);
            CL.clReleaseContext(context);
        }
    }

    /** convcl's output on the reference backend for the same data: what CLBlast must reproduce. */
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
            throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                    "CLBlast output of %s differs from convcl (%s) at flat index %d: got %s, expected %s "
                            + "(|err| %.3g > %.1g·(rms %.3g + |e|)); layout or routine mismatch, no number reported",
                    c.name(), ref, worst, actual[worst], expected[worst], worstErr, TOLERANCE, rms));
        }
        return String.format(java.util.Locale.ROOT, "verified vs %s: max|err| %.2g (rms %.3g)", ref, worstErr, rms);
    }

    private static cl_platform_id platformOf(DeviceInfo device) {
        int p = idPart(device, 0);
        int[] count = new int[1];
        check(CL.clGetPlatformIDs(0, null, count), "clGetPlatformIDs");
        if (p >= count[0]) throw new IllegalArgumentException("OpenCL platform " + p + " of " + device.describe() + " not found");
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        check(CL.clGetPlatformIDs(count[0], platforms, null), "clGetPlatformIDs");
        return platforms[p];
    }

    /** The device with the same {@code platform:device} indices as convcl's discovery, checked by name. */
    private static cl_device_id findDevice(DeviceInfo device) {
        cl_platform_id platform = platformOf(device);
        int d = idPart(device, 1);
        int[] count = new int[1];
        check(CL.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, count), "clGetDeviceIDs");
        if (d >= count[0]) throw new IllegalArgumentException("OpenCL device " + device.describe() + " not found");
        cl_device_id[] devices = new cl_device_id[count[0]];
        check(CL.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, count[0], devices, null), "clGetDeviceIDs");
        long[] size = new long[1];
        check(CL.clGetDeviceInfo(devices[d], CL_DEVICE_NAME, 0, null, size), "clGetDeviceInfo");
        byte[] name = new byte[(int) size[0]];
        check(CL.clGetDeviceInfo(devices[d], CL_DEVICE_NAME, name.length, Pointer.to(name), null), "clGetDeviceInfo");
        String found = new String(name, 0, Math.max(0, name.length - 1), java.nio.charset.StandardCharsets.UTF_8).trim();
        if (!found.equals(device.name().trim())) {
            throw new IllegalArgumentException("OpenCL device " + device.id() + " is now '" + found + "', not '"
                    + device.name() + "'");
        }
        return devices[d];
    }

    private static int idPart(DeviceInfo device, int index) {
        String[] parts = device.id().split(":");
        try {
            return Integer.parseInt(parts[index]);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("OpenCL device id must be 'platform:device', got '" + device.id() + "'");
        }
    }

    private static void check(int status, String what) {
        if (status != CL_SUCCESS) throw new IllegalStateException(what + " failed: " + CL.stringFor_errorCode(status));
    }
}
