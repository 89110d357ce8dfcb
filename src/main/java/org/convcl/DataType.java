package org.convcl;

/**
 * The element type of tensors, weights and kernels, and so the size every byte count is made of. The kernels
 * compute in the type {@code real} of {@code kernels/convcl_common.h}, which is {@link #openClType()}.
 */
public enum DataType {
    /** IEEE 754 binary32: Java {@code float}, OpenCL {@code float}. */
    FLOAT32(4, "float");

    private final int bytes;
    private final String openClType;

    DataType(int bytes, String openClType) {
        this.bytes = bytes;
        this.openClType = openClType;
    }

    /** Bytes per element. */
    public int bytes() { return bytes; }

    /**
     * Bytes of {@code count} elements.
     *
     * @throws IllegalArgumentException for a negative count
     * @throws ArithmeticException when the size overflows a {@code long}
     */
    public long bytes(long count) {
        if (count < 0) throw new IllegalArgumentException("element count must not be negative, got " + count);
        return Math.multiplyExact(count, (long) bytes);
    }

    /** The OpenCL C scalar type of this element type, the type the kernels' {@code real} stands for. */
    public String openClType() { return openClType; }
}
