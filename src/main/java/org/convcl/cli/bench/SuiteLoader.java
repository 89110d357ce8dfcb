package org.convcl.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.SeedFormula;
import org.convcl.Shape;

/**
 * Reads suite files ({@code <dir>/<suite>.json}). A file holds {@code suite}, {@code description},
 * {@code cases} and optionally {@code pairs}. A case is a layer in {@link LayerJson}'s form ({@code cin, h, w,
 * cout, kh, kw}, optionally {@code n} (a fixed batch), {@code stride [sh, sw]}, {@code pad [t, l, b, r]},
 * {@code dil [dh, dw]} or their long forms, {@code groups}) with a {@code name}, its {@code kind} and optionally
 * {@code quick}. A pair holds {@code name}, {@code formula}, and the case names of its {@code standard} and
 * {@code separable} members.
 *
 * <p>The tool ships its suites as resources ({@value #BUILT_IN}, in the jar), so a jar anywhere finds them;
 * {@link #load(List)} also takes the path of a suite file for any name ending in {@code .json}.
 *
 * <p>Every error names the file, the case and the field.
 */
public final class SuiteLoader {
    /** Where the built-in suites live, as a class-path resource folder. */
    public static final String BUILT_IN = "org/convcl/cli/suites";
    /** {@link Suite#source()} of a built-in suite. */
    public static final String BUILT_IN_SOURCE = "built-in";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> CASE_FIELDS = caseFields();
    private static final Set<String> PAIR_FIELDS = Set.of("name", "formula", "standard", "separable");
    private static final Set<String> SUITE_FIELDS = Set.of("suite", "description", "cases", "pairs");

    private final Path dir;
    private final boolean builtIn;

    /** A case's fields: a layer ({@link LayerJson}) with a name, a declared kind and whether {@code --quick} runs it. */
    private static Set<String> caseFields() {
        Set<String> fields = new java.util.HashSet<>(LayerJson.READ_FIELDS);
        fields.addAll(List.of("name", "kind", "quick"));
        return Set.copyOf(fields);
    }

    /** A loader for the suite files in {@code dir}; throws naming the path when it is not a directory. */
    public SuiteLoader(Path dir) {
        this(dir, false);
    }

