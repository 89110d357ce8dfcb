package org.convcl.opencl;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.convcl.ArrayOps;
import org.convcl.Closer;
import org.convcl.DeviceTensor;
import org.convcl.PoolSpec;
import org.convcl.Pointwise;
import org.convcl.Shape;
import org.convcl.TensorOps;
import org.jocl.cl_mem;

/**
 * {@link TensorOps} of the OpenCL backend: the kernels of {@code kernels/net_ops.cl}, one work-item per output
 * element, enqueued on the backend's queue (not waited for). One program, its four kernel objects made at first use
 * and released by {@link #close()} (the backend closes it). Thread-safe: setting arguments and enqueueing hold this
 * object's lock ({@code clSetKernelArg} is not thread-safe).
 */
final class OpenClTensorOps implements TensorOps, AutoCloseable {
    static final String FILE = "net_ops.cl";
    /** The defines of the one build of {@link #FILE}: the common header's, unused by its kernels. */
    static final Map<String, Integer> DEFINES = Map.of("HAS_BIAS", 0, "ACTIVATION", 0);
    /** Work-items per work-group (less when a kernel allows fewer, or to give every compute unit work). */
    private static final long LOCAL_SIZE = 1024;
    /**
     * Work-groups per compute unit a launch is split into when it has the work-items for it: a CPU device (PoCL) runs a
     * work-group on one core, so a classifier's 125 work-items in one group of 1024 left the other core idle.
     */
    private static final int GROUPS_PER_UNIT = 4;

    private enum Entry { net_pointwise, net_binary, net_binary4, net_pool, net_pool4, net_max_pool_w3s2, net_global_average, net_copy_rows, net_dense }

    /** Rows (batch items) and adjacent outputs each work-item of net_dense computes: its NET_DENSE_ROWS, NET_DENSE_VEC. */
    private static final int DENSE_ROWS = 4, DENSE_VEC = 16;

    private final OpenClBackend backend;
    private final Map<Entry, ClKernel> kernels = new EnumMap<>(Entry.class);
    private boolean closed;

    OpenClTensorOps(OpenClBackend backend) {
        this.backend = backend;
    }

    @Override
    public void pointwise(Pointwise f, DeviceTensor x, DeviceTensor out) {
        ClTensor src = backend.own(x, "input"), dst = output(out, List.of(x));
        ArrayOps.checkPointwise(f, src.shape(), dst.shape());
        synchronized (this) {
            ClKernel k = kernel(Entry.net_pointwise);
            KernelArgs.on(k.handle()).buffer(src.mem()).buffer(dst.mem()).int32(dst.shape().count(), f.kind().code())
                    .float32(f.a()).float32(f.b());
            launch(k, dst.shape().count());
        }
    }

    @Override
    public void binary(Binary op, DeviceTensor a, DeviceTensor b, Pointwise then, DeviceTensor out) {
        ClTensor x = backend.own(a, "first input"), y = backend.own(b, "second input"), dst = output(out, List.of(a, b));
        ArrayOps.checkBinary(op, x.shape(), y.shape(), then, dst.shape());
        Shape s = dst.shape();
        int hw = s.h() * s.w(), planes = s.n() * s.c(), modeA = operandMode(x.shape(), s), modeB = operandMode(y.shape(), s);
        synchronized (this) {
            if (hw % 4 == 0 && modeA != NET_STRIDED && modeB != NET_STRIDED) { // the common forms, 4 elements per work-item
                ClKernel k = kernel(Entry.net_binary4);
                KernelArgs.on(k.handle()).buffer(x.mem()).buffer(y.mem()).buffer(dst.mem()).int32(hw, planes, modeA, modeB)
                        .int32(op.code(), then.kind().code()).float32(then.a()).float32(then.b());
                launch(k, hw / 4, planes);
                return;
            }
            ClKernel k = kernel(Entry.net_binary);
            KernelArgs.on(k.handle()).buffer(x.mem()).buffer(y.mem()).buffer(dst.mem()).int32(hw, s.w(), planes, s.c())
                    .int32(modeA).int32(ArrayOps.strides(x.shape()))
                    .int32(modeB).int32(ArrayOps.strides(y.shape()))
                    .int32(op.code(), then.kind().code()).float32(then.a()).float32(then.b());
            launch(k, hw, planes);
        }
    }

