package org.convcl.net;

/**
 * A model that convcl cannot run: not ONNX, truncated, an unsupported operator, attribute or data type, a missing
 * initializer, a cycle, a tensor size that overflows or does not match its data, or an input shape that does not
 * fit. The message names the node, its operator and the attribute, tensor or shape at fault. Thrown before anything
 * is allocated on a backend.
 */
public final class InvalidModelException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** An exception with the given one-line message. */
    public InvalidModelException(String message) {
        super(message);
    }

    /** An exception with the given one-line message and its cause. */
    public InvalidModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
