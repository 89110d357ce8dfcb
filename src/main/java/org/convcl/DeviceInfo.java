package org.convcl;

/**
 * What a backend runs on: the backend kind, a stable id ({@code "platform:device"} for OpenCL,
 * {@code "cpu"} for the Java backend), names and the limits that planning needs. Sizes are bytes.
 */
public record DeviceInfo(
        BackendKind backend,
        String id,
        String platformName,
        String name,
        String type,
        String vendor,
        String driverVersion,
        String openclVersion,
        int computeUnits,
        int maxClockMHz,
        long maxWorkGroupSize,
        long globalMemBytes,
        long maxAllocBytes,
        long localMemBytes) {

    /** Which implementation family a backend belongs to. */
    public enum BackendKind { OPENCL, CPU }

    /** One line for logs and listings, e.g. {@code opencl 0:0 pthread-skylake (Portable Computing Language, CPU, 2 CU)}. */
    public String describe() {
        return backend.name().toLowerCase() + " " + id + " " + name + " (" + platformName + ", " + type + ", "
                + computeUnits + " CU)";
    }
}
