package org.convcl.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.convcl.Backend;
import org.convcl.Backends;
import org.convcl.BlockMode;
import org.convcl.DeviceTensor;
import org.convcl.PreparedBlock;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.cli.bench.BenchRunner;

/**
 * Fused vs unfused time of the MobileNet-V1 depthwise-separable blocks (224×224 input) on one backend:
 * {@code java -cp ... org.convcl.cli.BlockBench [opencl|cpu] [batches, e.g. 1,8] [runs]}. Both paths of a case are
 * prepared side by side and warmed up like {@code convcl bench} ({@link BenchRunner#warmUp}: at least 3 calls and
 * 0.1 s), then timed in alternation, {@code runs} times each, end to end (enqueue + finish, data already on the
 * device), which path goes first changing every run: a change in the machine's load falls on both paths alike
 * instead of on one path's consecutive runs. Prints the median, min and max of each path and the unfused/fused
 * ratio of medians.
 */
public final class BlockBench {
    /** The 13 MobileNet-V1 blocks as (input side, in channels, out channels, stride); repeated 14×14 ones once. */
    static final int[][] MOBILENET_V1 = {
            {112, 32, 64, 1}, {112, 64, 128, 2}, {56, 128, 128, 1}, {56, 128, 256, 2}, {28, 256, 256, 1},
            {28, 256, 512, 2}, {14, 512, 512, 1}, {14, 512, 1024, 2}, {7, 1024, 1024, 1}};
    /** Warm-up calls of each path (continued until they have lasted {@link BenchRunner#MIN_WARMUP_NANOS}). */
    static final int WARMUP = 3;

    private BlockBench() {}

    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "opencl";
        int[] batches = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {1, 8};
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 31;
        if (runs < 1) throw new IllegalArgumentException("runs must be at least 1, got " + runs);
        try (Backend backend = which.equals("cpu") ? Backends.cpu()
                : Backends.open(new Backends.Selection(Backends.Mode.OPENCL, null, true))) {
            System.out.println("device: " + backend.device().describe() + ", runs: " + runs + " per path, alternating");
            System.out.println("block                       in          batch  unfused ms (min-max)   fused ms (min-max)     unfused/fused");
            for (int batch : batches) {
                for (int[] b : MOBILENET_V1) {
                    SeparableBlock block = SeparableBlock.mobilenet(b[1], b[2], b[3]);
                    double[][] ms = timeBoth(backend, block, new Shape(batch, b[1], b[0], b[0]), runs);
                    double[] unfused = ms[0], fused = ms[1];
                    System.out.printf(Locale.ROOT, "%-27s %-11s %5d  %8.2f (%.2f-%.2f)  %8.2f (%.2f-%.2f)  %6.2fx%n",
                            b[1] + "->" + b[2] + " s" + b[3], b[0] + "x" + b[0], batch, unfused[0], unfused[1], unfused[2],
                            fused[0], fused[1], fused[2], unfused[0] / fused[0]);
                }
            }
        }
    }

    /**
     * Median, min and max milliseconds of the unfused ({@code [0]}) and fused ({@code [1]}) path of {@code block} on
     * the same input, each warmed up, then timed {@code runs} times in alternation.
     */
    static double[][] timeBoth(Backend backend, SeparableBlock block, Shape inShape, int runs) {
        SplittableRandom r = new SplittableRandom(7);
        float[] dw = random(r, block.depthwise().weightCount());
        float[] pw = random(r, block.pointwise().weightCount());
        try (PreparedBlock unfused = backend.prepareBlock(block, dw, pw, BlockMode.UNFUSED, inShape);
             PreparedBlock fused = backend.prepareBlock(block, dw, pw, BlockMode.FUSED, inShape);
             DeviceTensor in = backend.upload(Tensor.of(random(r, inShape.count()), inShape));
             DeviceTensor out = backend.allocate(fused.outputShape(inShape))) {
            PreparedBlock[] paths = {unfused, fused};
            for (PreparedBlock p : paths) BenchRunner.warmUp(WARMUP, () -> run(backend, p, in, out));
            double[][] ms = new double[2][runs];
            for (int i = 0; i < runs; i++) {
                for (int k = 0; k < 2; k++) {
                    int path = (i + k) % 2; // unfused first on even runs, fused first on odd ones
                    long t0 = System.nanoTime();
                    run(backend, paths[path], in, out);
                    ms[path][i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            return new double[][] {medianMinMax(ms[0]), medianMinMax(ms[1])};
        }
    }

    private static void run(Backend backend, PreparedBlock block, DeviceTensor in, DeviceTensor out) {
        block.forward(in, out);
        backend.finish();
    }

    private static double[] medianMinMax(double[] ms) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        return new double[] {sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1]};
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }
}
