import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.convcl.Backend;
import org.convcl.Backends;
import org.convcl.ConvGradients;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.cli.bench.BenchCase;
import org.convcl.cli.bench.SuiteLoader;

/**
 * Times convcl's backward passes (data, filter) per layer of a built-in suite: median wall time of RUNS calls after
 * WARMUP, each call followed by finish(). Prints one tab-separated row per layer and pass. Run by
 * scripts/bench_backward.sh, which times PyTorch's autograd on the same layers in the same run.
 * Arguments: suite batch backend(cpu|opencl) runs [layer names, comma-separated: only those].
 */
public class BenchBackward {
    public static void main(String[] args) {
        String suite = args[0];
        int batch = Integer.parseInt(args[1]);
        Backends.Mode mode = Backends.Mode.valueOf(args[2].toUpperCase());
        int runs = Integer.parseInt(args[3]);
        List<BenchCase> cases = SuiteLoader.builtIn().load(List.of(suite)).get(0).cases(false);
        if (args.length > 4) {
            List<String> only = List.of(args[4].split(","));
            cases = cases.stream().filter(c -> only.contains(c.name())).toList();
        }
        Random r = new Random(1);
        try (Backend backend = Backends.open(new Backends.Selection(mode, null, true))) {
            System.err.println("convcl backward on " + backend.device().describe());
            for (BenchCase c : cases) {
                Shape in = new Shape(batch, c.spec().inChannels(), c.h(), c.w());
                Shape out = c.spec().outputShape(in);
                try (PreparedConv conv = backend.prepare(c.spec(), random(r, c.spec().weightCount()), Epilogue.none(), in);
                     DeviceTensor x = backend.upload(Tensor.of(random(r, in.count()), in));
                     DeviceTensor dz = backend.upload(Tensor.of(random(r, out.count()), out));
                     DeviceTensor dx = backend.allocate(in);
                     DeviceTensor dw = backend.allocate(ConvGradients.weightShape(c.spec()))) {
                    double data = median(runs, () -> conv.backwardData(dz, dx, false), backend);
                    double filter = median(runs, () -> conv.backwardFilter(x, dz, dw, null, false), backend);
                    System.out.printf("%s\t%s\tdata\t%.3f%n", c.name(), c.kind(), data);
                    System.out.printf("%s\t%s\tfilter\t%.3f%n", c.name(), c.kind(), filter);
                }
            }
        }
    }

    private static double median(int runs, Runnable call, Backend backend) {
        for (int i = 0; i < 2; i++) {
            call.run();
            backend.finish();
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t = System.nanoTime();
            call.run();
            backend.finish();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        return ms[runs / 2];
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }
}
