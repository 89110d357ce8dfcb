package org.convcl.opencl;

import static org.jocl.CL.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.convcl.Closer;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_program;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads kernel sources from the classpath ({@code /kernels/<file>}), builds them with {@code -D} options and
 * caches the programs of one context. The source is the common header ({@code /kernels/convcl_common.h})
 * followed by the kernel file; the defines go in the build options, sorted by name, and that canonical option
 * string is part of the cache key together with the file, the device and the driver version.
 *
 * <p>Behind the in-memory cache sits an optional {@link ProgramDiskCache}: a program missing in memory is
 * first created from a stored binary (same device, driver, source and options); only when there is none, or
 * it is unusable, is the source compiled, and the new binary stored.
 *
 * <p>The setting {@code convcl.noRestrict} (system property) or {@code CONVCL_NO_RESTRICT} (environment), when
 * {@code true}, appends {@code -D CONVCL_RESTRICT=} to every build: kernel pointers lose their {@code restrict}
 * qualifier. The memory-checker tier sets it, because Oclgrind's LLVM cannot create kernels whose inlined
 * {@code restrict} pointers leave {@code llvm.experimental.noalias.scope.decl} in the IR.
 *
 * <p>A successful build's log (compiler warnings) goes to this class's logger at DEBUG, never to the terminal; the
 * kernels compile without warnings on PoCL ({@code KernelDialectTest} checks it).
 *
 * <p>Thread-safe: lookups and builds are serialised; {@link #buildCount()} counts compilations from source
 * and {@link #binaryLoadCount()} programs created from stored binaries, so tests can prove both caches hit.
 */
final class KernelLibrary implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KernelLibrary.class);
    /** The header prepended to every kernel source. */
    static final String COMMON_HEADER = "convcl_common.h";
    /** The build option that empties the {@code restrict} qualifier of kernel pointers. */
    static final String NO_RESTRICT_OPTION = "-D CONVCL_RESTRICT=";
    /** Whether {@code convcl.noRestrict} / {@code CONVCL_NO_RESTRICT} asks for {@link #NO_RESTRICT_OPTION}. */
    private static final boolean NO_RESTRICT = noRestrict(System.getProperty("convcl.noRestrict"), System.getenv("CONVCL_NO_RESTRICT"));
    private static final Pattern DEFINE_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");

    /** What identifies a compiled program. */
    record Key(String file, String options, String deviceId, String driverVersion) {}

    private final cl_context context;
    private final cl_device_id device;
    private final String deviceId;
    private final String driverVersion;
    private final Map<Key, cl_program> programs = new HashMap<>();
    private final ProgramDiskCache diskCache;
    private int builds;
    private int binaryLoads;
    private boolean closed;
    private volatile FaultInjector releaseFaults = FaultInjector.NONE;

    /** A library using the on-disk binary cache of {@link ProgramDiskCache#fromEnvironment()}. */
    KernelLibrary(cl_context context, cl_device_id device, String deviceId, String driverVersion) {
        this(context, device, deviceId, driverVersion, ProgramDiskCache.fromEnvironment());
    }

    /** A library with the given on-disk binary cache, or none when {@code diskCache} is null. */
    KernelLibrary(cl_context context, cl_device_id device, String deviceId, String driverVersion, ProgramDiskCache diskCache) {
        this.context = context;
        this.device = device;
        this.deviceId = deviceId;
        this.driverVersion = driverVersion;
        this.diskCache = diskCache;
    }

    /**
     * The program for {@code file} built with {@code defines}, from the cache or freshly built.
     *
     * @throws KernelBuildException when the compiler rejects the source (carries the build log)
     * @throws IllegalArgumentException for an unknown file or a malformed define name
     */
    synchronized cl_program program(String file, Map<String, Integer> defines) {
        if (closed) throw new IllegalStateException("kernel library is closed");
        String options = options(defines) + (NO_RESTRICT ? " " + NO_RESTRICT_OPTION : "");
        Key key = new Key(file, options, deviceId, driverVersion);
        cl_program cached = programs.get(key);
        if (cached != null) return cached;
        String source = source(file);
        Path stored = diskCache == null ? null : diskCache.file(deviceId, driverVersion, source, options);
        cl_program program = stored == null ? null : fromBinary(file, stored, options);
        if (program != null) {
            binaryLoads++;
        } else {
            program = build(file, source, options);
            builds++;
            if (stored != null) {
                byte[] binary = binary(program);
                if (binary != null) diskCache.store(stored, binary);
            }
        }
        programs.put(key, program);
        return program;
    }

    /** How many programs have been compiled from source since this library was made. */
    synchronized int buildCount() {
        return builds;
    }

    /** How many programs have been created from binaries stored on disk since this library was made. */
    synchronized int binaryLoadCount() {
        return binaryLoads;
    }

    /** The program from a stored binary, or null when there is none or the driver rejects it. */
    private cl_program fromBinary(String file, Path stored, String options) {
        byte[] binary = diskCache.load(stored).orElse(null);
        if (binary == null) return null;
        int[] binaryStatus = new int[1];
        int[] status = new int[1];
        cl_program program = clCreateProgramWithBinary(context, 1, new cl_device_id[] {device}, new long[] {binary.length},
                new byte[][] {binary}, binaryStatus, status);
        if (status[0] != CL_SUCCESS || binaryStatus[0] != CL_SUCCESS) {
            if (program != null && status[0] == CL_SUCCESS) clReleaseProgram(program);
            LOG.debug("stored binary for kernels/{} rejected ({}, {}); rebuilding", file, ClStatus.name(status[0]),
                    ClStatus.name(binaryStatus[0]));
            return null;
        }
        int result = clBuildProgram(program, 1, new cl_device_id[] {device}, options, null, null);
        if (result != CL_SUCCESS) {
            clReleaseProgram(program);
            LOG.debug("stored binary for kernels/{} failed to build ({}); rebuilding", file, ClStatus.name(result));
            return null;
        }
        return program;
    }

    /** The compiled binary of a single-device program, or null when the driver gives none. */
    private static byte[] binary(cl_program program) {
        long[] size = new long[1];
        if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(size), null) != CL_SUCCESS
                || size[0] <= 0 || size[0] > Integer.MAX_VALUE) {
            return null;
        }
        byte[] binary = new byte[(int) size[0]];
        Pointer target = Pointer.to(binary);
        if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, Sizeof.POINTER, Pointer.to(target), null) != CL_SUCCESS) return null;
        return binary;
    }

    /** How many programs are cached and not yet released. */
    synchronized int liveProgramCount() {
        return programs.size();
    }

    /**
     * Whether the {@code convcl.noRestrict} setting (the property, else the environment variable) is on.
     *
     * @throws IllegalArgumentException naming the value when it is neither {@code true} nor {@code false}
     */
    static boolean noRestrict(String property, String environment) {
        String value = Settings.value(property, environment);
        if (value == null) return false;
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("convcl.noRestrict must be true or false, got '" + value + "'");
        };
    }

    /** The canonical build options: {@code -D NAME=value} for each define, sorted by name. */
    static String options(Map<String, Integer> defines) {
        StringJoiner joiner = new StringJoiner(" ");
        for (Map.Entry<String, Integer> e : new TreeMap<>(defines).entrySet()) {
            if (!DEFINE_NAME.matcher(e.getKey()).matches()) {
                throw new IllegalArgumentException("kernel define name must be SCREAMING_CASE, got '" + e.getKey() + "'");
            }
            if (e.getValue() == null) throw new IllegalArgumentException("kernel define " + e.getKey() + " has no value");
            joiner.add("-D " + e.getKey() + "=" + e.getValue());
        }
        return joiner.toString();
    }

    /**
     * The full source compiled for {@code file}: the common header, then the kernel file (line numbers restart)
     * with each {@code #include "name.h"} line replaced by the text of {@code /kernels/name.h}.
     */
    static String source(String file) {
        return resource(COMMON_HEADER) + "\n#line 1 \"" + file + "\"\n" + expandIncludes(file, resource(file));
    }

    private static final Pattern INCLUDE = Pattern.compile("(?m)^#include \"([A-Za-z0-9_]+\\.h)\"[ \t]*$");

    /** Inlines the {@code #include "x.h"} lines of a kernel file (one level; headers do not include others). */
    static String expandIncludes(String file, String text) {
        Matcher m = INCLUDE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            int line = 1 + (int) text.substring(0, m.end()).chars().filter(c -> c == '\n').count();
            String header = m.group(1);
            m.appendReplacement(out, Matcher.quoteReplacement("#line 1 \"" + header + "\"\n" + resource(header)
                    + "\n#line " + (line + 1) + " \"" + file + "\""));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The text of {@code /kernels/<name>} on the classpath. */
    static String resource(String name) {
        if (name == null || name.contains("/") || name.contains("..")) {
            throw new IllegalArgumentException("kernel file must be a plain file name under /kernels, got '" + name + "'");
        }
        try (InputStream in = KernelLibrary.class.getResourceAsStream("/kernels/" + name)) {
            if (in == null) throw new IllegalArgumentException("kernel file /kernels/" + name + " is not on the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading /kernels/" + name, e);
        }
    }

    private cl_program build(String file, String source, String options) {
        int[] status = new int[1];
        cl_program program = clCreateProgramWithSource(context, 1, new String[] {source}, null, status);
        ClStatus.check(status[0], "clCreateProgramWithSource(" + file + ")");
        long start = System.nanoTime();
        int result = clBuildProgram(program, 1, new cl_device_id[] {device}, options, null, null);
        if (result != CL_SUCCESS) {
            String log = buildLog(program);
            clReleaseProgram(program);
            throw new KernelBuildException(file, options, log, new ClStatus.ClException(result, "clBuildProgram"));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (LOG.isDebugEnabled()) {
            String log = buildLog(program).strip();
            LOG.debug("built kernels/{} with '{}' in {} ms{}", file, options, ms, log.isEmpty() ? "" : "; build log:\n" + log);
        }
        return program;
    }

    /** The compiler's log of the last build of {@code program} on this library's device. */
    String buildLog(cl_program program) {
        long[] size = new long[1];
        int status = clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
        if (status != CL_SUCCESS) return "(no build log: " + ClStatus.name(status) + ")";
        byte[] bytes = new byte[(int) size[0]];
        status = clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, bytes.length, Pointer.to(bytes), null);
        if (status != CL_SUCCESS) return "(no build log: " + ClStatus.name(status) + ")";
        int len = 0;
        while (len < bytes.length && bytes[len] != 0) len++;
        return new String(bytes, 0, len, StandardCharsets.UTF_8);
    }

    /** Releases every cached program (idempotent), all of them even when one release fails (thrown at the end). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Closer closer = new Closer();
        for (cl_program p : programs.values()) {
            closer.run(() -> ClStatus.check(releaseFaults.released("clReleaseProgram", 0, clReleaseProgram(p)), "clReleaseProgram"));
        }
        programs.clear();
        closer.finish();
    }

    /** Test seam: failures to report from program releases ({@link OpenClBackend#injectFaults}). */
    void injectFaults(FaultInjector injector) {
        releaseFaults = injector;
    }

    /** Defines as a sorted map, for callers that assemble them from several sources. */
    static SortedMap<String, Integer> merge(Map<String, Integer> a, Map<String, Integer> b) {
        TreeMap<String, Integer> all = new TreeMap<>(a);
        for (Map.Entry<String, Integer> e : b.entrySet()) {
            Integer previous = all.put(e.getKey(), e.getValue());
            if (previous != null && !previous.equals(e.getValue())) {
                throw new IllegalArgumentException("kernel define " + e.getKey() + " given twice: " + previous + " and " + e.getValue());
            }
        }
        return all;
    }
}
