package org.convcl.opencl;

import static org.jocl.CL.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** Typed reads of {@code clGetPlatformInfo} / {@code clGetDeviceInfo}, each status-checked. */
final class ClInfo {
    private ClInfo() {}

    static String platformString(cl_platform_id platform, int param) {
        long[] size = new long[1];
        ClStatus.check(clGetPlatformInfo(platform, param, 0, null, size), "clGetPlatformInfo");
        byte[] bytes = new byte[(int) size[0]];
        ClStatus.check(clGetPlatformInfo(platform, param, bytes.length, Pointer.to(bytes), null), "clGetPlatformInfo");
        return cString(bytes);
    }

    static String deviceString(cl_device_id device, int param) {
        long[] size = new long[1];
        ClStatus.check(clGetDeviceInfo(device, param, 0, null, size), "clGetDeviceInfo");
        byte[] bytes = new byte[(int) size[0]];
        ClStatus.check(clGetDeviceInfo(device, param, bytes.length, Pointer.to(bytes), null), "clGetDeviceInfo");
        return cString(bytes);
    }

    /** A {@code cl_uint} device property. */
    static int deviceUint(cl_device_id device, int param) {
        int[] v = new int[1];
        ClStatus.check(clGetDeviceInfo(device, param, Sizeof.cl_uint, Pointer.to(v), null), "clGetDeviceInfo");
        return v[0];
    }

    /** A {@code cl_ulong} (or bitfield) device property. */
    static long deviceUlong(cl_device_id device, int param) {
        long[] v = new long[1];
        ClStatus.check(clGetDeviceInfo(device, param, Sizeof.cl_ulong, Pointer.to(v), null), "clGetDeviceInfo");
        return v[0];
    }

    /** A {@code size_t} device property. */
    static long deviceSize(cl_device_id device, int param) {
        return deviceSizes(device, param, 1)[0];
    }

    /** A {@code size_t[count]} device property, read whatever the native size_t width. */
    static long[] deviceSizes(cl_device_id device, int param, int count) {
        ByteBuffer buf = ByteBuffer.allocate(count * Sizeof.size_t).order(ByteOrder.nativeOrder());
        ClStatus.check(clGetDeviceInfo(device, param, (long) count * Sizeof.size_t, Pointer.to(buf), null), "clGetDeviceInfo");
        long[] out = new long[count];
        for (int i = 0; i < count; i++) out[i] = Sizeof.size_t == 8 ? buf.getLong(i * 8) : buf.getInt(i * 4) & 0xffffffffL;
        return out;
    }

    /** {@code GPU}, {@code CPU}, {@code ACCELERATOR} or {@code OTHER}. */
    static String deviceType(cl_device_id device) {
        long type = deviceUlong(device, CL_DEVICE_TYPE);
        if ((type & CL_DEVICE_TYPE_GPU) != 0) return "GPU";
        if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) return "ACCELERATOR";
        if ((type & CL_DEVICE_TYPE_CPU) != 0) return "CPU";
        return "OTHER";
    }

    private static String cString(byte[] bytes) {
        int len = 0;
        while (len < bytes.length && bytes[len] != 0) len++;
        return new String(bytes, 0, len, StandardCharsets.UTF_8).trim();
    }
}
