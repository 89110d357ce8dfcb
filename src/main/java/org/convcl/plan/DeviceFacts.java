package org.convcl.plan;

import java.util.Arrays;

/**
 * What the planner may know about a device: plain numbers, no OpenCL handles.
 *
 * @param type              {@code GPU}, {@code CPU} or {@code ACCELERATOR}
 * @param vendor            the device vendor as OpenCL reports it, or {@link #UNKNOWN_VENDOR}
 * @param family            the kernel family the planner picks from: {@link KernelFamily#forDeviceType} of the type
 *                          unless the {@code convcl.kernels} setting forced one ({@link #withFamily})
 * @param computeUnits      number of compute units
 * @param maxWorkGroupSize  the largest work-group (product of local sizes) a kernel may use
 * @param maxWorkItemSizes  the largest local size per dimension (three entries)
 * @param localMemBytes     local memory per work-group
 * @param deviceKey         the key of this device in a {@link TuningTable}: device name and driver version
 *                          ({@link #deviceKey(String, String)}), or {@link #UNKNOWN_DEVICE} when not known
 */
public record DeviceFacts(String type, String vendor, KernelFamily family, int computeUnits, long maxWorkGroupSize, long[] maxWorkItemSizes,
                          long localMemBytes, String deviceKey) {

    /** The device key of facts made without one (e.g. {@code convcl plan}): it matches no tuning entry of a real device. */
    public static final String UNKNOWN_DEVICE = "unknown device";
    /** The vendor of facts made without one. */
    public static final String UNKNOWN_VENDOR = "unknown vendor";

    public DeviceFacts {
        if (type == null || type.isBlank()) throw new IllegalArgumentException("device type must not be blank, got '" + type + "'");
        if (vendor == null || vendor.isBlank()) throw new IllegalArgumentException("device vendor must not be blank, got '" + vendor + "'");
        if (family == null) throw new IllegalArgumentException("kernel family must not be null");
        if (computeUnits <= 0) throw new IllegalArgumentException("computeUnits must be positive, got " + computeUnits);
        if (maxWorkGroupSize <= 0) {
            throw new IllegalArgumentException("maxWorkGroupSize must be positive, got " + maxWorkGroupSize);
        }
        if (maxWorkItemSizes == null || maxWorkItemSizes.length != 3) {
            throw new IllegalArgumentException("maxWorkItemSizes must have 3 entries, got "
                    + (maxWorkItemSizes == null ? "null" : Arrays.toString(maxWorkItemSizes)));
        }
        for (long s : maxWorkItemSizes) {
            if (s <= 0) throw new IllegalArgumentException("maxWorkItemSizes must be positive, got " + Arrays.toString(maxWorkItemSizes));
        }
        maxWorkItemSizes = maxWorkItemSizes.clone();
        if (localMemBytes < 0) throw new IllegalArgumentException("localMemBytes must be non-negative, got " + localMemBytes);
        if (deviceKey == null || deviceKey.isBlank()) {
            throw new IllegalArgumentException("deviceKey must not be blank, got '" + deviceKey + "'");
        }
    }

    /** Facts of a device of unknown vendor, with the kernel family of its type. */
    public DeviceFacts(String type, int computeUnits, long maxWorkGroupSize, long[] maxWorkItemSizes, long localMemBytes,
                       String deviceKey) {
        this(type, UNKNOWN_VENDOR, KernelFamily.forDeviceType(type), computeUnits, maxWorkGroupSize, maxWorkItemSizes,
                localMemBytes, deviceKey);
    }

    /** Facts of a device that has no tuning key ({@link #UNKNOWN_DEVICE}). */
    public DeviceFacts(String type, int computeUnits, long maxWorkGroupSize, long[] maxWorkItemSizes, long localMemBytes) {
        this(type, computeUnits, maxWorkGroupSize, maxWorkItemSizes, localMemBytes, UNKNOWN_DEVICE);
    }

    /** The tuning key of a device: {@code "<device name> | <driver version>"}, e.g. {@code "pthread-skylake-avx512-AMD EPYC | 3.1+debian"}. */
    public static String deviceKey(String deviceName, String driverVersion) {
        if (deviceName == null || deviceName.isBlank()) throw new IllegalArgumentException("device name must not be blank, got '" + deviceName + "'");
        return deviceName.strip() + " | " + (driverVersion == null ? "" : driverVersion.strip());
    }

    /** The per-dimension local size limits (a copy). */
    @Override
    public long[] maxWorkItemSizes() { return maxWorkItemSizes.clone(); }

    /** The same facts with the work-group limit lowered to {@code limit} (e.g. a compiled kernel's own limit). */
    public DeviceFacts withMaxWorkGroupSize(long limit) {
        return new DeviceFacts(type, vendor, family, computeUnits, Math.min(maxWorkGroupSize, limit), maxWorkItemSizes,
                localMemBytes, deviceKey);
    }

    /** The same facts with the kernel family {@code forced} (the {@code convcl.kernels} setting), or unchanged when null. */
    public DeviceFacts withFamily(KernelFamily forced) {
        if (forced == null || forced == family) return this;
        return new DeviceFacts(type, vendor, forced, computeUnits, maxWorkGroupSize, maxWorkItemSizes, localMemBytes, deviceKey);
    }
}
