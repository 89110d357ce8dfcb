package org.convcl;

/**
 * A tensor resident on one backend (device memory for OpenCL, a Java array for the CPU backend).
 * Chained layers pass device tensors from one {@link PreparedConv} to the next without a host round trip.
 * Closing releases the memory; it is idempotent. Using a closed tensor, or a tensor with a backend that
 * did not create it, throws {@link IllegalStateException} or {@link IllegalArgumentException}.
 *
 * <p>Thread safety: {@code shape()}, {@code backend()} and {@code isClosed()} may be called at any time; any
 * number of threads may read a tensor at once; a thread writing it (as a {@code forward} output) must be ordered
 * by the caller against other readers and writers; {@code close()} must not race with other threads' use.
 * The full contract is on {@link Backend}.
 */
public interface DeviceTensor extends AutoCloseable {

    Shape shape();

    /** The backend that owns this tensor. */
    Backend backend();

    boolean isClosed();

    /** Copies the contents to the host (waits for queued work that writes it). */
    default Tensor download() {
        return backend().download(this);
    }

    @Override
    void close();
}
