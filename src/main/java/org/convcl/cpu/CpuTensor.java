package org.convcl.cpu;

import java.util.concurrent.atomic.AtomicLong;
import org.convcl.Backend;
import org.convcl.DeviceTensor;
import org.convcl.Shape;

/**
 * A CPU "device" tensor: a Java array in NCHW order owned by one {@link CpuBackend}. Closing drops the
 * array (idempotent); any later use throws {@link IllegalStateException} naming the tensor.
 */
final class CpuTensor implements DeviceTensor {
    private static final AtomicLong NEXT_ID = new AtomicLong();

    private final CpuBackend owner;
    private final Shape shape;
    private final String name;
    private volatile float[] data;

    CpuTensor(CpuBackend owner, Shape shape, float[] data) {
        this.owner = owner;
        this.shape = shape;
        this.data = data;
        this.name = "cpu tensor #" + NEXT_ID.incrementAndGet() + " " + shape;
    }

    @Override
    public Shape shape() {
        return shape;
    }

    @Override
    public Backend backend() {
        return owner;
    }

    @Override
    public boolean isClosed() {
        return data == null;
    }

    /** The backing array; throws when the tensor is closed. */
    float[] data() {
        float[] d = data;
        if (d == null) throw new IllegalStateException(name + " is closed");
        return d;
    }

    @Override
    public void close() {
        data = null;
    }

    @Override
    public String toString() {
        return name;
    }
}
