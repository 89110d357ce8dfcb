package org.convcl;

/** No backend of the kind asked for can run here (no OpenCL library, platform or matching device). */
public class BackendUnavailableException extends RuntimeException {
    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
