package org.convcl.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.convcl.ArrayOps;
import org.convcl.DeviceTensor;
import org.convcl.PoolSpec;
import org.convcl.Pointwise;
import org.convcl.Shape;
import org.convcl.TensorOps;

/** {@link TensorOps} of the CPU backend: {@link ArrayOps} on the tensors' arrays, on the calling thread. */
final class CpuTensorOps implements TensorOps {
    private final CpuBackend backend;

    CpuTensorOps(CpuBackend backend) {
        this.backend = backend;
    }

    @Override
    public void pointwise(Pointwise f, DeviceTensor x, DeviceTensor out) {
        CpuTensor src = backend.owned(x, "input"), dst = output(out, List.of(x));
        ArrayOps.checkPointwise(f, src.shape(), dst.shape());
        ArrayOps.pointwise(f, src.data(), dst.data());
    }

    @Override
    public void binary(Binary op, DeviceTensor a, DeviceTensor b, Pointwise then, DeviceTensor out) {
        CpuTensor x = backend.owned(a, "first input"), y = backend.owned(b, "second input"), dst = output(out, List.of(a, b));
        ArrayOps.checkBinary(op, x.shape(), y.shape(), then, dst.shape());
        ArrayOps.binary(op, x.data(), x.shape(), y.data(), y.shape(), then, dst.data(), dst.shape());
    }

    @Override
    public void pool(PoolSpec spec, DeviceTensor x, DeviceTensor out) {
        CpuTensor src = backend.owned(x, "input"), dst = output(out, List.of(x));
        ArrayOps.checkPool(spec, src.shape(), dst.shape());
        Shape so = dst.shape();
        int planes = so.n() * so.c();
        boolean w3s2 = spec.kind() == PoolSpec.Kind.MAX && spec.kernelW() == 3 && spec.strideW() == 2 && spec.dilationW() == 1;
        CpuPool.parallelRanges(planes, CpuPool.tasksFor(planes), (from, to) -> {
            if (w3s2) maxPoolW3S2(spec, src.data(), src.shape(), dst.data(), so, from, to);
            else ArrayOps.poolPlanes(spec, src.data(), src.shape(), dst.data(), so, from, to);
        });
    }

    /**
     * {@link ArrayOps#poolPlanes} for a max window 3 wide at stride 2 along x, undilated (ResNet's 3×3/2 max pool): per
     * output row, the window's rows are reduced into one row first (a loop the JIT vectorizes), then each output takes
     * the largest of its 3 columns. {@link Math#max} keeps a NaN as the definition does.
     */
    private static void maxPoolW3S2(PoolSpec spec, float[] x, Shape sx, float[] out, Shape so, int from, int to) {
        int h = sx.h(), w = sx.w(), oh = so.h(), ow = so.w(), kh = spec.kernelH(), sh = spec.strideH();
        int dh = spec.dilationH(), padTop = spec.padTop(), padLeft = spec.padLeft();
        int lo = spec.firstInsideColumn(ow), hi = spec.endInsideColumn(w, ow); // outputs reading 3 columns of the row
        float[] rows = new float[w];
        for (int plane = from; plane < to; plane++) {
            int base = plane * h * w, outBase = plane * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = oy * sh - padTop;
                boolean any = false;
                for (int ky = 0; ky < kh; ky++) {
                    int iy = y0 + ky * dh;
                    if (iy < 0 || iy >= h) continue;
                    int row = base + iy * w;
                    if (!any) System.arraycopy(x, row, rows, 0, w);
                    else for (int i = 0; i < w; i++) rows[i] = Math.max(rows[i], x[row + i]);
                    any = true;
                }
                if (!any) Arrays.fill(rows, Float.NEGATIVE_INFINITY);
                int o = outBase + oy * ow;
                for (int ox = lo; ox < hi; ox++) {
                    int c = 2 * ox - padLeft;
                    out[o + ox] = Math.max(Math.max(rows[c], rows[c + 1]), rows[c + 2]);
                }
                for (int ox = 0; ox < ow; ox++) {
                    if (ox == lo) ox = hi;
                    if (ox >= ow) break;
                    float m = Float.NEGATIVE_INFINITY;
                    for (int c = Math.max(0, 2 * ox - padLeft); c < Math.min(w, 2 * ox - padLeft + 3); c++) m = Math.max(m, rows[c]);
                    out[o + ox] = m;
                }
            }
        }
    }

    @Override
    public void concatChannels(List<DeviceTensor> inputs, DeviceTensor out) {
        if (inputs == null) throw new IllegalArgumentException("concat inputs must not be null");
        List<float[]> data = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        for (DeviceTensor t : inputs) {
            CpuTensor c = backend.owned(t, "concat input");
            data.add(c.data());
            shapes.add(c.shape());
        }
        CpuTensor dst = output(out, inputs);
        ArrayOps.requireShape(dst.shape(), ArrayOps.concatShape(shapes), "concat of " + shapes);
        ArrayOps.concatChannels(data, shapes, dst.data(), dst.shape());
    }

    @Override
    public void copy(DeviceTensor src, DeviceTensor dst) {
        CpuTensor from = backend.owned(src, "source"), to = output(dst, List.of(src));
        ArrayOps.checkCopy(from.shape(), to.shape());
        System.arraycopy(from.data(), 0, to.data(), 0, from.shape().count());
    }

    @Override
    public void dense(DeviceTensor x, DeviceTensor weights, DeviceTensor bias, Pointwise then, DeviceTensor out) {
        CpuTensor in = backend.owned(x, "input"), w = backend.owned(weights, "weights");
        CpuTensor b = bias == null ? null : backend.owned(bias, "bias");
        CpuTensor dst = output(out, bias == null ? List.of(x, weights) : List.of(x, weights, bias));
        ArrayOps.checkDense(in.shape(), w.shape(), b == null ? null : b.shape(), then, dst.shape());
        ArrayOps.dense(in.data(), in.shape(), w.data(), w.shape(), b == null ? null : b.data(), then, dst.data());
    }

    private CpuTensor output(DeviceTensor out, List<DeviceTensor> inputs) {
        backend.checkOpen();
        CpuTensor dst = backend.owned(out, "output");
        ArrayOps.requireDistinct(out, inputs);
        return dst;
    }
}
