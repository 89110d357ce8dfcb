package org.convcl.cli.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.convcl.Backend;
import org.convcl.Backends;
import org.convcl.ConvSpec;
import org.convcl.DeviceInfo;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Shape;
import org.convcl.Tensor;

/**
 * First-call latency of one layer: open the backend, prepare, run once and download, in a fresh JVM whose
 * driver-side caches are off ({@code POCL_KERNEL_CACHE=0}, {@code CUDA_CACHE_DISABLE=1}), twice: with an empty
 * convcl program cache (cold: every program compiled) and again with the binaries the first run stored (warm).
 * JVM start-up is not counted; opening the OpenCL context is.
 */
public final class FirstCall {
    /** The layer timed: MobileNet-V1's pw3, a pointwise 128→128 at 56×56. */
    public static final ConvSpec LAYER = ConvSpec.pointwise(128, 128);
    public static final Shape INPUT = new Shape(1, 128, 56, 56);
    /** What the child prints before its milliseconds, so other output on stdout cannot be mistaken for it. */
    static final String MARK = "convcl-first-call-ms ";
    private static final long CHILD_TIMEOUT_S = 120;

    private FirstCall() {}

    /** Cold and warm first-call milliseconds on one device. */
    public record Latency(DeviceInfo device, double coldMs, double warmMs) {
        public String describe() {
            return String.format(Locale.ROOT, "first call of %s on input %s (fresh JVM, driver caches off): "
                    + "%.0f ms with an empty program cache, %.0f ms with the compiled program on disk",
                    LAYER, INPUT, coldMs, warmMs);
        }
    }

    /** Runs the two child processes for {@code device}; throws with the child's output when one fails. */
    public static Latency measure(DeviceInfo device) throws IOException, InterruptedException {
        Path cache = Files.createTempDirectory("convcl-first-call");
        try {
            double cold = child(device, cache);
            double warm = child(device, cache);
            return new Latency(device, cold, warm);
        } finally {
            try (var files = Files.walk(cache)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double child(DeviceInfo device, Path cacheDir) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Dconvcl.cacheDir=" + cacheDir, "-cp",
                System.getProperty("java.class.path"), FirstCall.class.getName(), device.id()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("POCL_KERNEL_CACHE", "0");
        pb.environment().put("CUDA_CACHE_DISABLE", "1");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("first-call probe on " + device.id() + " did not finish in " + CHILD_TIMEOUT_S + " s");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            if (line.startsWith(MARK)) return Double.parseDouble(line.substring(MARK.length()).trim());
        }
        throw new IOException("first-call probe on " + device.id() + " failed (exit " + p.exitValue() + "): " + text.strip());
    }

    /** The child: {@code FirstCall <device id>}; prints {@link #MARK} and the milliseconds. */
    public static void main(String[] args) {
        DeviceInfo device = Backends.devices().stream().filter(d -> d.id().equals(args[0])).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no device with id " + args[0]));
        float[] weights = new float[LAYER.weightCount()];
        java.util.Arrays.fill(weights, 1f / 128);
        Tensor input = Tensor.zeros(INPUT);
        long start = System.nanoTime();
        try (Backend backend = Backends.open(device);
             PreparedConv conv = backend.prepare(LAYER, weights, Epilogue.none(), INPUT)) {
            conv.forward(input);
        }
        System.out.println(MARK + (System.nanoTime() - start) / 1e6);
    }
}
