package org.convcl.opencl;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Shape;
import org.convcl.plan.Algorithm;
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import org.convcl.plan.Winograd;
import org.jocl.cl_mem;

/**
 * A convolution prepared for Winograd F(2×2, 3×3) on an {@link OpenClBackend} ({@code kernels/conv2d_winograd.cl}):
 * four launches per forward — input transform into scratch {@code V}, 16 batched GEMMs on the pointwise
 * kernel into scratch {@code M}, output transform with the epilogue into the output tensor, and the fixup that
 * recomputes directly the tiles whose {@code M} held NaN or ±Inf (it returns at once for the others). The filters are
 * transformed once here ({@link Winograd#transformWeights}); the untransformed folded filters stay on the
 * device for the kernel's non-finite path.
 *
 * <p>Scratch: one {@code V}, one {@code M} and one tile-flag buffer, allocated at prepare for the expected input
 * shape when one is given, grown to the largest input shape seen and reused by later calls (the queue is in order,
 * so calls cannot overlap on the device); released by {@link #close()}.
 *
 * <p>Thread safety: setting arguments and enqueueing happen under this object's lock.
 */
final class OpenClWinogradConv extends OpenClPrepared {
    static final String INPUT_ENTRY = "conv2d_winograd_input";
    static final String FIXUP_ENTRY = "conv2d_winograd_fixup";

    private final Plan preparedPlan;
    private final ClBuffer transformed, weights, bias;
    private final ClKernel input, output, fixup, gemm; // guarded by this once constructed
    private final Map<Shape, Launch> launches = new ConcurrentHashMap<>();
    // scratch, guarded by this; empty until the first forward or a prepare with a shape
    private final Scratch v = new Scratch("input transform", false);
    private final Scratch m = new Scratch("GEMM output", false);
    private final Scratch flags = new Scratch("non-finite tile flags", true); // all zero: the kernels leave them so

    /** The launches' work sizes for one input shape. */
    private record Launch(Shape output, Plan plan, Plan gemmPlan, long[] transformLocal) {}

