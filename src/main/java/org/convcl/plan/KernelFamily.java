package org.convcl.plan;

import java.util.Arrays;
import java.util.Locale;

/**
 * The two kernel families (DESIGN §3): a CPU OpenCL device and a GPU want different kernels. Each registry of the
 * planners ({@link Planner#registry}, {@link BlockPlanner#registry}) lists the algorithms of one family; the family
 * comes from the device type ({@link #forDeviceType}) unless the {@code convcl.kernels} setting forces one, so both
 * families run and are tested on every device.
 */
public enum KernelFamily {
    /** Kernels for CPU devices (PoCL): one work-item alone, wide vectors, register blocking, small work-groups. */
    CPU,
    /**
     * Kernels for GPUs and accelerators: work-groups of 64–256 items that stage tiles in local memory and read global
     * memory coalesced.
     */
    GPU;

    /** The family a device of OpenCL type {@code type} gets by default: GPU for {@code GPU} and {@code ACCELERATOR}, else CPU. */
    public static KernelFamily forDeviceType(String type) {
        if (type == null) throw new IllegalArgumentException("device type must not be null");
        String t = type.strip().toUpperCase(Locale.ROOT);
        return t.equals("GPU") || t.equals("ACCELERATOR") ? GPU : CPU;
    }

    /**
     * The family {@code value} names (any case), or null for {@code auto} (the device type decides).
     *
     * @param field what the value came from, for the error message (an option, a property)
     * @throws IllegalArgumentException naming {@code field} and {@code value} when it is neither
     */
    public static KernelFamily parseOrAuto(String value, String field) {
        if (value == null) throw new IllegalArgumentException(field + " must be auto, cpu or gpu, got null");
        String v = value.strip();
        if (v.equalsIgnoreCase("auto")) return null;
        for (KernelFamily f : values()) if (f.name().equalsIgnoreCase(v)) return f;
        throw new IllegalArgumentException(field + " must be auto or one of " + Arrays.toString(values()).toLowerCase(Locale.ROOT)
                + ", got '" + value + "'");
    }
}
