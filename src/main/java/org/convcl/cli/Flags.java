package org.convcl.cli;

import org.convcl.Activation;
import org.convcl.Backends;
import org.convcl.ConvSpec;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Value types and picocli converters for convolution flags; every failure message quotes the bad value. */
final class Flags {
    private Flags() {}

    /** A pair of positive integers written {@code N} (both the same) or {@code H,W}: stride and dilation. */
    record Pair(int h, int w) {
        /** Parses {@code N} or {@code H,W}, both positive. */
        static Pair parse(String text) {
            int[] v = integers(text, "S or SH,SW with positive integers", 1, 2);
            for (int x : v) {
                if (x <= 0) throw new TypeConversionException("must be positive, got '" + text + "'");
            }
            return v.length == 1 ? new Pair(v[0], v[0]) : new Pair(v[0], v[1]);
        }

        @Override
        public String toString() { return h == w ? Integer.toString(h) : h + "," + w; }
    }

    /** Padding: {@code same}, {@code P} on every side, or explicit {@code T,L,B,R}; all non-negative. */
    record Padding(boolean same, int top, int left, int bottom, int right) {
        /** The default of every command's {@code --padding}: none, as in PyTorch's {@code conv2d}. */
        static final String DEFAULT = "0";
        /** The help text of every command's {@code --padding}. */
        static final String DESCRIPTION = "Zero padding: P on every side, T,L,B,R, or 'same' (the output size is "
                + "ceil(input / stride); odd totals put the extra row and column at the bottom and right, as PyTorch "
                + "does) (default ${DEFAULT-VALUE}, as PyTorch's conv2d).";

        static Padding parse(String text) {
            if (text != null && text.trim().equalsIgnoreCase("same")) return new Padding(true, 0, 0, 0, 0);
            int[] v = integers(text, "P, T,L,B,R or 'same'", 1, 4);
            if (v.length == 2 || v.length == 3) {
                throw new TypeConversionException("expected P, T,L,B,R or 'same', got " + v.length
                        + " values in '" + text + "'");
            }
            for (int x : v) {
                if (x < 0) throw new TypeConversionException("must not be negative, got '" + text + "'");
            }
            return v.length == 1 ? new Padding(false, v[0], v[0], v[0], v[0]) : new Padding(false, v[0], v[1], v[2], v[3]);
        }

        /** Applies this padding to a builder; {@code same} needs the input size. */
        ConvSpec.Builder applyTo(ConvSpec.Builder builder, int inH, int inW) {
            return same ? builder.samePadding(inH, inW) : builder.padding(top, left, bottom, right);
        }

        @Override
        public String toString() { return same ? "same" : top + "," + left + "," + bottom + "," + right; }
    }

    /** Splits {@code text} on commas into {@code min..max} integers; the message says what was expected. */
    private static int[] integers(String text, String expected, int min, int max) {
        if (text == null || text.isBlank()) throw new TypeConversionException("expected " + expected + ", got ''");
        String[] parts = text.split(",", -1);
        if (parts.length < min || parts.length > max) {
            throw new TypeConversionException("expected " + expected + ", got '" + text + "'");
        }
        int[] values = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                values[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("expected " + expected + ", got '" + text + "'");
            }
        }
        return values;
    }

    /**
     * The backend selection of {@code --backend} and {@code --device} over the environment's (null: not given); a
     * device filter that matches no OpenCL device is bad input ({@link IllegalArgumentException}).
     */
    static Backends.Selection backendSelection(Backends.Mode mode, String device) {
        Backends.Selection s = Backends.Selection.fromEnvironment();
        if (mode != null) s = s.withMode(mode);
        if (device != null && s.mode() != Backends.Mode.CPU && !Backends.openClDevices().isEmpty()) {
            Backends.select(Backends.openClDevices(), java.util.List.of(device));
        }
        return device != null ? s.withDevice(device) : s;
    }

    static final class PairConverter implements ITypeConverter<Pair> {
        @Override
        public Pair convert(String value) { return Pair.parse(value); }
    }

    static final class PaddingConverter implements ITypeConverter<Padding> {
        @Override
        public Padding convert(String value) { return Padding.parse(value); }
    }

    static final class ActivationConverter implements ITypeConverter<Activation> {
        @Override
        public Activation convert(String value) {
            try {
                return Activation.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("expected none, relu or relu6, got '" + value + "'");
            }
        }
    }

    static final class ModeConverter implements ITypeConverter<Backends.Mode> {
        @Override
        public Backends.Mode convert(String value) {
            try {
                return Backends.parseMode(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("expected auto, cpu or opencl, got '" + value + "'");
            }
        }
    }
}
