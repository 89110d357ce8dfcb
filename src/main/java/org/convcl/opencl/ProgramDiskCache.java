package org.convcl.opencl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.convcl.io.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiled program binaries on disk, one file per (device, driver version, full source, build options), so a
 * second process skips compilation. The file name is the SHA-256 of that key; the file holds a magic tag,
 * the SHA-256 of the payload and the payload, so a truncated or corrupt file is detected and ignored (the
 * caller rebuilds and overwrites it). Writes go to a temporary file that is then moved into place, so
 * concurrent processes never read half a file.
 *
 * <p>The directory is, in order: the system property {@code convcl.cacheDir}, the environment variable
 * {@code CONVCL_CACHE_DIR}, {@code $XDG_CACHE_HOME/convcl/programs}, {@code ~/.cache/convcl/programs}.
 * I/O failures are logged at DEBUG and never fail a build: the cache is an accelerator only.
 */
final class ProgramDiskCache {
    private static final Logger LOG = LoggerFactory.getLogger(ProgramDiskCache.class);
    private static final byte[] MAGIC = "CONVCLB1".getBytes(StandardCharsets.US_ASCII);
    private static final int DIGEST_BYTES = 32;

    private final Path directory;

    /** A cache in {@code directory} (created on the first store). */
    ProgramDiskCache(Path directory) {
        if (directory == null) throw new IllegalArgumentException("cache directory must not be null");
        this.directory = directory;
    }

    /** The cache in the directory named by the property, the environment or the user cache directory. */
    static ProgramDiskCache fromEnvironment() {
        return new ProgramDiskCache(directory(System.getProperty("convcl.cacheDir"), System.getenv("CONVCL_CACHE_DIR"),
                System.getenv("XDG_CACHE_HOME"), System.getProperty("user.home")));
    }

    /** The directory chosen from the property, the environment variable, XDG_CACHE_HOME and the home directory. */
    static Path directory(String property, String env, String xdgCacheHome, String userHome) {
        if (property != null && !property.isBlank()) return Path.of(property);
        if (env != null && !env.isBlank()) return Path.of(env);
        if (xdgCacheHome != null && !xdgCacheHome.isBlank()) return Path.of(xdgCacheHome, "convcl", "programs");
        return Path.of(userHome, ".cache", "convcl", "programs");
    }

    Path directory() { return directory; }

    /** The file that holds the binary for this key. */
    Path file(String deviceId, String driverVersion, String source, String options) {
        String key = String.join("\u0000", deviceId, driverVersion, options, source);
        return directory.resolve(HexFormat.of().formatHex(sha256(key.getBytes(StandardCharsets.UTF_8))) + ".bin");
    }

    /** The stored binary, or empty when there is none or it is corrupt. */
    Optional<byte[]> load(Path file) {
        try {
            if (!Files.isRegularFile(file)) return Optional.empty();
            byte[] all = Files.readAllBytes(file);
            int header = MAGIC.length + DIGEST_BYTES;
            if (all.length <= header || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                LOG.debug("ignoring malformed program cache file {}", file);
                return Optional.empty();
            }
            byte[] payload = Arrays.copyOfRange(all, header, all.length);
            if (!Arrays.equals(sha256(payload), Arrays.copyOfRange(all, MAGIC.length, header))) {
                LOG.debug("ignoring program cache file {} with a wrong checksum", file);
                return Optional.empty();
            }
            return Optional.of(payload);
        } catch (IOException e) {
            LOG.debug("cannot read program cache file {}: {}", file, e.toString());
            return Optional.empty();
        }
    }

    /** Stores {@code binary} under {@code file} (atomically where the file system allows); failures are logged. */
    void store(Path file, byte[] binary) {
        try {
            Files.createDirectories(directory);
            AtomicFiles.write(file, ByteBuffer.allocate(MAGIC.length + DIGEST_BYTES + binary.length)
                    .put(MAGIC).put(sha256(binary)).put(binary).array());
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot store program cache file {}: {}", file, e.toString());
        }
    }

    /** The SHA-256 digest of {@code data} (also names the tuning files). */
    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
