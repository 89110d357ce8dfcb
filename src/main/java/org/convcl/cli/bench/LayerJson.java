package org.convcl.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The one JSON form of a convolution layer (a {@link ConvSpec} and its input), read and written by Jackson for suite
 * files ({@link SuiteLoader}) and result lines ({@link BenchResult}) alike, and the field readers of every bench
 * record. Fields: {@code n, cin, h, w, cout, kh, kw, stride_h, stride_w, pad_t, pad_l, pad_b, pad_r, dil_h, dil_w,
 * groups}. Results carry all of them (flat, so that {@code results.csv} has the same columns); a reader also takes the
 * short forms suite files use, {@code stride}, {@code pad} and {@code dil}, each one number for every axis or an
 * array ({@code [h, w]}, {@code [t, l, b, r]}), and fills a stride, padding, dilation or groups left out with 1, 0,
 * 1, 1. A layer without {@code n} takes the batch it is read with.
 *
 * <p>Every error names the field and the value.
 */
public final class LayerJson {
    private LayerJson() {}

    /** Every field of the written form, in the order results carry them. */
    public static final List<String> FIELDS = List.of("n", "cin", "h", "w", "cout", "kh", "kw", "stride_h", "stride_w",
            "pad_t", "pad_l", "pad_b", "pad_r", "dil_h", "dil_w", "groups");

    /** Every field a reader takes: {@link #FIELDS} and the short forms. */
    public static final Set<String> READ_FIELDS;

    /** A short form and the fields it stands for. */
    private record Axes(String name, List<String> fields, int fallback) {}

    private static final List<Axes> SHORT_FORMS = List.of(
            new Axes("stride", List.of("stride_h", "stride_w"), 1),
            new Axes("pad", List.of("pad_t", "pad_l", "pad_b", "pad_r"), 0),
            new Axes("dil", List.of("dil_h", "dil_w"), 1));

    static {
        Set<String> all = new LinkedHashSet<>(FIELDS);
        SHORT_FORMS.forEach(a -> all.add(a.name()));
        READ_FIELDS = Set.copyOf(all);
    }

    /** Puts the layer's fields (see {@link #FIELDS}) into a record, in that order. */
    public static void write(Map<String, Object> record, ConvSpec spec, Shape input) {
        record.put("n", input.n());
        record.put("cin", input.c());
        record.put("h", input.h());
        record.put("w", input.w());
        record.put("cout", spec.outChannels());
        record.put("kh", spec.kernelH());
        record.put("kw", spec.kernelW());
        record.put("stride_h", spec.strideH());
        record.put("stride_w", spec.strideW());
        record.put("pad_t", spec.padTop());
        record.put("pad_l", spec.padLeft());
        record.put("pad_b", spec.padBottom());
        record.put("pad_r", spec.padRight());
        record.put("dil_h", spec.dilationH());
        record.put("dil_w", spec.dilationW());
        record.put("groups", spec.groups());
    }

    /** The convolution of a record; throws naming a missing or malformed field, or the value the spec refuses. */
    public static ConvSpec readSpec(JsonNode o) {
        int[] stride = axes(o, SHORT_FORMS.get(0));
        int[] pad = axes(o, SHORT_FORMS.get(1));
        int[] dil = axes(o, SHORT_FORMS.get(2));
        return ConvSpec.builder(integer(o, "cin"), integer(o, "cout"), integer(o, "kh"), integer(o, "kw"))
                .stride(stride[0], stride[1]).padding(pad[0], pad[1], pad[2], pad[3]).dilation(dil[0], dil[1])
                .groups(o.has("groups") ? integer(o, "groups") : 1).build();
    }

    /**
     * The input shape of a record, {@code [n, cin, h, w]}, with {@code batch} images when it has no {@code n};
     * throws when the spec does not fit it.
     */
    public static Shape readInput(JsonNode o, ConvSpec spec, int batch) {
        int n = o.has("n") ? integer(o, "n") : batch;
        if (n <= 0) throw new IllegalArgumentException("field 'n' must be positive, got " + n);
        Shape input = new Shape(n, spec.inChannels(), integer(o, "h"), integer(o, "w"));
        spec.outputShape(input); // names h or w when the kernel does not fit
        return input;
    }

    /** The fixed batch of a suite case: its {@code n}, or 0 when it has none (the command line's batch applies). */
    static int fixedBatch(JsonNode o) {
        if (!o.has("n")) return 0;
        int n = integer(o, "n");
        if (n <= 0) throw new IllegalArgumentException("field 'n' must be positive, got " + n);
        return n;
    }

    /** The fields of one axis group: the long ones, else the short form, else the default. */
    private static int[] axes(JsonNode o, Axes a) {
        boolean anyLong = a.fields().stream().anyMatch(o::has);
        if (anyLong && o.has(a.name())) {
            throw new IllegalArgumentException("give '" + a.name() + "' or " + String.join(", ", a.fields()) + ", not both");
        }
        int[] out = new int[a.fields().size()];
        if (anyLong) {
            for (int i = 0; i < out.length; i++) out[i] = integer(o, a.fields().get(i));
            return out;
        }
        JsonNode v = o.get(a.name());
        if (v == null) {
            Arrays.fill(out, a.fallback());
        } else if (v.isIntegralNumber() && v.canConvertToInt()) {
            Arrays.fill(out, v.asInt());
        } else if (v.isArray() && v.size() == out.length) {
            for (int i = 0; i < out.length; i++) {
                if (!v.get(i).isIntegralNumber() || !v.get(i).canConvertToInt()) {
                    throw new IllegalArgumentException("field '" + a.name() + "' must hold integers, got " + v);
                }
                out[i] = v.get(i).asInt();
            }
        } else {
            throw new IllegalArgumentException("field '" + a.name() + "' must be an integer or an array of " + out.length
                    + " integers, got " + v);
        }
        return out;
    }

    /** A present, non-null field; throws {@code missing field 'name'}. */
    static JsonNode field(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) throw new IllegalArgumentException("missing field '" + name + "'");
        return v;
    }

    /** An integer field (within {@code int}). */
    static int integer(JsonNode o, String name) {
        JsonNode v = field(o, name);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("field '" + name + "' must be an integer, got " + v);
        }
        return v.asInt();
    }

    /** A positive number field. */
    static double positive(JsonNode o, String name) {
        JsonNode v = field(o, name);
        if (!v.isNumber() || !(v.asDouble() > 0)) {
            throw new IllegalArgumentException("field '" + name + "' must be a positive number, got " + v);
        }
        return v.asDouble();
    }

    /** A string field. */
    static String text(JsonNode o, String name) {
        JsonNode v = field(o, name);
        if (!v.isTextual()) throw new IllegalArgumentException("field '" + name + "' must be a string, got " + v);
        return v.asText();
    }
}