    /** net_binary's operand layout modes (NET_FULL, NET_PER_PLANE, NET_STRIDED). */
    private static final int NET_FULL = 0, NET_PER_PLANE = 1, NET_STRIDED = 2;

    /** How net_binary indexes an operand of shape {@code s} broadcast to {@code out}: its NET_* layout mode. */
    private static int operandMode(Shape s, Shape out) {
        if (s.equals(out)) return NET_FULL;
        if (s.n() == out.n() && s.c() == out.c() && s.h() == 1 && s.w() == 1) return NET_PER_PLANE;
        return NET_STRIDED;
    }

    @Override
    public void pool(PoolSpec p, DeviceTensor x, DeviceTensor out) {
        ClTensor src = backend.own(x, "input"), dst = output(out, List.of(x));
        ArrayOps.checkPool(p, src.shape(), dst.shape());
        Shape in = src.shape(), o = dst.shape();
        int planes = o.n() * o.c();
        synchronized (this) {
            if (isGlobalAverage(p, in)) {
                ClKernel k = kernel(Entry.net_global_average);
                KernelArgs.on(k.handle()).buffer(src.mem()).buffer(dst.mem()).int32(planes, in.h() * in.w());
                launch(k, planes);
                return;
            }
            int vectors = maxW3S2Vectors(p, in.w(), o.w());
            boolean quads = o.w() >= 4; // 4 outputs along x per work-item
            ClKernel k = kernel(vectors > 0 ? Entry.net_max_pool_w3s2 : quads ? Entry.net_pool4 : Entry.net_pool);
            KernelArgs.on(k.handle()).buffer(src.mem()).buffer(dst.mem()).int32(planes, in.h(), in.w(), o.h(), o.w())
                    .int32(p.kind().code(), p.kernelH(), p.kernelW(), p.strideH(), p.strideW())
                    .int32(p.padTop(), p.padLeft(), p.padBottom(), p.padRight(), p.dilationH(), p.dilationW())
                    .int32(p.countIncludePad() ? 1 : 0);
            launch(k, o.h() * (vectors > 0 ? vectors : quads ? (o.w() + 3) / 4 : o.w()), planes);
        }
    }

    /**
     * net_max_pool_w3s2's work-items per output row when {@code p} is its case (a max window 3 wide at stride 2 along
     * x, undilated, with at least 16 outputs of a row whose columns all lie inside the input), else 0.
     */
    private static int maxW3S2Vectors(PoolSpec p, int inW, int outW) {
        if (p.kind() != PoolSpec.Kind.MAX || p.kernelW() != 3 || p.strideW() != 2 || p.dilationW() != 1) return 0;
        int inside = p.endInsideColumn(inW, outW) - p.firstInsideColumn(outW);
        return inside >= 16 ? (inside + 15) / 16 : 0;
    }

    /** Whether {@code p} averages each whole plane of {@code in} (no pads): net_global_average's case. */
    private static boolean isGlobalAverage(PoolSpec p, Shape in) {
        return p.kind() == PoolSpec.Kind.AVERAGE && p.kernelH() == in.h() && p.kernelW() == in.w() && p.padTop() == 0
                && p.padLeft() == 0 && p.padBottom() == 0 && p.padRight() == 0;
    }

    @Override
    public void concatChannels(List<DeviceTensor> inputs, DeviceTensor out) {
        if (inputs == null) throw new IllegalArgumentException("concat inputs must not be null");
        List<ClTensor> srcs = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        for (DeviceTensor t : inputs) {
            ClTensor c = backend.own(t, "concat input");
            srcs.add(c);
            shapes.add(c.shape());
        }
        ClTensor dst = output(out, inputs);
        ArrayOps.requireShape(dst.shape(), ArrayOps.concatShape(shapes), "concat of " + shapes);
        int plane = dst.shape().h() * dst.shape().w(), offset = 0;
        synchronized (this) {
            for (ClTensor src : srcs) {
                int row = src.shape().c() * plane;
                copyRows(src.mem(), dst.mem(), src.shape().count(), row, dst.shape().c() * plane, offset);
                offset += row;
            }
        }
    }

    @Override
    public void copy(DeviceTensor src, DeviceTensor dst) {
        ClTensor from = backend.own(src, "source"), to = output(dst, List.of(src));
        ArrayOps.checkCopy(from.shape(), to.shape());
        int count = from.shape().count();
        synchronized (this) {
            copyRows(from.mem(), to.mem(), count, count, count, 0);
        }
    }

