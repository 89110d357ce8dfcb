package org.convcl.opencl;

import static org.jocl.CL.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jocl.Pointer;
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
 * <p>Thread-safe: lookups and builds are serialised; {@link #buildCount()} counts real builds so tests can
 * prove the cache hits.
 */
final class KernelLibrary implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KernelLibrary.class);
    /** The header prepended to every kernel source. */
    static final String COMMON_HEADER = "convcl_common.h";
    private static final Pattern DEFINE_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");

    /** What identifies a compiled program. */
    record Key(String file, String options, String deviceId, String driverVersion) {}

    private final cl_context context;
    private final cl_device_id device;
    private final String deviceId;
    private final String driverVersion;
    private final Map<Key, cl_program> programs = new HashMap<>();
    private int builds;
    private boolean closed;

    KernelLibrary(cl_context context, cl_device_id device, String deviceId, String driverVersion) {
        this.context = context;
        this.device = device;
        this.deviceId = deviceId;
        this.driverVersion = driverVersion;
    }

    /**
     * The program for {@code file} built with {@code defines}, from the cache or freshly built.
     *
     * @throws KernelBuildException when the compiler rejects the source (carries the build log)
     * @throws IllegalArgumentException for an unknown file or a malformed define name
     */
    synchronized cl_program program(String file, Map<String, Integer> defines) {
        if (closed) throw new IllegalStateException("kernel library is closed");
        String options = options(defines);
        Key key = new Key(file, options, deviceId, driverVersion);
        cl_program cached = programs.get(key);
        if (cached != null) return cached;
        cl_program built = build(file, source(file), options);
        programs.put(key, built);
        builds++;
        return built;
    }

    /** How many programs have been compiled (cache misses) since this library was made. */
    synchronized int buildCount() {
        return builds;
    }

    /** How many programs are cached and not yet released. */
    synchronized int liveProgramCount() {
        return programs.size();
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

    /** The full source compiled for {@code file}: the common header, then the kernel file (line numbers restart). */
    static String source(String file) {
        return resource(COMMON_HEADER) + "\n#line 1 \"" + file + "\"\n" + resource(file);
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
        LOG.debug("built kernels/{} with '{}' in {} ms", file, options, (System.nanoTime() - start) / 1_000_000);
        return program;
    }

    private String buildLog(cl_program program) {
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

    /** Releases every cached program (idempotent). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        for (cl_program p : programs.values()) clReleaseProgram(p);
        programs.clear();
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
