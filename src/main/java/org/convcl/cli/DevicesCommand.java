package org.convcl.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.convcl.Backend;
import org.convcl.BackendUnavailableException;
import org.convcl.Backends;
import org.convcl.DeviceInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code convcl devices}: every OpenCL platform and device with its limits, the Java CPU backend, and the
 * device {@code --backend auto} picks; when OpenCL is unavailable, why.
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List OpenCL platforms and devices, the CPU backend, and what 'auto' picks.")
final class DevicesCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<DeviceInfo> devices = Backends.devices();
        String platform = null;
        for (DeviceInfo d : devices) {
            String heading = d.backend() == DeviceInfo.BackendKind.OPENCL
                    ? "OpenCL platform: " + d.platformName() : "Java CPU backend:";
            if (!heading.equals(platform)) {
                out.println(heading);
                platform = heading;
            }
            print(out, d);
        }
        if (devices.stream().noneMatch(d -> d.backend() == DeviceInfo.BackendKind.OPENCL)) {
            out.println("OpenCL: unavailable: " + Main.oneLine(whyNoOpenCl()));
        }
        out.println("auto picks: " + autoChoice());
        out.flush();
        return 0;
    }

    private static void print(PrintWriter out, DeviceInfo d) {
        out.printf("  [%s] %s%n", d.id(), d.name());
        out.printf("      type %s, vendor %s%n", d.type(), d.vendor());
        out.printf("      compute units %d, max clock %s, max work-group size %d%n",
                d.computeUnits(), d.maxClockMHz() > 0 ? d.maxClockMHz() + " MHz" : "unknown", d.maxWorkGroupSize());
        out.printf("      global mem %s, local mem %s, max alloc %s%n",
                bytes(d.globalMemBytes()), bytes(d.localMemBytes()), bytes(d.maxAllocBytes()));
        if (d.backend() == DeviceInfo.BackendKind.OPENCL) {
            out.printf("      driver %s, OpenCL version %s%n", d.driverVersion(), d.openclVersion());
        } else {
            out.printf("      runtime Java %s%n", d.driverVersion());
        }
    }

    /** The reason opening OpenCL fails; only asked when no OpenCL device was listed, so nothing is opened. */
    private static String whyNoOpenCl() {
        try (Backend b = Backends.open(new Backends.Selection(Backends.Mode.OPENCL, null, false))) {
            return "no device was listed, yet one opened: " + b.device().describe();
        } catch (BackendUnavailableException e) {
            return e.getMessage();
        }
    }

    /** What {@code --backend auto} opens, honouring convcl.device / CONVCL_DEVICE. */
    private static String autoChoice() {
        try (Backend b = Backends.open(Backends.Selection.fromEnvironment().withMode(Backends.Mode.AUTO))) {
            return b.device().describe();
        } catch (RuntimeException e) {
            return "nothing (" + Main.oneLine(e.getMessage()) + ")";
        }
    }

    /** Bytes in binary units, e.g. {@code 7.6 GiB}; exact below 1 KiB. */
    static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v >= 100 || v == Math.rint(v) ? "%.0f %s" : "%.1f %s", v, units[u]);
    }
}
