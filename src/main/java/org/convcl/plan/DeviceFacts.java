package org.convcl.plan;

import java.util.Arrays;

/**
 * What the planner may know about a device: plain numbers, no OpenCL handles.
 *
 * @param type              {@code GPU}, {@code CPU} or {@code ACCELERATOR}
 * @param computeUnits      number of compute units
 * @param maxWorkGroupSize  the largest work-group (product of local sizes) a kernel may use
 * @param maxWorkItemSizes  the largest local size per dimension (three entries)
 * @param localMemBytes     local memory per work-group
 */
public record DeviceFacts(String type, int computeUnits, long maxWorkGroupSize, long[] maxWorkItemSizes,
                          long localMemBytes) {

    public DeviceFacts {
        if (type == null || type.isBlank()) throw new IllegalArgumentException("device type must not be blank, got '" + type + "'");
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
    }

    /** The per-dimension local size limits (a copy). */
    @Override
    public long[] maxWorkItemSizes() { return maxWorkItemSizes.clone(); }

    /** The same facts with the work-group limit lowered to {@code limit} (e.g. a compiled kernel's own limit). */
    public DeviceFacts withMaxWorkGroupSize(long limit) {
        return new DeviceFacts(type, computeUnits, Math.min(maxWorkGroupSize, limit), maxWorkItemSizes, localMemBytes);
    }
}
