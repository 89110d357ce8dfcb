package org.convcl.cpu;

import java.util.List;
import org.convcl.Backend;
import org.convcl.BackendProvider;
import org.convcl.DeviceInfo;

/**
 * Provides the pure-Java CPU backend. It has exactly one device, id {@code "cpu"}, and never touches
 * OpenCL, so it works where no OpenCL library can be loaded.
 */
public final class CpuBackendProvider implements BackendProvider {

    /** The id of the single CPU device. */
    public static final String DEVICE_ID = "cpu";

    /** Public no-arg constructor for {@link java.util.ServiceLoader}. */
    public CpuBackendProvider() {}

    @Override
    public DeviceInfo.BackendKind kind() {
        return DeviceInfo.BackendKind.CPU;
    }

    /** The single device, describing the shared thread pool, the SIMD path and the JVM's memory limits. */
    @Override
    public List<DeviceInfo> devices() {
        return List.of(device());
    }

    /** Opens a new CPU backend; every backend shares one thread pool. */
    @Override
    public Backend open(DeviceInfo device) {
        if (device == null) throw new IllegalArgumentException("device must not be null");
        if (device.backend() != DeviceInfo.BackendKind.CPU || !DEVICE_ID.equals(device.id())) {
            throw new IllegalArgumentException("the CPU provider opens only device '" + DEVICE_ID + "', got "
                    + device.backend() + " '" + device.id() + "'");
        }
        return new CpuBackend(device, Simd.preferred());
    }

    /** The device as seen with the preferred SIMD path. */
    static DeviceInfo device() {
        return device(Simd.preferred());
    }

    /** The device; its platform name says which SIMD path the kernels take, e.g. {@code "Java, Vector API 512-bit"}. */
    static DeviceInfo device(Simd simd) {
        int threads = CpuPool.parallelism();
        long maxMemory = Runtime.getRuntime().maxMemory();
        return new DeviceInfo(DeviceInfo.BackendKind.CPU, DEVICE_ID, "Java, " + simd.describe(), "Java CPU (" + threads + " threads)",
                "CPU", System.getProperty("java.vendor", "unknown"), System.getProperty("java.version", "unknown"),
                "none", threads, 0, 1, maxMemory, Math.min(maxMemory, 4L * (Integer.MAX_VALUE - 8)), 0);
    }
}
