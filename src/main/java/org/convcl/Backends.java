package org.convcl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds devices and opens backends.
 *
 * <p>Configuration, highest priority first: the {@link Selection} passed in; system properties
 * {@code convcl.backend} ({@code auto | opencl | cpu}), {@code convcl.device} (a name substring or
 * {@code platform:device}) and {@code convcl.strict} ({@code true | false}); environment variables
 * {@code CONVCL_BACKEND}, {@code CONVCL_DEVICE}, {@code CONVCL_STRICT}. {@code auto} takes the best OpenCL
 * device (GPU, then accelerator, then CPU; then most compute units) and otherwise falls back to the Java CPU
 * backend, logging the cause once at WARN. In strict mode that fallback is an error instead.
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
    private static final AtomicBoolean FALLBACK_WARNED = new AtomicBoolean();

    /** How to install a device, quoted where none is found. */
    public static final String INSTALL_HINT = "install an OpenCL driver: on Debian/Ubuntu "
            + "'apt-get install pocl-opencl-icd ocl-icd-libopencl1' for the CPU, or your GPU vendor's OpenCL ICD";

    private Backends() {}

    /** Which backend to open. */
    public enum Mode { AUTO, OPENCL, CPU }

    /**
     * A backend choice: the mode, an optional device filter (name substring, case-insensitive, or
     * {@code platform:device}) and whether falling back to the CPU is an error.
     */
    public record Selection(Mode mode, String device, boolean strict) {

        public Selection {
            if (mode == null) throw new IllegalArgumentException("backend mode must not be null");
            device = device == null || device.isBlank() ? null : device.trim();
        }

        public static Selection auto() { return new Selection(Mode.AUTO, null, false); }

        /** Reads system properties, then environment variables, then defaults (auto, any device, not strict). */
        public static Selection fromEnvironment() {
            return fromSources(System.getProperties().entrySet().stream().collect(
                    java.util.stream.Collectors.toMap(e -> String.valueOf(e.getKey()), e -> String.valueOf(e.getValue()),
                            (a, b) -> a)), System.getenv());
        }

        static Selection fromSources(Map<String, String> props, Map<String, String> env) {
            String mode = first(props.get("convcl.backend"), env.get("CONVCL_BACKEND"), "auto");
            String device = first(props.get("convcl.device"), env.get("CONVCL_DEVICE"), null);
            String strict = first(props.get("convcl.strict"), env.get("CONVCL_STRICT"), "false");
            return new Selection(parseMode(mode), device, parseStrict(strict));
        }

        /** Same choice with another mode. */
        public Selection withMode(Mode m) { return new Selection(m, device, strict); }

        /** Same choice with another device filter. */
        public Selection withDevice(String d) { return new Selection(mode, d, strict); }

        private static String first(String a, String b, String fallback) {
            if (a != null && !a.isBlank()) return a;
            if (b != null && !b.isBlank()) return b;
            return fallback;
        }
    }

    /** Parses {@code auto | opencl | cpu}; the message names the key and the value. */
    public static Mode parseMode(String text) {
        try {
            return Mode.valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("convcl.backend must be one of auto, opencl, cpu, got '" + text + "'");
        }
    }

    static boolean parseStrict(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("true")) return true;
        if (t.equals("false")) return false;
        throw new IllegalArgumentException("convcl.strict must be true or false, got '" + text + "'");
    }

    /** Opens a backend chosen by system properties and environment variables. */
    public static Backend open() {
        return open(Selection.fromEnvironment());
    }

    /** Opens the Java CPU backend, which always works. */
    public static Backend cpu() {
        BackendProvider p = provider(DeviceInfo.BackendKind.CPU);
        return p.open(p.devices().get(0));
    }

    /**
     * Opens a backend for a selection. {@code opencl} and a device filter that matches nothing throw
     * {@link BackendUnavailableException}; {@code auto} falls back to the CPU unless strict.
     */
    public static Backend open(Selection selection) {
        if (selection.mode() == Mode.CPU) {
            if (selection.device() != null && !"cpu".equalsIgnoreCase(selection.device())) {
                throw new IllegalArgumentException("convcl.device '" + selection.device()
                        + "' cannot be used with convcl.backend=cpu (the CPU backend has one device, 'cpu')");
            }
            return cpu();
        }
        BackendProvider opencl;
        List<DeviceInfo> devices;
        try {
            opencl = provider(DeviceInfo.BackendKind.OPENCL);
            devices = opencl.devices();
            if (devices.isEmpty()) {
                throw new BackendUnavailableException("no OpenCL platform with a device was found");
            }
        } catch (BackendUnavailableException e) {
            return fallback(selection, e);
        }
        List<DeviceInfo> matching = filter(devices, selection.device());
        if (matching.isEmpty()) {
            BackendUnavailableException e = new BackendUnavailableException(noMatch(selection.device(), devices));
            if (selection.mode() == Mode.OPENCL || selection.strict()) throw e;
            return fallback(selection, e);
        }
        return opencl.open(best(matching));
    }

    /** Test seam: the next CPU fallback is logged at WARN again. */
    static void resetFallbackWarning() {
        FALLBACK_WARNED.set(false);
    }

    private static Backend fallback(Selection selection, BackendUnavailableException cause) {
        if (selection.mode() == Mode.OPENCL || selection.strict()) {
            throw new BackendUnavailableException("no OpenCL device available (" + cause.getMessage() + "); "
                    + INSTALL_HINT + (selection.strict() ? " (convcl.strict=true forbids the CPU fallback)" : ""),
                    cause.getCause() != null ? cause.getCause() : cause);
        }
        if (FALLBACK_WARNED.compareAndSet(false, true)) {
            LOG.warn("No OpenCL device, falling back to the Java CPU backend: {}", cause.getMessage());
        } else {
            LOG.debug("No OpenCL device, falling back to the Java CPU backend: {}", cause.getMessage());
        }
        return cpu();
    }

    /**
     * Every device that can be opened: each OpenCL device (empty when OpenCL cannot be loaded or has no
     * platform) followed by the Java CPU backend.
     */
    public static List<DeviceInfo> devices() {
        List<DeviceInfo> all = new ArrayList<>(openClDevices());
        all.addAll(provider(DeviceInfo.BackendKind.CPU).devices());
        return all;
    }

    /** The OpenCL devices, or an empty list (with the reason logged at DEBUG) when OpenCL is unavailable. */
    public static List<DeviceInfo> openClDevices() {
        try {
            return provider(DeviceInfo.BackendKind.OPENCL).devices();
        } catch (BackendUnavailableException e) {
            LOG.debug("OpenCL unavailable: {}", e.getMessage());
            return List.of();
        }
    }

    /** Opens a specific device returned by {@link #devices()}. */
    public static Backend open(DeviceInfo device) {
        return provider(device.backend()).open(device);
    }

    /**
     * The devices that {@code filters} pick from {@code devices}, in list order and each once; no filter picks them
     * all. This is the one device filter of the library and the tool ({@code convcl.device}, {@code --device}): a
     * filter picks the device whose id equals it, else every device whose name or platform contains it
     * (case-insensitive).
     *
     * @throws IllegalArgumentException naming the first filter that picks nothing and listing the devices
     */
    public static List<DeviceInfo> select(List<DeviceInfo> devices, List<String> filters) {
        if (filters == null || filters.isEmpty()) return List.copyOf(devices);
        Set<DeviceInfo> picked = new HashSet<>();
        for (String f : filters) {
            List<DeviceInfo> matching = filter(devices, f);
            if (matching.isEmpty()) throw new IllegalArgumentException(noMatch(f, devices));
            picked.addAll(matching);
        }
        return devices.stream().filter(picked::contains).toList();
    }

    /**
     * The device {@code auto} would take among {@code devices}: GPUs first, then accelerators, then CPUs; then
     * more compute units; then the lower id. Throws when the list is empty.
     */
    public static DeviceInfo best(List<DeviceInfo> devices) {
        return devices.stream().min(BEST_FIRST).orElseThrow(() -> new IllegalArgumentException("no device to choose from"));
    }

    /** The message for a filter that picks none of {@code devices}: it names the filter and lists the devices. */
    static String noMatch(String filter, List<DeviceInfo> devices) {
        return "no device matches '" + filter + "'; the devices are: "
                + (devices.isEmpty() ? "none" : describeAll(devices));
    }

    /** Devices whose id equals the filter, or whose name or platform contains it (case-insensitive). */
    static List<DeviceInfo> filter(List<DeviceInfo> devices, String filter) {
        if (filter == null) return devices;
        String f = filter.toLowerCase(Locale.ROOT);
        List<DeviceInfo> byId = devices.stream().filter(d -> d.id().equalsIgnoreCase(filter)).toList();
        if (!byId.isEmpty()) return byId;
        return devices.stream().filter(d -> d.name().toLowerCase(Locale.ROOT).contains(f)
                || d.platformName().toLowerCase(Locale.ROOT).contains(f)).toList();
    }

    /** GPUs first, then accelerators, then CPUs; then more compute units; then platform order. */
    static final Comparator<DeviceInfo> BEST_FIRST = Comparator
            .comparingInt((DeviceInfo d) -> switch (d.type()) {
                case "GPU" -> 0;
                case "ACCELERATOR" -> 1;
                case "CPU" -> 2;
                default -> 3;
            })
            .thenComparing(Comparator.comparingInt(DeviceInfo::computeUnits).reversed())
            .thenComparing(DeviceInfo::id);

    private static String describeAll(List<DeviceInfo> devices) {
        return String.join("; ", devices.stream().map(DeviceInfo::describe).toList());
    }

    /**
     * The provider of one kind. Each provider is loaded on its own, so an OpenCL provider that cannot load
     * (no native library) never hides the CPU one.
     */
    private static BackendProvider provider(DeviceInfo.BackendKind kind) {
        Throwable failure = null;
        var it = ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!it.hasNext()) break;
                BackendProvider p = it.next();
                if (p.kind() == kind) return p;
            } catch (java.util.ServiceConfigurationError | LinkageError e) {
                failure = e;
            }
        }
        throw new BackendUnavailableException("no " + kind + " backend could be loaded"
                + (failure == null ? "" : ": " + failure), failure);
    }
}
