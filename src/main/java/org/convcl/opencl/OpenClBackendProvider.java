package org.convcl.opencl;

import static org.jocl.CL.*;

import java.util.ArrayList;
import java.util.List;
import org.convcl.Backend;
import org.convcl.BackendProvider;
import org.convcl.BackendUnavailableException;
import org.convcl.DeviceInfo;
import org.convcl.plan.KernelFamily;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * Finds OpenCL devices on every platform and opens {@link OpenClBackend}s on them. Device ids are
 * {@code "platformIndex:deviceIndex"}. Registered through {@code META-INF/services}.
 *
 * <p>Loading the native library is probed once per process: JOCL throws {@link UnsatisfiedLinkError} on
 * the first attempt and {@link NoClassDefFoundError} afterwards, so the first failure is remembered and
 * reported as the cause of every later {@link BackendUnavailableException}.
 */
public final class OpenClBackendProvider implements BackendProvider {
    private static final Object PROBE_LOCK = new Object();
    private static boolean probed;
    private static LinkageError loadFailure;
    private static volatile Discovery discovery = Discovery.JOCL;

    /**
     * The two native calls that find platforms and devices; a test seam that simulates a missing library
     * (throw {@link LinkageError}), no platform ({@code CL_PLATFORM_NOT_FOUND_KHR}) or no device.
     */
    interface Discovery {
        /** {@code clGetPlatformIDs}. */
        int platformIds(int count, cl_platform_id[] platforms, int[] found);

        /** {@code clGetDeviceIDs} for every device type. */
        int deviceIds(cl_platform_id platform, int count, cl_device_id[] devices, int[] found);

