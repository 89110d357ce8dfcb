package org.convcl.hardening;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.convcl.Activation;
import org.convcl.Backend;
import org.convcl.Backends;
import org.convcl.ConvSpec;
import org.convcl.DeviceInfo;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Reference;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.TestBackends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Invalid calls across the Java API, as a table run on every backend. Each call must throw the stated
 * exception with a message that names the field and the value; the output tensor the fixture owns must
 * keep its sentinel contents (nothing half-written); and the backend must still compute a correct
 * convolution afterwards. The CLI's share of the table is {@code org.convcl.cli.CliBadInputTest}.
 */
class BadInputTest {
    /** The valid layer every case starts from: 2→4 channels, 3×3, padding 1, bias and ReLU. */
    static final ConvSpec SPEC = ConvSpec.full(2, 4, 3).padding(1).build();
    static final Shape IN = new Shape(1, 2, 5, 5);
    static final Shape OUT = SPEC.outputShape(IN);
    static final float SENTINEL = -12345.5f;

    private static final Random RND = new Random(6);
    static final float[] WEIGHTS = random(SPEC.weightCount());
    static final float[] BIAS = random(4);
    static final Epilogue EPILOGUE = Epilogue.builder().bias(BIAS).activation(Activation.RELU).build();
    static final Tensor INPUT = Tensor.of(random(IN.count()), IN);

    /** Backends opened (and closed) by the cases themselves, released after the class. */
    private static final List<Backend> OPENED = new ArrayList<>();

