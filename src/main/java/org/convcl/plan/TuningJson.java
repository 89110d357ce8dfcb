package org.convcl.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tuning file format, text to {@link TuningTable} and back (no I/O; the library must not need a JSON
 * dependency, so this holds a small JSON reader). A file looks like:
 * <pre>{@code
 * {
 *   "format": "convcl-tuning-1",
 *   "entries": [
 *     {"device": "pthread-skylake-avx512-AMD EPYC | 3.1+debian", "algorithm": "POINTWISE",
 *      "class": "cin<=128,hw<=4096,n1", "params": {"KSTEP": 4, "L0": 4, "L1": 4, "TILE_OC": 8, "VEC": 16},
 *      "note": "pw3: default 0.410 ms, tuned 0.352 ms"}
 *   ]
 * }
 * }</pre>
 * {@code algorithm} names a forward kernel ({@link Algorithm}) or a backward one ({@link BackwardAlgorithm}, e.g.
 * {@code BACKWARD_FILTER}). Unknown fields are errors (a typo would otherwise be ignored silently).
 */
public final class TuningJson {
    /** The value of the {@code format} field this version reads and writes. */
    public static final String FORMAT = "convcl-tuning-1";

    private TuningJson() {}

    /**
     * Parses a tuning file's text; {@code source} names it in messages. Throws {@link IllegalArgumentException}
     * naming the source, the entry index and the field for malformed JSON, an unknown format, an unknown field,
     * a bad algorithm or parameters its kernel does not accept.
     */
    public static TuningTable parse(String text, String source) {
        Object root;
        try {
            root = new Reader(text).document();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        Map<String, Object> top = object(root, source);
        checkFields(top, List.of("format", "entries"), source);
        if (!FORMAT.equals(top.get("format"))) {
            throw new IllegalArgumentException(source + ": field 'format' must be \"" + FORMAT + "\", got " + top.get("format"));
        }
        if (!(top.get("entries") instanceof List<?> list)) {
            throw new IllegalArgumentException(source + ": field 'entries' must be an array, got " + top.get("entries"));
        }
        List<TuningTable.Entry> entries = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String where = source + ": entries[" + i + "]";
            try {
                Map<String, Object> e = object(list.get(i), where);
                checkFields(e, List.of("device", "algorithm", "class", "params", "note"), where);
                TunedKernel algorithm;
                try {
                    algorithm = TunedKernel.named(string(e, "algorithm", where));
                } catch (IllegalArgumentException bad) {
                    List<TunedKernel> tunable = new ArrayList<>(List.of(Algorithm.values()));
                    tunable.addAll(List.of(BackwardAlgorithm.values()));
                    throw new IllegalArgumentException(where + ": field 'algorithm' must be one of "
                            + tunable.stream().filter(ShapeClass::tunable).toList() + ", got " + e.get("algorithm"));
                }
                Map<String, Object> rawParams = object(e.get("params"), where + " field 'params'");
                Map<String, Integer> params = new TreeMap<>();
                rawParams.forEach((k, v) -> {
                    if (!(v instanceof Double d) || d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                        throw new IllegalArgumentException(where + ": param " + k + " must be an integer, got " + v);
                    }
                    params.put(k, d.intValue());
                });
                String note = e.containsKey("note") ? string(e, "note", where) : "";
                entries.add(new TuningTable.Entry(new TuningTable.Key(string(e, "device", where), algorithm, string(e, "class", where)),
                        new TreeMap<>(params), note));
            } catch (IllegalArgumentException bad) {
                throw bad.getMessage() != null && bad.getMessage().startsWith(source)
                        ? bad : new IllegalArgumentException(where + ": " + bad.getMessage(), bad);
            }
        }
        try {
            return TuningTable.of(entries);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** The file text for {@code table}: one entry per line, sorted, ending in a newline. */
    public static String format(TuningTable table) {
        StringBuilder sb = new StringBuilder("{\n  \"format\": ").append(quote(FORMAT)).append(",\n  \"entries\": [");
        List<TuningTable.Entry> entries = table.entries();
        for (int i = 0; i < entries.size(); i++) {
            TuningTable.Entry e = entries.get(i);
            sb.append(i == 0 ? "\n" : ",\n").append("    {\"device\": ").append(quote(e.key().deviceKey()))
                    .append(", \"algorithm\": ").append(quote(e.key().algorithm().name()))
                    .append(", \"class\": ").append(quote(e.key().shapeClass())).append(", \"params\": {");
            int j = 0;
            for (Map.Entry<String, Integer> p : e.params().entrySet()) {
                sb.append(j++ == 0 ? "" : ", ").append(quote(p.getKey())).append(": ").append(p.getValue());
            }
            sb.append("}");
            if (!e.note().isEmpty()) sb.append(", \"note\": ").append(quote(e.note()));
            sb.append("}");
        }
        return sb.append(entries.isEmpty() ? "]\n}\n" : "\n  ]\n}\n").toString();
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object node, String where) {
        if (node instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new IllegalArgumentException(where + ": expected a JSON object, got " + node);
    }

    private static void checkFields(Map<String, Object> node, List<String> allowed, String where) {
        for (String f : node.keySet()) {
            if (!allowed.contains(f)) throw new IllegalArgumentException(where + ": unknown field '" + f + "' (allowed: " + allowed + ")");
        }
    }

    private static String string(Map<String, Object> node, String field, String where) {
        if (node.get(field) instanceof String s && !s.isBlank()) return s;
        if ("note".equals(field) && node.get(field) instanceof String s) return s;
        throw new IllegalArgumentException(where + ": field '" + field + "' must be a non-empty string, got " + node.get(field));
    }

    /** A small strict JSON reader: objects (insertion order), arrays, strings, numbers (as Double), booleans, null. */
    private static final class Reader {
        private final String s;
        private int i;

        Reader(String s) {
            if (s == null) throw new IllegalArgumentException("no text");
            this.s = s;
        }

        Object document() {
            Object v = value();
            skipSpace();
            if (i != s.length()) throw error("unexpected text after the document");
            return v;
        }

        private Object value() {
            skipSpace();
            if (i >= s.length()) throw error("unexpected end of text");
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw error("unexpected character '" + c + "'");
                }
            };
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            skipSpace();
            if (peek('}')) return m;
            while (true) {
                skipSpace();
                if (i >= s.length() || s.charAt(i) != '"') throw error("expected a field name");
                String key = string();
                skipSpace();
                expect(':');
                if (m.put(key, value()) != null) throw error("duplicate field '" + key + "'");
                skipSpace();
                if (peek('}')) return m;
                expect(',');
            }
        }

        private List<Object> array() {
            List<Object> list = new ArrayList<>();
            i++;
            skipSpace();
            if (peek(']')) return list;
            while (true) {
                list.add(value());
                skipSpace();
                if (peek(']')) return list;
                expect(',');
            }
        }

        private String string() {
            StringBuilder sb = new StringBuilder();
            i++;
            while (true) {
                if (i >= s.length()) throw error("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return sb.toString();
                if (c < 0x20) throw error("control character in string");
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (i >= s.length()) throw error("unterminated escape");
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) throw error("short \\u escape");
                        try {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException bad) {
                            throw error("bad \\u escape");
                        }
                        i += 4;
                    }
                    default -> throw error("bad escape \\" + e);
                }
            }
        }

        private Double number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            try {
                return Double.parseDouble(s.substring(start, i));
            } catch (NumberFormatException e) {
                throw error("bad number '" + s.substring(start, i) + "'");
            }
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, i)) throw error("unexpected text");
            i += word.length();
            return value;
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) throw error("expected '" + c + "'");
        }

        private void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private IllegalArgumentException error(String what) {
            int line = 1;
            for (int k = 0; k < Math.min(i, s.length()); k++) if (s.charAt(k) == '\n') line++;
            return new IllegalArgumentException(what + " at line " + line + " (offset " + i + ")");
        }
    }
}
