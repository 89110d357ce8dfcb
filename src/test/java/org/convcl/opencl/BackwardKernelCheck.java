package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.convcl.ConvGradients;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.ReferenceGradients;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.plan.BackwardDescriptor;
import org.convcl.plan.BackwardPass;

/**
 * The checks the backward kernel tests share: one kernel on one layer, forced ({@code OpenClConv.forceBackward}) or as
 * the planner picks it, against the double reference (written, and accumulated onto random contents), and the same bits
 * on ten runs. The gradient checked is the kernel's pass's: {@code dx} for a data kernel, {@code dw} for a filter kernel.
 */
final class BackwardKernelCheck {
    private BackwardKernelCheck() {}

    /** A named layer and its input. */
    record Case(String name, ConvSpec spec, Shape input) {
        @Override
        public String toString() { return name + " " + input; }
    }

    /** The first descriptor of {@code type} in {@code registry}. */
    static BackwardDescriptor descriptor(List<BackwardDescriptor> registry, Class<? extends BackwardDescriptor> type) {
        return registry.stream().filter(type::isInstance).findFirst().orElseThrow();
    }

    /**
     * Runs {@code kernel} on {@code c} (forced when {@code force}, else it must be the planner's choice; an input it
     * declines must go to another kernel), accumulating onto random contents and then writing, each against the reference.
     */
    static void matchesTheReference(OpenClBackend backend, BackwardDescriptor kernel, boolean force, Case c) {
        Random r = new Random(c.name().hashCode());
        ConvSpec s = c.spec();
        Shape out = s.outputShape(c.input());
        boolean data = kernel.pass() == BackwardPass.DATA;
        Shape gradShape = data ? c.input() : ConvGradients.weightShape(s);
        Tensor x = Tensor.of(OpenClConvCorrectnessTest.uniform(r, c.input().count()), c.input());
        Tensor dz = Tensor.of(OpenClConvCorrectnessTest.uniform(r, out.count()), out);
        float[] w = OpenClConvCorrectnessTest.uniform(r, s.weightCount());
        float[] before = OpenClConvCorrectnessTest.uniform(r, gradShape.count());
        ReferenceGradients.Grads g = ReferenceGradients.gradients(x, s, w, dz);
        double[] expected = data ? g.dx() : g.dw();
        try (PreparedConv conv = backend.prepare(s, w, Epilogue.none());
             DeviceTensor xd = backend.upload(x);
             DeviceTensor dzd = backend.upload(dz);
             DeviceTensor grad = backend.upload(Tensor.of(before.clone(), gradShape))) {
            if (force) ((OpenClConv) conv).forceBackward(kernel);
            // an input the kernel declines goes to the planner's next kernel, forced or not
            BackwardDescriptor planned = ((OpenClConv) conv).backwardPlan(kernel.pass(), c.input()).descriptor();
            assertEquals(kernel.declinesInput(s, c.input()).isEmpty(), kernel.equals(planned), c + ": planned " + planned);
            run(conv, xd, dzd, grad, data, true);
            double[] sum = expected.clone();
            for (int i = 0; i < sum.length; i++) sum[i] += before[i];
            String what = data ? "dx " : "dw ";
            ReferenceGradients.assertClose(sum, grad.download().data(), gradShape, 1e-4, "accumulated " + what + c);
            run(conv, xd, dzd, grad, data, false);
            ReferenceGradients.assertClose(expected, grad.download().data(), gradShape, 1e-4, what + c);
        }
    }

    /** Ten runs of {@code kernel} (forced when {@code force}) on {@code c} give the same bits. */
    static void sameBitsOnTenRuns(OpenClBackend backend, BackwardDescriptor kernel, boolean force, Case c) {
        Random r = new Random(5);
        ConvSpec s = c.spec();
        Shape out = s.outputShape(c.input());
        boolean data = kernel.pass() == BackwardPass.DATA;
        try (PreparedConv conv = backend.prepare(s, OpenClConvCorrectnessTest.uniform(r, s.weightCount()), Epilogue.none());
             DeviceTensor x = backend.upload(Tensor.of(OpenClConvCorrectnessTest.uniform(r, c.input().count()), c.input()));
             DeviceTensor dz = backend.upload(Tensor.of(OpenClConvCorrectnessTest.uniform(r, out.count()), out));
             DeviceTensor grad = backend.allocate(data ? c.input() : ConvGradients.weightShape(s))) {
            if (force) ((OpenClConv) conv).forceBackward(kernel);
            float[] first = null;
            for (int run = 0; run < 10; run++) {
                run(conv, x, dz, grad, data, false);
                float[] now = grad.download().data();
                if (first == null) first = now;
                else assertArrayEquals(first, now, c + " run " + run);
            }
        }
    }

    private static void run(PreparedConv conv, DeviceTensor x, DeviceTensor dz, DeviceTensor grad, boolean data, boolean accumulate) {
        if (data) conv.backwardData(dz, grad, accumulate);
        else conv.backwardFilter(x, dz, grad, null, accumulate);
    }
}