    static float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = RND.nextFloat() * 2 - 1;
        return a;
    }

    /** What each case may use: the backend under test, another backend, a prepared conv and two tensors. */
    record Fixture(Backend backend, Backend other, PreparedConv conv, DeviceTensor in, DeviceTensor out) {

        /** A fresh backend on the same device, closed after the class. */
        Backend fresh() {
            Backend b = backend.device().backend() == DeviceInfo.BackendKind.CPU ? Backends.cpu()
                    : Backends.open(new Backends.Selection(Backends.Mode.OPENCL, backend.device().id(), true));
            synchronized (OPENED) {
                OPENED.add(b);
            }
            return b;
        }
    }

    /** One invalid call: the exception type it must raise and fragments its message must contain. */
    record Case(String name, Class<? extends RuntimeException> type, Consumer<Fixture> call, String... fragments) {}

    static Case iae(String name, Consumer<Fixture> call, String... fragments) {
        return new Case(name, IllegalArgumentException.class, call, fragments);
    }

    static Case ise(String name, Consumer<Fixture> call, String... fragments) {
        return new Case(name, IllegalStateException.class, call, fragments);
    }

    static ConvSpec.Builder valid() {
        return ConvSpec.full(2, 4, 3);
    }

    static Epilogue.BatchNorm bn(int channels) {
        float[] ones = new float[channels];
        java.util.Arrays.fill(ones, 1f);
        return new Epilogue.BatchNorm(new float[channels], ones, ones, new float[channels], 1e-5f);
    }

    static final List<Case> CASES = List.of(
            // ---- shapes and specs: negative or zero sizes, overflow, groups ----
            iae("shape n zero", f -> new Shape(0, 2, 5, 5), "shape dimension n", "got 0"),
            iae("shape h negative", f -> new Shape(1, 2, -3, 5), "shape dimension h", "got -3"),
            iae("shape w zero", f -> new Shape(1, 2, 5, 0), "shape dimension w", "got 0"),
            iae("shape element count overflows int", f -> new Shape(65536, 65536, 1, 1), "65536x65536x1x1",
                    "4294967296 elements"),
            iae("inChannels zero", f -> ConvSpec.full(0, 4, 3).build(), "inChannels", "got 0"),
            iae("outChannels negative", f -> ConvSpec.full(2, -4, 3).build(), "outChannels", "got -4"),
            iae("kernelH negative", f -> ConvSpec.builder(2, 4, -1, 3).build(), "kernelH", "got -1"),
            iae("stride zero", f -> valid().stride(0).build(), "strideH", "got 0"),
            iae("strideW negative", f -> valid().stride(1, -2).build(), "strideW", "got -2"),
            iae("dilation zero", f -> valid().dilation(1, 0).build(), "dilationW", "got 0"),
            iae("padding negative", f -> valid().padding(-1, 0, 0, 0).build(), "padTop", "got -1"),
            iae("groups zero", f -> valid().groups(0).build(), "groups", "got 0"),
            iae("groups not dividing inChannels", f -> ConvSpec.full(4, 6, 3).groups(3).build(), "groups=3",
                    "inChannels=4"),
            iae("groups not dividing outChannels", f -> ConvSpec.full(4, 3, 3).groups(2).build(), "groups=2",
                    "outChannels=3"),
            iae("depth multiplier zero", f -> ConvSpec.depthwise(4, 0, 3), "multiplier", "got 0"),
            iae("weight count overflows int", f -> ConvSpec.full(65536, 65536, 3).build(), "weight count",
                    "38654705664"),
            iae("same padding for an empty input", f -> valid().samePadding(0, 5), "inH", "got 0"),
            iae("same padding without size at stride 2", f -> valid().stride(2).samePadding(), "stride 2x2"),
            // ---- weights, bias, batch-norm ----
            iae("prepare null spec", f -> f.backend().prepare(null, WEIGHTS, EPILOGUE), "spec must not be null"),
            iae("prepare null weights", f -> f.backend().prepare(SPEC, null, EPILOGUE), "weights must not be null"),
            iae("prepare null epilogue", f -> f.backend().prepare(SPEC, WEIGHTS, null), "epilogue must not be null"),
            iae("weights too short", f -> f.backend().prepare(SPEC, new float[71], EPILOGUE), "weights length 71",
                    "4x2x3x3 = 72"),
            iae("weights too long", f -> f.backend().prepare(SPEC, new float[73], Epilogue.none()), "weights length 73",
                    "= 72"),
            iae("weights of a depthwise spec given full size",
                    f -> f.backend().prepare(ConvSpec.depthwise(2, 1, 3).build(), new float[2 * 2 * 9], Epilogue.none()),
                    "weights length 36", "= 18"),
            iae("bias length", f -> f.backend().prepare(SPEC, WEIGHTS, Epilogue.bias(new float[3])), "bias length 3",
                    "outChannels=4"),
            iae("batch-norm length", f -> f.backend().prepare(SPEC, WEIGHTS,
                    Epilogue.builder().batchNorm(bn(5)).build()), "batchNorm length 5", "outChannels=4"),
            iae("batch-norm variance + eps not positive", f -> new Epilogue.BatchNorm(new float[] {0, 0},
                    new float[] {1, -2}, new float[2], new float[2], 0f), "batchNorm.variance[1]", "-2.0"),
            iae("batch-norm eps NaN", f -> new Epilogue.BatchNorm(new float[1], new float[1], new float[1],
                    new float[1], Float.NaN), "batchNorm.eps", "NaN"),
            iae("batch-norm arrays of different lengths", f -> new Epilogue.BatchNorm(new float[4], new float[4],
                    new float[3], new float[4], 1e-5f), "gamma 3"),
            iae("batch-norm null mean", f -> new Epilogue.BatchNorm(null, new float[1], new float[1], new float[1], 0f),
                    "batchNorm.mean must not be null"),
            iae("activation null", f -> Epilogue.activation(null), "activation must not be null"),
            // ---- host tensors of the wrong shape ----
            iae("tensor data length", f -> Tensor.of(new float[49], 1, 2, 5, 5), "data length 49", "[1, 2, 5, 5]"),
            iae("forward input channels", f -> f.conv().forward(Tensor.zeros(new Shape(1, 3, 5, 5))),
                    "input channels 3", "inChannels=2"),
            iae("kernel larger than the padded input", f -> {
                try (PreparedConv c = f.backend().prepare(ConvSpec.full(2, 4, 5).build(), new float[4 * 2 * 25],
                        Epilogue.none())) {
                    c.forward(Tensor.zeros(new Shape(1, 2, 3, 3)));
                }
            }, "kernel height 5", "padded input height 3"),
            iae("dilated kernel larger than the padded input", f -> {
                try (PreparedConv c = f.backend().prepare(valid().dilation(1, 3).padding(1).build(), WEIGHTS,
                        Epilogue.none())) {
                    c.forward(Tensor.zeros(new Shape(1, 2, 4, 4)));
                }
            }, "kernel width 3 (dilated to 7)", "padded input width 6"),
            iae("forward null host tensor", f -> f.conv().forward((Tensor) null), "input", "null"),
            // ---- device tensors ----
            iae("allocate null shape", f -> f.backend().allocate(null), "shape must not be null"),
            iae("upload null tensor", f -> f.backend().upload(null), "tensor must not be null"),
            iae("forward into an output of the wrong shape", f -> {
                try (DeviceTensor wrong = f.backend().allocate(new Shape(1, 4, 5, 4))) {
                    f.conv().forward(f.in(), wrong);
                }
            }, "output shape [1, 4, 5, 4]", "[1, 4, 5, 5]"),
            iae("forwardTimed into an output of the wrong batch", f -> {
                try (DeviceTensor wrong = f.backend().allocate(new Shape(2, 4, 5, 5))) {
                    f.conv().forwardTimed(f.in(), wrong);
                }
            }, "output shape [2, 4, 5, 5]", "[1, 4, 5, 5]"),
            iae("forward device input of the wrong channels", f -> {
                try (DeviceTensor wrong = f.backend().allocate(new Shape(1, 3, 5, 5))) {
                    f.conv().forward(wrong, f.out());
                }
            }, "input channels 3", "inChannels=2"),
            iae("forward with input and output the same tensor", f -> {
                try (PreparedConv same = f.backend().prepare(ConvSpec.pointwise(2, 2), new float[4], Epilogue.none());
                     DeviceTensor t = f.backend().allocate(IN)) {
                    same.forward(t, t);
                }
            }, "input and output must be different tensors"),
            iae("forward null output", f -> f.conv().forward(f.in(), null), "output", "null"),
            iae("forward null input", f -> f.conv().forward(null, f.out()), "input", "null"),
            iae("input tensor of another backend", f -> {
                try (DeviceTensor foreign = f.other().upload(INPUT)) {
                    f.conv().forward(foreign, f.out());
                }
            }, "input", "belongs to", "opencl", "cpu"),
            iae("output tensor of another backend", f -> {
                try (DeviceTensor foreign = f.other().allocate(OUT)) {
                    f.conv().forward(f.in(), foreign);
                }
            }, "output", "belongs to", "opencl", "cpu"),
            iae("download a tensor of another backend", f -> {
                try (DeviceTensor foreign = f.other().allocate(OUT)) {
                    f.backend().download(foreign);
                }
            }, "belongs to", "opencl", "cpu"),
            // ---- closed objects used again ----
            ise("forward a closed input tensor", f -> {
                DeviceTensor t = f.backend().upload(INPUT);
                t.close();
                f.conv().forward(t, f.out());
            }, "tensor #", "[1, 2, 5, 5]", "closed"),
            ise("download a closed tensor", f -> {
                DeviceTensor t = f.backend().allocate(OUT);
                t.close();
                t.close(); // idempotent
                t.download();
            }, "tensor #", "[1, 4, 5, 5]", "closed"),
            ise("forward with a closed prepared conv", f -> {
                PreparedConv c = f.backend().prepare(SPEC, WEIGHTS, EPILOGUE);
                c.close();
                c.forward(f.in(), f.out());
            }, "prepared convolution", "conv 2->4 k3x3", "closed"),
            ise("host forward with a closed prepared conv", f -> {
                PreparedConv c = f.backend().prepare(SPEC, WEIGHTS, EPILOGUE);
                c.close();
                c.forward(INPUT);
            }, "conv 2->4 k3x3", "closed"),
            ise("allocate on a closed backend", f -> {
                Backend b = f.fresh();
                b.close();
                b.allocate(IN);
            }, "backend", "closed"),
            ise("prepare on a closed backend", f -> {
                Backend b = f.fresh();
                b.close();
                b.prepare(SPEC, WEIGHTS, EPILOGUE);
            }, "backend", "closed"),
            ise("forward a conv of a closed backend", f -> {
                Backend b = f.fresh();
                PreparedConv c = b.prepare(ConvSpec.pointwise(2, 4), new float[8], Epilogue.none());
                DeviceTensor in = b.upload(INPUT);
                DeviceTensor out = b.allocate(new Shape(1, 4, 5, 5));
                b.close();
                c.forward(in, out);
            }, "closed"),
            ise("download from a closed backend", f -> {
                Backend b = f.fresh();
                DeviceTensor t = b.upload(INPUT);
                b.close();
                b.download(t);
            }, "closed"));

    /** Number of distinct invalid calls in the table (each runs on every backend). */
    @Test
    void theTableHasAtLeastFortyInvalidCalls() {
        assertTrue(CASES.size() >= 40, "only " + CASES.size() + " cases");
        System.out.println("[BadInputTest] " + CASES.size() + " invalid API calls per backend on "
                + TestBackends.all().size() + " backends");
    }

    @TestFactory
    Stream<DynamicTest> everyInvalidCallFailsClearlyAndLeavesTheBackendUsable() {
        List<Backend> backends = TestBackends.all();
        return backends.stream().flatMap(backend -> CASES.stream().map(c -> DynamicTest.dynamicTest(
                backend.device().id() + " " + c.name(), () -> check(backend, otherThan(backend), c))));
    }

    private static Backend otherThan(Backend backend) {
        // Mixing needs a second backend: the CPU one for OpenCL; for the CPU, OpenCL when present, else a second CPU.
        if (backend.device().backend() == DeviceInfo.BackendKind.OPENCL) return TestBackends.cpu();
        for (Backend b : TestBackends.all()) if (b != backend) return b;
        throw new AssertionError("no second backend");
    }

    private static void check(Backend backend, Backend other, Case c) {
        Shape sentinelShape = OUT;
        float[] sentinel = new float[sentinelShape.count()];
        java.util.Arrays.fill(sentinel, SENTINEL);
        try (PreparedConv conv = backend.prepare(SPEC, WEIGHTS, EPILOGUE);
             DeviceTensor in = backend.upload(INPUT);
             DeviceTensor out = backend.upload(Tensor.of(sentinel.clone(), sentinelShape))) {
            RuntimeException e = assertThrows(c.type(), () -> c.call().accept(new Fixture(backend, other, conv, in, out)),
                    c.name());
            String message = String.valueOf(e.getMessage());
            for (String fragment : expectedFragments(c, backend, other)) {
                assertTrue(message.contains(fragment), c.name() + ": message lacks '" + fragment + "': " + message);
            }
            // Nothing half-written: the fixture's output still holds the sentinel.
            assertArrayEquals(sentinel, out.download().data(), c.name() + ": output tensor was written");
            // The backend still works, including the very prepared conv and tensors the case was handed.
            conv.forward(in, out);
            Tensor expected = Reference.conv2d(INPUT, SPEC, WEIGHTS, EPILOGUE);
            TensorAssert.assertClose(expected, out.download(), SPEC.reductionLength(), c.name() + " then a valid forward");
            TensorAssert.assertClose(expected, backend.conv2d(INPUT, SPEC, WEIGHTS, EPILOGUE), SPEC.reductionLength(),
                    c.name() + " then a valid one-shot conv");
        }
    }

    /** The message fragments, with "opencl"/"cpu" kept only when both kinds really take part. */
    private static List<String> expectedFragments(Case c, Backend backend, Backend other) {
        boolean mixedKinds = backend.device().backend() != other.device().backend();
        List<String> out = new ArrayList<>();
        for (String f : c.fragments()) {
            if ((f.equals("opencl") || f.equals("cpu")) && !mixedKinds) continue;
            out.add(f);
        }
        return out;
    }

    @AfterAll
    static void closeOpened() {
        synchronized (OPENED) {
            OPENED.forEach(Backend::close);
        }
    }
}
