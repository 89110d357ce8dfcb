package org.convcl.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

/**
 * Fused vs unfused time of the MobileNet-V1 depthwise-separable blocks (224×224 input) on one backend:
 * {@code java -cp ... org.convcl.cli.BlockBench [opencl|cpu] [batches, e.g. 1,8] [runs]}. Each case is warmed
 * up, then timed {@code runs} times end to end (enqueue + finish, data already on the device); prints the
 * median, min and max of each path and the unfused/fused ratio of medians.
 */
public final class BlockBench {
    /** The 13 MobileNet-V1 blocks as (input side, in channels, out channels, stride); repeated 14×14 ones once. */
    static final int[][] MOBILENET_V1 = {
            {112, 32, 64, 1}, {112, 64, 128, 2}, {56, 128, 128, 1}, {56, 128, 256, 2}, {28, 256, 256, 1},
            {28, 256, 512, 2}, {14, 512, 512, 1}, {14, 512, 1024, 2}, {7, 1024, 1024, 1}};

    private BlockBench() {}

    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "opencl";
        int[] batches = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {1, 8};
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 9;
        try (Backend backend = which.equals("cpu") ? Backends.cpu()
                : Backends.open(new Backends.Selection(Backends.Mode.OPENCL, null, true))) {
            System.out.println("device: " + backend.device().describe() + ", runs: " + runs);
            System.out.println("block                       in          batch  unfused ms (min-max)   fused ms (min-max)     unfused/fused");
            for (int batch : batches) {
                for (int[] b : MOBILENET_V1) {
                    SeparableBlock block = SeparableBlock.mobilenet(b[1], b[2], b[3]);
                    Shape in = new Shape(batch, b[1], b[0], b[0]);
                    double[] unfused = time(backend, block, in, BlockMode.UNFUSED, runs);
                    double[] fused = time(backend, block, in, BlockMode.FUSED, runs);
                    System.out.printf(Locale.ROOT, "%-27s %-11s %5d  %8.2f (%.2f-%.2f)  %8.2f (%.2f-%.2f)  %6.2fx%n",
                            b[1] + "->" + b[2] + " s" + b[3], b[0] + "x" + b[0], batch, unfused[0], unfused[1], unfused[2],
                            fused[0], fused[1], fused[2], unfused[0] / fused[0]);
                }
            }
        }
    }

    /** Median, min and max milliseconds of {@code runs} timed forwards after two warm-up runs. */
    static double[] time(Backend backend, SeparableBlock block, Shape inShape, BlockMode mode, int runs) {
        SplittableRandom r = new SplittableRandom(7);
        float[] dw = random(r, block.depthwise().weightCount());
        float[] pw = random(r, block.pointwise().weightCount());
        try (PreparedBlock prepared = backend.prepareBlock(block, dw, pw, mode);
             DeviceTensor in = backend.upload(Tensor.of(random(r, inShape.count()), inShape));
             DeviceTensor out = backend.allocate(prepared.outputShape(inShape))) {
            for (int i = 0; i < 2; i++) {
                prepared.forward(in, out);
                backend.finish();
            }
            List<Double> ms = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                prepared.forward(in, out);
                backend.finish();
                ms.add((System.nanoTime() - t0) / 1e6);
            }
            ms.sort(null);
            return new double[] {ms.get(ms.size() / 2), ms.get(0), ms.get(ms.size() - 1)};
        }
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }
}