    @Override
    public void dense(DeviceTensor x, DeviceTensor weights, DeviceTensor bias, Pointwise then, DeviceTensor out) {
        ClTensor in = backend.own(x, "input"), w = backend.own(weights, "weights");
        ClTensor b = bias == null ? null : backend.own(bias, "bias");
        ClTensor dst = output(out, bias == null ? List.of(x, weights) : List.of(x, weights, bias));
        ArrayOps.checkDense(in.shape(), w.shape(), b == null ? null : b.shape(), then, dst.shape());
        int rows = in.shape().n(), k = w.shape().n(), outputs = w.shape().c();
        synchronized (this) {
            ClKernel kernel = kernel(Entry.net_dense);
            KernelArgs.on(kernel.handle()).buffer(in.mem()).buffer(w.mem()).buffer(b == null ? backend.noBias().mem() : b.mem())
                    .buffer(dst.mem()).int32(rows, k, outputs, b == null ? 0 : 1, then.kind().code()).float32(then.a()).float32(then.b());
            long groups = (outputs + DENSE_VEC - 1) / DENSE_VEC, rowGroups = (rows + DENSE_ROWS - 1) / DENSE_ROWS;
            long local = spread(kernel, groups, minGroups() / rowGroups);
            backend.launcher().launch(kernel, new long[] {groups, rowGroups}, new long[] {local, 1}, false);
        }
    }

    private void copyRows(cl_mem src, cl_mem dst, int count, int row, int dstRow, int offset) {
        ClKernel k = kernel(Entry.net_copy_rows);
        KernelArgs.on(k.handle()).buffer(src).buffer(dst).int32(count, row, dstRow, offset);
        launch(k, count);
    }

    private ClTensor output(DeviceTensor out, List<DeviceTensor> inputs) {
        ClTensor dst = backend.own(out, "output");
        ArrayOps.requireDistinct(out, inputs);
        return dst;
    }

    private void launch(ClKernel k, int count) {
        backend.launcher().launch(k, new long[] {count}, new long[] {spread(k, count, minGroups())}, false);
    }

    /** At least {@link #GROUPS_PER_UNIT} work-groups per compute unit. */
    private long minGroups() {
        return (long) GROUPS_PER_UNIT * backend.facts().computeUnits();
    }

    /** The local size for {@code items} work-items along a dimension: the largest allowed that still makes {@code groups} groups (1 at least). */
    private static long spread(ClKernel k, long items, long groups) {
        long cap = Math.min(LOCAL_SIZE, k.workGroupSize());
        return Math.max(1, Math.min(cap, (items + Math.max(1, groups) - 1) / Math.max(1, groups)));
    }

    /**
     * A 2-D launch: {@code inner} elements of each of {@code planes} planes; a work-group spans a plane's elements (up
     * to the local size) and, when a plane has fewer (a global pool's single output), several planes, as long as that
     * leaves {@link #minGroups()} groups; else the planes, then the elements, are split further.
     */
    private void launch(ClKernel k, int inner, int planes) {
        long size = Math.min(LOCAL_SIZE, k.workGroupSize());
        long local0 = Math.min(size, inner), groups0 = (inner + local0 - 1) / local0;
        long local1 = Math.min(Math.min(size / local0, planes), spread(k, planes, minGroups() / groups0));
        long groups1 = (planes + local1 - 1) / local1;
        if (groups0 * groups1 < minGroups()) local0 = spread(k, inner, minGroups() / groups1);
        backend.launcher().launch(k, new long[] {inner, planes}, new long[] {local0, local1}, false);
    }

    /** The kernel object of {@code entry}, made at first use; the caller holds this object's lock. */
    private ClKernel kernel(Entry entry) {
        if (closed) throw new IllegalStateException("the network operators of " + backend + " are closed");
        return kernels.computeIfAbsent(entry, e -> new ClKernel(backend.library().program(FILE, DEFINES), e.name(),
                backend.deviceId(), backend.kernelCounter()));
    }

    /** Releases the kernel objects (idempotent); the program stays in the backend's library. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Closer closer = new Closer();
        closer.closeAll(List.copyOf(kernels.values()));
        kernels.clear();
        closer.finish();
    }
}