    private SuiteLoader(Path dir, boolean builtIn) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("suites directory " + dir.toAbsolutePath() + " does not exist");
        }
        this.dir = dir;
        this.builtIn = builtIn;
    }

    /** A loader for the suites the tool ships ({@value #BUILT_IN} on the class path, in the jar or a classes folder). */
    public static SuiteLoader builtIn() {
        return new SuiteLoader(builtInDir(), true);
    }

    /** {@link #builtIn()} with the suites of a given classes folder or jar (tests). */
    static SuiteLoader builtIn(Path code) {
        return new SuiteLoader(builtInDir(code), true);
    }

    /**
     * The built-in suites' folder: in the folder or jar this class was loaded from (a jar is opened as a zip file
     * system, kept open for the life of the process).
     */
    static Path builtInDir() {
        Path code;
        try {
            code = Path.of(SuiteLoader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot locate the built-in suites (" + BUILT_IN + "): " + e, e);
        }
        return builtInDir(code);
    }

    /** The built-in suites' folder inside {@code code}: a classes folder or a jar. */
    static synchronized Path builtInDir(Path code) {
        if (Files.isDirectory(code)) return code.resolve(BUILT_IN);
        URI jar = URI.create("jar:" + code.toUri());
        FileSystem fs;
        try {
            fs = FileSystems.newFileSystem(jar, Map.of());
        } catch (FileSystemAlreadyExistsException e) {
            fs = FileSystems.getFileSystem(jar);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open " + code + " to read the built-in suites: " + e, e);
        }
        return fs.getPath("/" + BUILT_IN);
    }

    /** The folder the suite names are looked up in. */
    public Path dir() {
        return dir;
    }

    /** The suite names available, sorted: the base names of {@code *.json} files. */
    public List<String> available() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - ".json".length())).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list suites directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads suites by name or file: a value ending in {@code .json} is the path of a suite file, {@code all} stands
     * for every suite of {@link #dir()}, any other value is the name of one of them. Unknown names throw, listing
     * the available ones. Duplicates are loaded once, in first-mention order.
     */
    public List<Suite> load(List<String> namesOrFiles) {
        List<String> available = available();
        Map<Path, String> wanted = new LinkedHashMap<>(); // file -> source
        String source = builtIn ? BUILT_IN_SOURCE : null;
        for (String value : namesOrFiles) {
            String v = value.trim();
            if (isFile(v)) {
                wanted.putIfAbsent(Path.of(v), v);
            } else if (v.equals("all")) {
                available.forEach(n -> wanted.putIfAbsent(dir.resolve(n + ".json"), source));
            } else if (available.contains(v)) {
                wanted.putIfAbsent(dir.resolve(v + ".json"), source);
            } else {
                throw new IllegalArgumentException("unknown suite '" + v + "' (available" + (builtIn ? "" : " in " + dir)
                        + ": " + String.join(", ", available) + ", all; or the path of a .json suite file)");
            }
        }
        return wanted.entrySet().stream()
                .map(e -> load(e.getKey(), e.getValue() != null ? e.getValue() : e.getKey().toString())).toList();
    }

    /** Whether a {@code --suite} value names a file (it ends in {@code .json}) rather than a suite. */
    public static boolean isFile(String value) {
        return value.endsWith(".json");
    }

    /** Reads and validates one suite file. */
    public static Suite load(Path file) {
        return load(file, file.toString());
    }

    /** Reads and validates one suite file; {@code source} says where it came from in reports. */
    private static Suite load(Path file, String source) {
        JsonNode root;
        try (InputStream in = Files.newInputStream(file)) {
            root = JSON.readTree(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read suite file " + file + ": " + e.getMessage(), e);
        }
        String where = file.getFileName().toString();
        checkFields(root, SUITE_FIELDS, where);
        String suite = text(root, "suite", where);
        String description = root.has("description") ? text(root, "description", where) : "";
        Map<String, BenchCase> cases = new LinkedHashMap<>();
        for (JsonNode c : array(root, "cases", where)) {
            BenchCase bc = parseCase(suite, c, where);
            if (cases.put(bc.name(), bc) != null) {
                throw new IllegalArgumentException(where + ": duplicate case name '" + bc.name() + "'");
            }
        }
        List<SeedPair> pairs = new ArrayList<>();
        if (root.has("pairs")) {
            for (JsonNode p : array(root, "pairs", where)) pairs.add(parsePair(p, cases, where));
        }
        return new Suite(suite, description, source, List.copyOf(cases.values()), pairs);
    }

    private static BenchCase parseCase(String suite, JsonNode c, String file) {
        String name = text(c, "name", file);
        String where = file + " case '" + name + "'";
        checkFields(c, CASE_FIELDS, where);
        try {
            ConvSpec spec = LayerJson.readSpec(c);
            int n = LayerJson.fixedBatch(c);
            Shape input = LayerJson.readInput(c, spec, 1); // validates h, w against the kernel
            String kind = LayerJson.text(c, "kind");
            if (!kind.equals(BenchCase.kindName(spec.kind()))) {
                throw new IllegalArgumentException("kind '" + kind + "' does not match the layer, which is "
                        + BenchCase.kindName(spec.kind()));
            }
            boolean quick = c.has("quick") && c.get("quick").asBoolean();
            if (c.has("quick") && !c.get("quick").isBoolean()) {
                throw new IllegalArgumentException("quick must be true or false, got " + c.get("quick"));
            }
            return new BenchCase(suite, name, spec.kind(), n, spec, input.h(), input.w(), quick);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static SeedPair parsePair(JsonNode p, Map<String, BenchCase> cases, String file) {
        String name = text(p, "name", file);
        String where = file + " pair '" + name + "'";
        checkFields(p, PAIR_FIELDS, where);
        SeedFormula formula;
        try {
            formula = SeedFormula.parse(text(p, "formula", where));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        SeedPair pair = new SeedPair(name, formula, members(p, "standard", cases, where), members(p, "separable", cases, where));
        try {
            pair.seedFormulaSpeedup(); // checks the members fit the formula
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        return pair;
    }

    private static List<BenchCase> members(JsonNode p, String field, Map<String, BenchCase> cases, String where) {
        List<BenchCase> list = new ArrayList<>();
        for (JsonNode m : array(p, field, where)) {
            BenchCase c = cases.get(m.asText());
            if (c == null || !m.isTextual()) {
                throw new IllegalArgumentException(where + ": " + field + " names unknown case " + m);
            }
            list.add(c);
        }
        if (list.isEmpty()) throw new IllegalArgumentException(where + ": " + field + " must name at least one case");
        return list;
    }

    private static void checkFields(JsonNode node, Set<String> allowed, String where) {
        if (!node.isObject()) throw new IllegalArgumentException(where + ": expected a JSON object, got " + node);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new IllegalArgumentException(where + ": unknown field '" + f + "' (allowed: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + ": field '" + field + "' must be a non-empty string, got " + v);
        }
        return v.asText();
    }

    private static JsonNode array(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isArray()) {
            throw new IllegalArgumentException(where + ": field '" + field + "' must be an array, got " + v);
        }
        return v;
    }
}