        /** The real calls through JOCL. */
        Discovery JOCL = new Discovery() {
            @Override
            public int platformIds(int count, cl_platform_id[] platforms, int[] found) {
                return clGetPlatformIDs(count, platforms, found);
            }

            @Override
            public int deviceIds(cl_platform_id platform, int count, cl_device_id[] devices, int[] found) {
                return clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, count, devices, found);
            }
        };
    }

    /** Test seam: replaces the discovery calls and forgets the remembered load probe. */
    static void useDiscovery(Discovery replacement) {
        synchronized (PROBE_LOCK) {
            discovery = replacement;
            probed = false;
            loadFailure = null;
        }
    }

    /** Creates the provider; nothing native is touched until {@link #devices()} or {@link #open}. */
    public OpenClBackendProvider() {}

    @Override
    public DeviceInfo.BackendKind kind() {
        return DeviceInfo.BackendKind.OPENCL;
    }

    /**
     * Every device of every platform. Empty when the runtime has no platform ({@code CL_PLATFORM_NOT_FOUND_KHR})
     * or no device; throws {@link BackendUnavailableException} when JOCL's native library cannot load.
     */
    @Override
    public List<DeviceInfo> devices() {
        List<DeviceInfo> all = new ArrayList<>();
        cl_platform_id[] platforms = platforms();
        for (int p = 0; p < platforms.length; p++) {
            cl_device_id[] devices = devices(platforms[p]);
            for (int d = 0; d < devices.length; d++) {
                all.add(describe(platforms[p], devices[d], p + ":" + d));
            }
        }
        return List.copyOf(all);
    }

    /** Opens a backend on the device with {@code device.id()}; throws when it is gone or its name changed. */
    @Override
    public Backend open(DeviceInfo device) {
        return open(device, java.util.function.UnaryOperator.identity());
    }

    /**
     * Opens a backend on the device with {@code device.id()} whose planner uses the kernel family {@code family},
     * whatever the device type and the {@code convcl.kernels} setting ({@code convcl selftest --kernels}).
     *
     * @throws IllegalArgumentException when {@code family} is null
     */
    public OpenClBackend open(DeviceInfo device, KernelFamily family) {
        if (family == null) throw new IllegalArgumentException("kernel family must not be null");
        return open(device, java.util.function.UnaryOperator.identity(), family);
    }

    /**
     * Test seam: {@link #open(DeviceInfo)} with the device's limits as {@code limits} makes them from the ones it
     * reports (lower ones exercise every refusal on any device: allocation, work-group and local memory sizes).
     */
    OpenClBackend open(DeviceInfo device, java.util.function.UnaryOperator<DeviceInfo> limits) {
        return open(device, limits, null);
    }

    /** Opens the device; {@code family} null: the {@code convcl.kernels} setting, else the device type, decides. */
    private OpenClBackend open(DeviceInfo device, java.util.function.UnaryOperator<DeviceInfo> limits, KernelFamily family) {
        if (device == null || device.backend() != DeviceInfo.BackendKind.OPENCL) {
            throw new IllegalArgumentException("device must be an OpenCL device, got " + (device == null ? "null" : device.describe()));
        }
        String[] parts = device.id().split(":");
        if (parts.length != 2) throw new IllegalArgumentException("OpenCL device id must be 'platform:device', got '" + device.id() + "'");
        int p, d;
        try {
            p = Integer.parseInt(parts[0]);
            d = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("OpenCL device id must be 'platform:device', got '" + device.id() + "'");
        }
        cl_platform_id[] platforms = platforms();
        if (p < 0 || p >= platforms.length) {
            throw new BackendUnavailableException("OpenCL platform " + p + " of device " + device.describe() + " not found");
        }
        cl_device_id[] devices = devices(platforms[p]);
        if (d < 0 || d >= devices.length) {
            throw new BackendUnavailableException("OpenCL device " + device.describe() + " not found");
        }
        DeviceInfo found = describe(platforms[p], devices[d], device.id());
        if (!found.name().equals(device.name())) {
            throw new BackendUnavailableException("OpenCL device " + device.id() + " is now '" + found.name()
                    + "', not '" + device.name() + "'");
        }
        return family == null ? new OpenClBackend(platforms[p], devices[d], limits.apply(found))
                : new OpenClBackend(platforms[p], devices[d], limits.apply(found), family);
    }

    /** Loads JOCL's native library once; rethrows the remembered failure as {@link BackendUnavailableException}. */
    static void ensureLoaded() {
        synchronized (PROBE_LOCK) {
            if (!probed) {
                probed = true;
                try {
                    int[] n = new int[1];
                    discovery.platformIds(0, null, n); // forces the native library to load
                } catch (LinkageError e) {
                    loadFailure = e;
                }
            }
            if (loadFailure != null) {
                throw new BackendUnavailableException("the OpenCL runtime (JOCL native library) cannot be loaded: "
                        + loadFailure, loadFailure);
            }
        }
    }

    private static cl_platform_id[] platforms() {
        ensureLoaded();
        int[] count = new int[1];
        int status = discovery.platformIds(0, null, count);
        if (status == ClStatus.CL_PLATFORM_NOT_FOUND_KHR || (status == CL_SUCCESS && count[0] == 0)) {
            return new cl_platform_id[0];
        }
        ClStatus.check(status, "clGetPlatformIDs");
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        ClStatus.check(discovery.platformIds(platforms.length, platforms, null), "clGetPlatformIDs");
        return platforms;
    }

    private static cl_device_id[] devices(cl_platform_id platform) {
        int[] count = new int[1];
        int status = discovery.deviceIds(platform, 0, null, count);
        if (status == CL_DEVICE_NOT_FOUND || (status == CL_SUCCESS && count[0] == 0)) return new cl_device_id[0];
        ClStatus.check(status, "clGetDeviceIDs");
        cl_device_id[] devices = new cl_device_id[count[0]];
        ClStatus.check(discovery.deviceIds(platform, devices.length, devices, null), "clGetDeviceIDs");
        return devices;
    }

    private static DeviceInfo describe(cl_platform_id platform, cl_device_id device, String id) {
        return new DeviceInfo(DeviceInfo.BackendKind.OPENCL, id,
                ClInfo.platformString(platform, CL_PLATFORM_NAME),
                ClInfo.deviceString(device, CL_DEVICE_NAME),
                ClInfo.deviceType(device),
                ClInfo.deviceString(device, CL_DEVICE_VENDOR),
                ClInfo.deviceString(device, CL_DRIVER_VERSION),
                ClInfo.deviceString(device, CL_DEVICE_VERSION),
                ClInfo.deviceUint(device, CL_DEVICE_MAX_COMPUTE_UNITS),
                ClInfo.deviceUint(device, CL_DEVICE_MAX_CLOCK_FREQUENCY),
                ClInfo.deviceSize(device, CL_DEVICE_MAX_WORK_GROUP_SIZE),
                ClInfo.deviceUlong(device, CL_DEVICE_GLOBAL_MEM_SIZE),
                ClInfo.deviceUlong(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                ClInfo.deviceUlong(device, CL_DEVICE_LOCAL_MEM_SIZE));
    }
}
