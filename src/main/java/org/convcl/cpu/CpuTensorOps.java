package org.convcl.cpu;

import java.util.ArrayList;
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
        CpuPool.parallelRanges(planes, CpuPool.tasksFor(planes),
                (from, to) -> ArrayOps.poolPlanes(spec, src.data(), src.shape(), dst.data(), so, from, to));
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