    /**
     * {@code plan}: the WINOGRAD plan (for {@code expectedInput} when given). {@code expectedInput}: the input shape
     * whose launch is planned and whose scratch is allocated now (null: both at the first forward).
     */
    OpenClWinogradConv(OpenClBackend backend, ConvSpec spec, Epilogue.Folded folded, Plan plan, Shape expectedInput) {
        super(backend, spec);
        if (plan.algorithm() != Algorithm.WINOGRAD) throw new IllegalArgumentException("plan must be WINOGRAD, got " + plan);
        this.preparedPlan = plan;
        ClBuffer u = null, w = null, b = null;
        ClKernel in = null, out = null, fix = null, mm = null;
        try {
            u = backend.createBuffer(Winograd.transformWeights(folded.weights(), spec.outChannels(), spec.inChannels()),
                    "winograd weights of " + spec);
            w = backend.createBuffer(folded.weights(), "weights of " + spec);
            b = uploadOrNull(folded.bias(), "bias of " + spec);
            SortedMap<String, Integer> defines = KernelLibrary.merge(plan.defines(), OpenClConv.epilogueDefines(folded));
            var program = backend.library().program(Algorithm.WINOGRAD.kernelFile(), defines);
            in = new ClKernel(program, INPUT_ENTRY, backend.deviceId(), backend.kernelCounter());
            out = new ClKernel(program, Algorithm.WINOGRAD.entryPoint(), backend.deviceId(), backend.kernelCounter());
            fix = new ClKernel(program, FIXUP_ENTRY, backend.deviceId(), backend.kernelCounter());
            Plan g = Planner.winogradGemm(spec, new Shape(1, spec.outChannels(), 2, 2), backend.facts());
            mm = gemmKernel(backend, g);
        } catch (RuntimeException | Error e) {
            closeKernels(in, out, fix, mm);
            release(u, w, b);
            throw e;
        }
        transformed = u;
        weights = w;
        bias = b;
        input = in;
        output = out;
        fixup = fix;
        gemm = mm;
        if (expectedInput != null) {
            try {
                synchronized (this) {
                    Launch launch = planFor(expectedInput);
                    launches.put(expectedInput, launch);
                    ensureScratch(launch.output());
                }
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }
    }

    /** The GEMM kernel: the pointwise program with the GEMM's defines and no epilogue (it runs in the output transform). */
    private static ClKernel gemmKernel(OpenClBackend backend, Plan gemmPlan) {
        TreeMap<String, Integer> defines = new TreeMap<>(gemmPlan.defines());
        defines.put("HAS_BIAS", 0);
        defines.put("ACTIVATION", 0);
        return new ClKernel(backend.library().program(Algorithm.POINTWISE.kernelFile(), defines),
                Algorithm.POINTWISE.entryPoint(), backend.deviceId(), backend.kernelCounter());
    }

    @Override
    public String plan() { return preparedPlan.reason(); }

    /** Plans the launches for one input shape: each local size within its kernel's own work-group limit. */
    private Launch planFor(Shape in) {
        ConvSpec spec = spec();
        Shape out = spec.outputShape(in);
        Plan plan = Planner.plan(spec, in, backend.facts(), backend.tuning(), Algorithm.WINOGRAD);
        // the pointwise defines do not depend on the shape or the work-group limit, so the prepared kernel serves
        Plan gemmPlan = Planner.winogradGemm(spec, out, backend.facts().withMaxWorkGroupSize(
                Math.min(backend.facts().maxWorkGroupSize(), gemm.workGroupSize())));
        long[] local = plan.local();
        while (local[0] * local[1] > Math.min(input.workGroupSize(), output.workGroupSize())) {
            if (local[1] > 1) local[1] /= 2; else local[0] = Math.max(1, local[0] / 2);
        }
        return new Launch(out, plan, gemmPlan, local);
    }

    @Override
    long run(ClTensor src, ClTensor dst, boolean profile) {
        ConvSpec spec = spec();
        Shape in = src.shape();
        synchronized (this) {
            checkOpen();
            Launch launch = launches.computeIfAbsent(in, this::planFor);
            Shape out = launch.output();
            int tilesY = Winograd.tilesY(out), tilesX = Winograd.tilesX(out), tiles = tilesY * tilesX;
            ensureScratch(out);
            long time = 0;
            KernelArgs.on(input.handle()).buffer(src.mem()).buffer(v.mem())
                    .int32(in.n(), in.c(), in.h(), in.w(), tilesY, tilesX, spec.padTop(), spec.padLeft());
            time += backend.launcher().launch(input, new long[] {tiles, in.c(), in.n()}, launch.transformLocal(), profile);
            Shape gemmIn = Winograd.gemmInput(spec, out);
            KernelArgs.on(gemm.handle()).buffer(v.mem()).buffer(transformed.mem()).buffer(backend.noBias().mem()).buffer(m.mem())
                    .int32(gemmIn.n(), gemmIn.c(), 1, gemmIn.w(), spec.outChannels(), 1, gemmIn.w(), 1, 0, 0);
            Shape gemmOut = new Shape(gemmIn.n(), spec.outChannels(), 1, gemmIn.w());
            time += backend.launcher().launch(gemm, launch.gemmPlan().globalSize(Winograd.gemmSpec(spec), gemmOut),
                    launch.gemmPlan().local(), profile);
            KernelArgs.on(output.handle()).buffer(m.mem()).buffer(flags.mem())
                    .buffer(biasOrPlaceholder(bias)).buffer(dst.mem())
                    .int32(in.n(), out.c(), out.h(), out.w(), tilesY, tilesX);
            time += backend.launcher().launch(output, launch.plan().globalSize(spec, out), launch.transformLocal(), profile);
            KernelArgs.on(fixup.handle()).buffer(flags.mem()).buffer(src.mem()).buffer(weights.mem())
                    .buffer(biasOrPlaceholder(bias)).buffer(dst.mem())
                    .int32(in.n(), in.c(), in.h(), in.w(), out.c(), out.h(), out.w(), tilesY, tilesX, spec.padTop(), spec.padLeft());
            time += backend.launcher().launch(fixup, new long[] {tiles, in.n(), 1}, new long[] {Math.min(launch.transformLocal()[0], fixup.workGroupSize()), 1, 1}, profile);
            return profile ? time : -1;
        }
    }

    /** Grows the scratch buffers to hold {@code V}, {@code M} and the tile flags for {@code out} (kept for smaller shapes). */
    private void ensureScratch(Shape out) {
        v.ensure(org.convcl.DataType.FLOAT32.bytes(Winograd.scratchFloats(spec().inChannels(), out)));
        m.ensure(org.convcl.DataType.FLOAT32.bytes(Winograd.scratchFloats(spec().outChannels(), out)));
        flags.ensure((long) Integer.BYTES * out.n() * Winograd.tilesY(out) * Winograd.tilesX(out));
    }

    /** A scratch buffer grown to the largest size asked for and kept for smaller ones; guarded by the outer lock. */
    private final class Scratch {
        private final String role;
        private final boolean zeroed;
        private ClBuffer buffer; // null until the first ensure and after release

        Scratch(String role, boolean zeroed) {
            this.role = role;
            this.zeroed = zeroed;
        }

        /** Replaces the buffer by one of {@code bytes} (all zero when {@code zeroed}) when it is missing or smaller. */
        void ensure(long bytes) {
            if (buffer != null && buffer.bytes() >= bytes) return;
            release(); // the old one is gone even if the new allocation fails
            String name = "winograd " + role + " of " + spec();
            buffer = zeroed ? backend.createBuffer(new float[Math.toIntExact(bytes / org.convcl.DataType.FLOAT32.bytes())], name) : backend.createBuffer(bytes, name);
        }

        cl_mem mem() { return buffer.mem(); }

        void release() {
            if (buffer != null) backend.release(buffer);
            buffer = null;
        }
    }

    /** Releases the kernels, weights, bias and scratch buffers. */
    @Override
    void releaseResources() {
        closeKernels(input, output, fixup, gemm);
        release(transformed, weights, bias);
        for (Scratch s : new Scratch[] {v, m, flags}) s.release();
    }

    @Override
    public String toString() {
        return "OpenClWinogradConv[" + spec() + ", " + preparedPlan + "]";
    }
}
