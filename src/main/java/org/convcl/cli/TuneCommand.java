package org.convcl.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.convcl.Backend;
import org.convcl.BackendUnavailableException;
import org.convcl.Backends;
import org.convcl.DeviceInfo;
import org.convcl.cli.bench.BenchCase;
import org.convcl.cli.bench.ReportWriter;
import org.convcl.cli.bench.Suite;
import org.convcl.cli.bench.TextTable;
import org.convcl.opencl.Tuner;
import org.convcl.opencl.TuningFiles;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.KernelFamily;
import org.convcl.plan.Tunables;
import org.convcl.plan.TuningTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code convcl tune}: times the candidate tile parameters of each suite layer's kernel on one OpenCL device
 * ({@link Tuner}) and writes the winners per shape class into the device's tuning file, which the OpenCL
 * backend reads when it opens. Exit codes: 0 done, 1 internal failure, 2 bad options or an unreadable
 * existing tuning file.
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = {"Time candidate tile and work-group parameters on one OpenCL device and store the winners per "
                + "(kernel, shape class) in the device's tuning file (merged with what it already holds)."})
public final class TuneCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private SuiteFlags suites;

    @Option(names = "--quick", description = "Only the layers marked quick in the suite files.")
    private boolean quick;

    @Option(names = "--device", paramLabel = "FILTER",
            description = "The OpenCL device: its id, or a part of its name or platform; the best of several as 'auto' "
                    + "picks (default: the device 'auto' picks, see 'convcl devices').")
    private String device;

    @Option(names = "--batch", defaultValue = "1", description = "Images per input, N (default: ${DEFAULT-VALUE}); batch is part of the shape class.")
    private int batch;

    @Option(names = "--runs", defaultValue = "15", description = "Timed rounds; each parameter set's time is the median (default: ${DEFAULT-VALUE}).")
    private int runs;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed runs per parameter set and layer (default: ${DEFAULT-VALUE}).")
    private int warmup;

    @Option(names = "--margin", defaultValue = "5", paramLabel = "PERCENT",
            description = "How much faster than the defaults a winner must be to be stored, in percent (default: ${DEFAULT-VALUE}).")
    private double marginPercent;

    @Option(names = "--max-candidates", defaultValue = "12", paramLabel = "K",
            description = "At most this many candidates per shape class (default: ${DEFAULT-VALUE}).")
    private int maxCandidates;

    @Option(names = "--kernels", defaultValue = "auto", paramLabel = "auto|cpu|gpu",
            description = "The kernel family to tune (as the convcl.kernels setting); auto: the device type's (default ${DEFAULT-VALUE}).")
    private String kernels;

    @Option(names = "--store-as", defaultValue = "device", paramLabel = "device|vendor|type",
            description = "Store the winners under the device's own key, its vendor and type's ('vendor:<vendor> <type>') or its "
                    + "type's ('type:<type>'), which serve every device of that class without an entry of its own (default ${DEFAULT-VALUE}).")
    private String storeAs;

    @Option(names = "--pass", defaultValue = "forward", paramLabel = "forward|backward-data|backward-filter|all",
            description = "Which kernels to tune: the forward ones, the backward input gradient's of strided layers (a stride-1 "
                    + "layer's is a forward convolution), the backward weight gradient's, or all three (default: ${DEFAULT-VALUE}).")
    private String pass;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Tuning file to update (default: the device's user tuning file, see docs/tuning.md).")
    private Path out;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        List<Tuner.Layer> layers = new ArrayList<>();
        List<Tuner.Pass> passes;
        Tuner.Options options;
        DeviceInfo info;
        KernelFamily family;
        try {
            if (batch <= 0) throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
            options = new Tuner.Options(warmup, runs, marginPercent / 100, maxCandidates);
            for (Suite s : suites.load()) {
                for (BenchCase c : s.cases(quick)) layers.add(new Tuner.Layer(s.name() + "/" + c.name(), c.spec(), c.input(batch)));
            }
            if (layers.isEmpty()) throw new IllegalArgumentException("the selected suites have no " + (quick ? "quick " : "") + "layers");
            family = KernelFamily.parseOrAuto(kernels, "--kernels");
            passes = passes(pass);
            if (!List.of("device", "vendor", "type").contains(storeAs)) {
                throw new IllegalArgumentException("--store-as must be device, vendor or type, got '" + storeAs + "'");
            }
            info = selectDevice();
        } catch (IllegalArgumentException | BackendUnavailableException e) {
            stderr.println("convcl tune: " + e.getMessage());
            stderr.flush();
            return Main.EXIT_USAGE;
        }
        try (Backend backend = openWithFamily(info, family)) {
            Tuner tuner = new Tuner(backend, options);
            String key = storeKey(tuner.facts());
            Path file = out != null ? out : TuningFiles.userFile(tuner.deviceKey());
            TuningTable existing;
            try {
                existing = Files.isRegularFile(file) ? TuningFiles.load(file) : TuningTable.EMPTY;
            } catch (IOException | IllegalArgumentException e) {
                stderr.println("convcl tune: cannot read the existing tuning file (fix or remove it): " + e.getMessage());
                stderr.flush();
                return Main.EXIT_USAGE;
            }
            double loadBefore = ReportWriter.loadAverage();
            stderr.printf(Locale.ROOT, "tuning %d layers on %s (load average %.2f)%n", layers.size(), info.describe(), loadBefore);
            stderr.flush();
            List<Tuner.ClassResult> results = tuner.tune(layers, passes, line -> {
                stderr.println("  " + line);
                stderr.flush();
            });
            String note = String.format(Locale.ROOT, "convcl tune %s, %d runs, load %.2f", LocalDate.now(), runs, loadBefore);
            TuningTable updated = Tuner.apply(existing, key, results, note);
            TuningFiles.store(file, updated);
            stdout.print(table(results).plain());
            long winners = results.stream().filter(Tuner.ClassResult::winner).count();
            stdout.printf(Locale.ROOT, "%d of %d shape classes tuned (margin %.1f%%); load average %.2f before, %.2f after; wrote %s (%d entries)%n",
                    winners, results.size(), marginPercent, loadBefore, ReportWriter.loadAverage(), file, updated.size());
            stdout.flush();
            return 0;
        }
    }

    /**
     * Opens the OpenCL backend of {@code info} with the kernel family {@code family} forced (null: the device type's), by
     * setting {@code convcl.kernels} while the backend reads it and restoring it afterwards.
     */
    private static Backend openWithFamily(DeviceInfo info, KernelFamily family) {
        if (family == null) return Backends.open(info);
        String before = System.getProperty("convcl.kernels");
        System.setProperty("convcl.kernels", family.name().toLowerCase(Locale.ROOT));
        try {
            return Backends.open(info);
        } finally {
            if (before == null) System.clearProperty("convcl.kernels"); else System.setProperty("convcl.kernels", before);
        }
    }

    /** The passes {@code --pass} names. */
    private static List<Tuner.Pass> passes(String name) {
        return switch (name) {
            case "forward" -> List.of(Tuner.Pass.FORWARD);
            case "backward-data" -> List.of(Tuner.Pass.BACKWARD_DATA);
            case "backward-filter" -> List.of(Tuner.Pass.BACKWARD_FILTER);
            case "all" -> List.of(Tuner.Pass.values());
            default -> throw new IllegalArgumentException("--pass must be forward, backward-data, backward-filter or all, got '" + name + "'");
        };
    }

    /** The key the winners are stored under, as {@code --store-as} says. */
    private String storeKey(DeviceFacts facts) {
        return switch (storeAs) {
            case "vendor" -> TuningTable.vendorKey(facts.vendor(), facts.type());
            case "type" -> TuningTable.typeKey(facts.type());
            default -> facts.deviceKey();
        };
    }

    /** One row per layer: its class's default and best times on it, the best parameters, whether they were stored. */
    private static TextTable table(List<Tuner.ClassResult> results) {
        TextTable t = new TextTable("layer", "kernel", "shape class", "default ms", "best ms", "speedup", "best params", "stored");
        for (Tuner.ClassResult r : results) {
            for (int i = 0; i < r.layers().size(); i++) {
                double d = r.defaults().ms()[i];
                double b = r.best() == null ? Double.NaN : r.best().ms()[i];
                t.row(r.layers().get(i).name(), r.shapeClass().algorithm().name(), r.shapeClass().key(),
                        String.format(Locale.ROOT, "%.3f", d), r.best() == null ? "-" : String.format(Locale.ROOT, "%.3f", b),
                        r.best() == null ? "-" : String.format(Locale.ROOT, "%.2fx", d / b),
                        r.best() == null ? "(all dropped)" : Tunables.describe(r.best().params()), r.winner() ? "yes" : "no");
            }
        }
        return t;
    }

    /** The OpenCL device {@code --device} picks (the best of several, as {@code auto} does), or the best of all. */
    private DeviceInfo selectDevice() {
        List<DeviceInfo> all = Backends.openClDevices();
        if (all.isEmpty()) throw new IllegalArgumentException("no OpenCL device found; " + Backends.INSTALL_HINT);
        return Backends.best(Backends.select(all, device == null ? List.of() : List.of(device)));
    }
}
