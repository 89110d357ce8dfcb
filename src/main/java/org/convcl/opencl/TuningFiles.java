package org.convcl.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import org.convcl.io.AtomicFiles;
import org.convcl.plan.TuningJson;
import org.convcl.plan.TuningTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where tuning tables live and how they are read and written ({@link TuningJson} is the format).
 *
 * <p>The table a device gets ({@link #forDevice}) is the shipped table on the classpath
 * ({@value #SHIPPED_RESOURCE}) overridden, entry by entry, by the user's tuning file: the user file wins.
 * The user file is, in order: the system property {@code convcl.tuningFile}, the environment variable
 * {@code CONVCL_TUNING_FILE}, {@code $XDG_CACHE_HOME/convcl/tuning/<device>.json},
 * {@code ~/.cache/convcl/tuning/<device>.json}. Only the entries whose device key matches are used. The
 * system property {@code convcl.tuning=off} (or {@code CONVCL_TUNING=off}) turns tuning off: defaults only.
 *
 * <p>A missing file is an empty table. A corrupt or invalid file (shipped or user) is ignored with one WARN
 * naming the file and the problem: a tuning file only makes kernels faster, so it never stops a backend from
 * opening. {@link #load} (used by {@code convcl tune}, which merges into an existing file) throws instead.
 */
public final class TuningFiles {
    private static final Logger LOG = LoggerFactory.getLogger(TuningFiles.class);
    /** The shipped tuning table on the classpath. */
    public static final String SHIPPED_RESOURCE = "/org/convcl/plan/tuning/shipped.json";

    private TuningFiles() {}

    /**
     * The effective table for a device: shipped entries overridden by the user file's entries, both limited
     * to {@code deviceKey}; empty when tuning is off. Never throws for a bad file (see the class comment).
     */
    public static TuningTable forDevice(String deviceKey) {
        if (off(System.getProperty("convcl.tuning")) || off(System.getenv("CONVCL_TUNING"))) {
            LOG.debug("tuning is off: planner defaults only");
            return TuningTable.EMPTY;
        }
        TuningTable shipped = orEmpty(() -> shipped(), SHIPPED_RESOURCE);
        Path user = userFile(deviceKey);
        TuningTable mine = orEmpty(() -> Files.isRegularFile(user) ? load(user) : TuningTable.EMPTY, user.toString());
        TuningTable table = shipped.forDevice(deviceKey).overriddenBy(mine.forDevice(deviceKey));
        LOG.debug("tuning for '{}': {} shipped, {} from {}", deviceKey, shipped.forDevice(deviceKey).size(),
                mine.forDevice(deviceKey).size(), user);
        return table;
    }

    private static boolean off(String value) {
        return value != null && (value.equalsIgnoreCase("off") || value.equalsIgnoreCase("false"));
    }

    private interface TableSource {
        TuningTable read() throws IOException;
    }

    private static TuningTable orEmpty(TableSource source, String name) {
        try {
            return source.read();
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("ignoring tuning file {}: {}", name, e.getMessage());
            return TuningTable.EMPTY;
        }
    }

    /** The shipped table (all devices); empty when the resource is absent. Throws for a corrupt resource. */
    public static TuningTable shipped() throws IOException {
        try (InputStream in = TuningFiles.class.getResourceAsStream(SHIPPED_RESOURCE)) {
            if (in == null) return TuningTable.EMPTY;
            return TuningJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "classpath:" + SHIPPED_RESOURCE);
        }
    }

    /** The user tuning file for a device, from the property, the environment or the user cache directory. */
    public static Path userFile(String deviceKey) {
        return userFile(deviceKey, System.getProperty("convcl.tuningFile"), System.getenv("CONVCL_TUNING_FILE"),
                System.getenv("XDG_CACHE_HOME"), System.getProperty("user.home"));
    }

    /** The user tuning file chosen from the property, the environment variable, XDG_CACHE_HOME and the home directory. */
    static Path userFile(String deviceKey, String property, String env, String xdgCacheHome, String userHome) {
        if (property != null && !property.isBlank()) return Path.of(property);
        if (env != null && !env.isBlank()) return Path.of(env);
        Path dir = xdgCacheHome != null && !xdgCacheHome.isBlank() ? Path.of(xdgCacheHome, "convcl", "tuning")
                : Path.of(userHome, ".cache", "convcl", "tuning");
        return dir.resolve(fileName(deviceKey));
    }

    /** {@code <slug of the device key>-<8 hex digits of its SHA-256>.json}: readable and unique per key. */
    static String fileName(String deviceKey) {
        String slug = deviceKey.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.]+", "-").replaceAll("^-|-$", "");
        if (slug.length() > 60) slug = slug.substring(0, 60);
        byte[] digest = ProgramDiskCache.sha256(deviceKey.getBytes(StandardCharsets.UTF_8));
        return (slug.isEmpty() ? "device" : slug) + "-" + HexFormat.of().formatHex(digest, 0, 4) + ".json";
    }

    /** Reads a tuning file; throws {@link IOException} when unreadable and {@link IllegalArgumentException} naming the file when invalid. */
    public static TuningTable load(Path file) throws IOException {
        return TuningJson.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** Writes {@code table} to {@code file} atomically (temporary file in the same folder, then a move). */
    public static void store(Path file, TuningTable table) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.write(file, TuningJson.format(table).getBytes(StandardCharsets.UTF_8));
    }
}
