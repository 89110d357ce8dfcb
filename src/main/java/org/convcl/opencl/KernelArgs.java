package org.convcl.opencl;

import java.util.List;
import java.util.function.Function;
import org.convcl.plan.Launch;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * Sets a kernel's arguments in declaration order: each call appends the next one, so there are no
 * hand-numbered indices to get out of step with the kernel source. Not thread-safe (nor is
 * {@code clSetKernelArg}): callers hold the kernel's lock.
 */
final class KernelArgs {
    private final cl_kernel kernel;
    private int next;

    private KernelArgs(cl_kernel kernel) {
        this.kernel = kernel;
    }

    /** Starts setting arguments of {@code kernel} from index 0. */
    static KernelArgs on(cl_kernel kernel) {
        return new KernelArgs(kernel);
    }

    /** Sets the arguments a {@link Launch} describes: each buffer role through {@code buffers}, each int as it is. */
    static void bind(cl_kernel kernel, List<Launch.Arg> args, Function<Launch.Role, cl_mem> buffers) {
        KernelArgs set = on(kernel);
        for (Launch.Arg arg : args) {
            if (arg instanceof Launch.Buffer b) set.buffer(buffers.apply(b.role()));
            else set.int32(((Launch.Int) arg).value());
        }
    }

    /** Appends a buffer argument. */
    KernelArgs buffer(cl_mem mem) {
        return set(Sizeof.cl_mem, Pointer.to(mem));
    }

    /** Appends an {@code int} argument. */
    KernelArgs int32(int value) {
        return set(Sizeof.cl_int, Pointer.to(new int[] {value}));
    }

    /** Appends a {@code float} argument. */
    KernelArgs float32(float value) {
        return set(Sizeof.cl_float, Pointer.to(new float[] {value}));
    }

    /** Appends several {@code int} arguments in order. */
    KernelArgs int32(int... values) {
        for (int v : values) int32(v);
        return this;
    }

    /** How many arguments have been set. */
    int count() {
        return next;
    }

    private KernelArgs set(long size, Pointer value) {
        int status = CL.clSetKernelArg(kernel, next, size, value);
        if (status != 0) ClStatus.check(status, "clSetKernelArg(index " + next + ")"); // the message built only on failure
        next++;
        return this;
    }
}
