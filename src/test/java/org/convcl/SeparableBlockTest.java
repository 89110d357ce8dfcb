package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The depthwise-separable block on every backend, fused and unfused, against the reference composition
 * (depthwise conv + unfolded batch-norm + activation, then pointwise conv + unfolded batch-norm + activation).
 */
class SeparableBlockTest {

    /** One block case: the block (batch-norm attached), its weights and an input. */
    record Case(String name, SeparableBlock block, float[] dw, float[] pw, Tensor input) {
        @Override
        public String toString() { return name; }
    }

    static float[] random(SplittableRandom r, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return a;
    }

    static Epilogue.BatchNorm randomNorm(SplittableRandom r, int channels) {
        return new Epilogue.BatchNorm(random(r, channels, -0.5, 0.5), random(r, channels, 0.2, 2.0),
                random(r, channels, 0.5, 1.5), random(r, channels, -0.3, 0.3), 1e-5f);
    }

    /** A case with random batch-norm on both steps, weights in [-1, 1] and an input in [-1, 1]. */
    static Case makeCase(String name, SeparableBlock structure, int n, int h, int w, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SeparableBlock block = structure.withBatchNorm(randomNorm(r, structure.midChannels()),
                randomNorm(r, structure.outChannels()));
        float[] dw = random(r, block.depthwise().weightCount(), -1, 1);
        float[] pw = random(r, block.pointwise().weightCount(), -1, 1);
        Tensor in = Tensor.of(random(r, n * block.inChannels() * h * w, -1, 1), n, block.inChannels(), h, w);
        return new Case(name + " " + block + " in=" + in.shape() + " seed=" + seed, block, dw, pw, in);
    }

    /** The reference: two naive convolutions with batch-norm applied after each, unfolded. */
    static Tensor reference(Case c) {
        Tensor mid = Reference.conv2d(c.input, c.block.depthwise(), c.dw, c.block.depthwiseEpilogue());
        return Reference.conv2d(mid, c.block.pointwise(), c.pw, c.block.pointwiseEpilogue());
    }

    /** Tolerance: the pointwise reduction over γC channels of values that passed a 9-tap depthwise sum. */
    static int reduction(SeparableBlock b) {
        return b.midChannels() * b.depthwise().kernelH() * b.depthwise().kernelW();
    }

    static List<Case> cases() {
        return List.of(
                makeCase("mobilenet", SeparableBlock.mobilenet(8, 16, 1), 1, 9, 9, 1),
                makeCase("mobilenet stride 2, odd size, batch 2", SeparableBlock.mobilenet(6, 10, 2), 2, 13, 11, 2),
                // 70 output channels: two channel groups of 64 on OpenCL, the second mostly padding;
                // 40 intermediate channels: a 32-channel chunk and a tail; 35 pixels: two 32-pixel tiles.
                makeCase("channel and pixel tails", SeparableBlock.mobilenet(40, 70, 1), 1, 5, 7, 3),
                makeCase("γ 2, ReLU6, dilation 2, asymmetric padding, 5x3", SeparableBlock.builder(5, 9)
                        .depthMultiplier(2).kernel(5, 3).dilation(2, 1).padding(3, 0, 1, 2)
                        .depthwiseEpilogue(Epilogue.activation(Activation.RELU6))
                        .pointwiseEpilogue(Epilogue.activation(Activation.NONE)).build(), 1, 12, 10, 4),
                makeCase("distributed γ 4", SeparableBlock.distributed(3, 4, 3), 2, 8, 8, 5),
                // Rows wide enough for whole-vector tap loads (interior and edge segments), stride 1 and 2, with tails.
                makeCase("wide rows stride 1, 45 wide", SeparableBlock.mobilenet(3, 5, 1), 1, 3, 45, 6),
                makeCase("wide rows stride 2, 62 wide", SeparableBlock.mobilenet(3, 5, 2), 2, 4, 62, 7),
                makeCase("wide rows stride 1, 21 wide", SeparableBlock.mobilenet(3, 5, 1), 1, 3, 21, 8),
                makeCase("wide rows stride 2, 75 wide", SeparableBlock.mobilenet(3, 5, 2), 1, 4, 75, 10),
                // Fused tile edges: 13 intermediate channels (a K tail after one 8-step), 11 outputs (a partial
                // 8-channel item), 6 x 37 = 222 pixels: 14 segments of 16 (the last shifted back), most crossing a
                // row's end, in one work-group of 16 (two items idle).
                makeCase("fused tile edges: K tail, channel tail, pixel tail", SeparableBlock.mobilenet(13, 11, 1), 1, 6, 37, 11),
                // Stride 2 (64 wide -> 32), γ 2 (14 intermediate channels), batch 2.
                makeCase("fused stride 2, γ 2", SeparableBlock.builder(7, 12).depthMultiplier(2).stride(2)
                        .padding(1).build(), 2, 5, 64, 12),
                // 300 intermediate channels: a 19 KiB tile per segment, 6 segments per work-group; 20 outputs.
                makeCase("fused wide tile, few segments", SeparableBlock.mobilenet(300, 20, 1), 1, 3, 20, 13),
                // Rows narrower than a segment (5 wide: segments over 4 rows) and a 1x1 output (a masked store).
                makeCase("fused narrow rows", SeparableBlock.mobilenet(9, 17, 1), 2, 4, 5, 14),
                makeCase("fused 1x1 output", SeparableBlock.mobilenet(9, 17, 2), 1, 2, 2, 15));
    }

    @TestFactory
    Stream<DynamicTest> matchesReference() {
        List<Case> cases = cases();
        List<Tensor> expected = cases.stream().map(SeparableBlockTest::reference).toList();
        List<Integer> index = java.util.stream.IntStream.range(0, cases.size()).boxed().toList();
        return Stream.of(BlockMode.FUSED, BlockMode.UNFUSED).flatMap(mode -> PerBackend.tests(index,
                i -> mode + " " + cases.get(i).name, (backend, i) -> {
                    Case c = cases.get(i);
                    try (PreparedBlock b = backend.prepareBlock(c.block, c.dw, c.pw, mode)) {
                        assertEquals(mode, b.mode(), b.plan());
                        TensorAssert.assertClose(expected.get(i), b.forward(c.input), reduction(c.block),
                                mode + " " + c.name + " on " + backend.device().id() + ": " + b.plan());
                    }
                }));
    }

    /**
     * The fused kernel's strips on images big enough for several strips per work-item (on a 2-unit device: at least
     * 16 strips in the batch), so each item prefetches and reuses its tile: strips of whole rows, strips that end
     * mid-row, a tail strip shorter than one vector (shifted back), odd widths, stride 2, γ 2 and an output big enough
     * to be streamed past the cache ({@code DsBlockDescriptor.STREAM_OUTPUT_BYTES}). Fused only: the
     * unfused path of the same steps is covered above.
     */
    @TestFactory
    Stream<DynamicTest> fusedStripsAcrossRowsAndWorkItems() {
        List<Case> cases = List.of(
                // 56 wide: strips of 4 whole rows (224 pixels), 10 per image, 2 per work-item.
                makeCase("strips of whole rows", SeparableBlock.mobilenet(4, 6, 1), 2, 40, 56, 31),
                // 300 wide: 256-pixel strips ending mid-row; 6 x 300 = 1800 = 7 x 256 + 8: the 8-pixel tail is
                // shifted back to a whole vector.
                makeCase("strips across rows, short tail", SeparableBlock.mobilenet(3, 5, 1), 2, 6, 300, 32),
                // stride 2, 601 wide -> 301 (odd): strips of 256 crossing rows, taps from every other input column.
                makeCase("stride 2, odd width", SeparableBlock.mobilenet(3, 5, 2), 2, 13, 601, 33),
                // γ 2 (6 intermediate channels), 37 wide (odd): strips of 6 rows (222 pixels, last vector shifted back).
                makeCase("γ 2, odd width", SeparableBlock.builder(3, 7).depthMultiplier(2).padding(1).build(), 2, 50, 37, 34),
                // a 16 MiB output (64 x 256 x 256 floats): written with non-temporal stores on CPU devices.
                makeCase("streamed output", SeparableBlock.mobilenet(4, 64, 1), 1, 256, 256, 35),
                // The depthwise step's row groups (DsBlockDescriptor.DW_ROWS output rows loading each input row once) with
                // vertical stride 2 and dilation 2, where input rows feed several kernel rows of different output
                // rows (one program for both): 5x3 kernel, 43 x 40 -> 20 x 40 at batch 2 (strips of 5 rows: a group
                // of 4, then 1) and 51 x 40 -> 24 x 40 at batch 1 (strips of 3 rows: a group of 3).
                makeCase("row groups, vertical stride 2, dilation 2", SeparableBlock.builder(3, 5).kernel(5, 3).stride(2, 1)
                        .dilation(2, 1).padding(2, 1, 2, 1).build(), 2, 43, 40, 36),
                makeCase("row groups, vertical stride 2, dilation 2, 3-row strips", SeparableBlock.builder(3, 5).kernel(5, 3)
                        .stride(2, 1).dilation(2, 1).padding(2, 1, 2, 1).build(), 1, 51, 40, 37));
        return PerBackend.tests(cases, c -> "FUSED " + c.name, (backend, c) -> {
            try (PreparedBlock b = backend.prepareBlock(c.block, c.dw, c.pw, BlockMode.FUSED)) {
                TensorAssert.assertClose(reference(c), b.forward(c.input), reduction(c.block), c.name + ": " + b.plan());
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> deviceTensorsChainInBothModes() {
        Case c = makeCase("chained", SeparableBlock.mobilenet(8, 16, 1), 1, 9, 9, 1);
        Tensor expected = reference(c);
        return Stream.of(BlockMode.AUTO, BlockMode.FUSED).flatMap(mode -> PerBackend.tests(List.of(c),
                cc -> mode + " " + cc.name, (backend, cc) -> {
            try (PreparedBlock b = backend.prepareBlock(c.block, c.dw, c.pw, mode);
                 DeviceTensor in = backend.upload(c.input);
                 DeviceTensor out = backend.allocate(b.outputShape(c.input.shape()))) {
                if (mode == BlockMode.FUSED) assertEquals(BlockMode.FUSED, b.mode(), b.plan());
                assertTrue(b.plan().startsWith(b.mode() == BlockMode.FUSED ? "fused (" : "unfused ("), b.plan());
                assertEquals(c.block.standardEquivalent(), b.spec());
                long nanos = b.forwardTimed(in, out);
                assertTrue(nanos > 0, "device time " + nanos);
                TensorAssert.assertClose(expected, out.download(), reduction(c.block), b.plan());
                b.forward(in, out); // the second run reuses everything and gives the same answer
                TensorAssert.assertClose(expected, out.download(), reduction(c.block), b.plan());
            }
        }));
    }

    /**
     * Infinite depthwise weights on the taps that reach the top-left and bottom-right padding: the padded taps are
     * skipped, so the pixels at the image's edges stay finite after ReLU6 (Inf times a padded zero would be NaN).
     */
    @TestFactory
    Stream<DynamicTest> infiniteWeightsNextToPaddingStayFinite() {
        List<Case> cases = List.of(
                makeCase("inf, wide rows", SeparableBlock.builder(4, 6).padding(1)
                        .depthwiseEpilogue(Epilogue.activation(Activation.RELU6)).build(), 1, 5, 40, 21),
                makeCase("inf, stride 2", SeparableBlock.builder(4, 6).stride(2).padding(1)
                        .depthwiseEpilogue(Epilogue.activation(Activation.RELU6)).build(), 1, 6, 70, 22),
                makeCase("inf, narrow rows", SeparableBlock.builder(4, 6).padding(1)
                        .depthwiseEpilogue(Epilogue.activation(Activation.RELU6)).build(), 1, 4, 6, 23));
        for (Case c : cases) {
            c.dw[0] = Float.POSITIVE_INFINITY; // channel 0, tap (0, 0): top-left padding
            c.dw[9 + 8] = Float.NEGATIVE_INFINITY; // channel 1, tap (2, 2): bottom-right padding
        }
        return Stream.of(BlockMode.FUSED, BlockMode.UNFUSED).flatMap(mode -> PerBackend.tests(cases,
                c -> mode + " " + c.name, (backend, c) -> {
                    Tensor expected = reference(c);
                    for (float v : expected.data()) assertTrue(Float.isFinite(v), "the reference is finite: " + c.name);
                    try (PreparedBlock b = backend.prepareBlock(c.block, c.dw, c.pw, mode)) {
                        TensorAssert.assertClose(expected, b.forward(c.input), reduction(c.block), mode + " " + c.name);
                    }
                }));
    }

    @Test
    void foldedBatchNormEqualsUnfolded() {
        SplittableRandom r = new SplittableRandom(11);
        ConvSpec spec = ConvSpec.depthwise(4, 2, 3).padding(1).build();
        Epilogue unfolded = Epilogue.builder().bias(random(r, 8, -1, 1)).batchNorm(randomNorm(r, 8))
                .activation(Activation.RELU6).build();
        float[] w = random(r, spec.weightCount(), -1, 1);
        Tensor in = Tensor.of(random(r, 2 * 4 * 6 * 5, -1, 1), 2, 4, 6, 5);
        Epilogue.Folded f = unfolded.fold(spec, w);
        Epilogue folded = Epilogue.builder().bias(f.bias()).activation(f.activation()).build();
        TensorAssert.assertClose(Reference.conv2d(in, spec, w, unfolded), Reference.conv2d(in, spec, f.weights(), folded),
                spec.reductionLength(), "folded vs unfolded batch-norm");
    }

    @Test
    void factoriesAndShapes() {
        SeparableBlock m = SeparableBlock.mobilenet(32, 64, 2);
        assertEquals(ConvSpec.depthwise(32, 1, 3).stride(2).padding(1).build(), m.depthwise());
        assertEquals(ConvSpec.pointwise(32, 64), m.pointwise());
        assertEquals(ConvSpec.full(32, 64, 3).stride(2).padding(1).build(), m.standardEquivalent());
        assertEquals(new Shape(1, 64, 56, 56), m.outputShape(new Shape(1, 32, 112, 112)));
        assertEquals(new Shape(1, 32, 56, 56), m.midShape(new Shape(1, 32, 112, 112)));

        SeparableBlock d = SeparableBlock.distributed(16, 9, 3);
        assertEquals(3, d.depthMultiplier());
        assertEquals(48, d.midChannels());
        assertEquals(144, d.outChannels());
        assertEquals(ConvSpec.pointwise(48, 144), d.pointwise());
        assertEquals(SeparableBlock.mobilenet(8, 8, 1).toString(), SeparableBlock.mobilenet(8, 8, 1).toBuilder().build().toString());
    }

    @Test
    void invalidBlocksNameTheField() {
        assertEquals("gamma must be a perfect square for the distributed form (√γ at each step), got 2",
                assertThrows(IllegalArgumentException.class, () -> SeparableBlock.distributed(4, 2, 3)).getMessage());
        assertEquals("gamma must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> SeparableBlock.distributed(4, 0, 3)).getMessage());
        assertEquals("depthMultiplier must be positive, got -1", assertThrows(IllegalArgumentException.class,
                () -> SeparableBlock.builder(4, 8).depthMultiplier(-1).build()).getMessage());
        assertEquals("inChannels must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> SeparableBlock.mobilenet(0, 8, 1)).getMessage());
        assertEquals("outChannels must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> SeparableBlock.mobilenet(4, 0, 1)).getMessage());
        assertEquals("strideH must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> SeparableBlock.mobilenet(4, 8, 0)).getMessage());
        SplittableRandom r = new SplittableRandom(1);
        assertEquals("pointwise batchNorm length 3 does not match its 8 output channels", assertThrows(
                IllegalArgumentException.class,
                () -> SeparableBlock.mobilenet(4, 8, 1).withBatchNorm(randomNorm(r, 4), randomNorm(r, 3))).getMessage());
        assertEquals("depthwise bias length 5 does not match its 8 output channels", assertThrows(
                IllegalArgumentException.class, () -> SeparableBlock.builder(4, 8).depthMultiplier(2)
                        .depthwiseEpilogue(Epilogue.bias(new float[5])).build()).getMessage());
    }

    @TestFactory
    Stream<DynamicTest> badWeightsAreRejected() {
        SeparableBlock b = SeparableBlock.mobilenet(4, 8, 1);
        return PerBackend.tests(List.of(BlockMode.FUSED, BlockMode.UNFUSED), BlockMode::name, (backend, mode) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.prepareBlock(b, new float[35], new float[32], mode));
            assertTrue(e.getMessage().startsWith("weights length 35 does not match spec 4x1x3x3 = 36"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> backend.prepareBlock(b, new float[36], new float[31], mode));
            assertTrue(e.getMessage().startsWith("weights length 31"), e.getMessage());
        });
    }

    /** A backend with only the interface's default block path (delegates everything else to the CPU backend). */
    private static Backend plainBackend() {
        Backend cpu = TestBackends.cpu();
        return new Backend() {
            @Override public DeviceInfo device() { return cpu.device(); }
            @Override public DeviceTensor allocate(Shape shape) { return cpu.allocate(shape); }
            @Override public DeviceTensor upload(Tensor tensor) { return cpu.upload(tensor); }
            @Override public Tensor download(DeviceTensor tensor) { return cpu.download(tensor); }
            @Override public PreparedConv prepare(ConvSpec spec, float[] w, Epilogue e) { return cpu.prepare(spec, w, e); }
            @Override public void finish() { cpu.finish(); }
            @Override public void close() {}
        };
    }

    @Test
    void defaultBlockPathIsUnfused() {
        Case c = makeCase("default path", SeparableBlock.mobilenet(3, 5, 2), 1, 7, 6, 9);
        Backend plain = plainBackend();
        try (PreparedBlock b = plain.prepareBlock(c.block, c.dw, c.pw, BlockMode.AUTO)) {
            assertEquals(BlockMode.UNFUSED, b.mode());
            assertTrue(b.plan().startsWith("unfused (no fused block path on this backend): ["), b.plan());
            TensorAssert.assertClose(reference(c), b.forward(c.input), reduction(c.block), b.plan());
        }
        assertEquals("mode FUSED requested but the backend on " + plain.device().describe() + " has no fused block path",
                assertThrows(IllegalArgumentException.class, () -> plain.prepareBlock(c.block, c.dw, c.pw, BlockMode.FUSED))
                        .getMessage());
    }

    @TestFactory
    Stream<DynamicTest> oneBlockSharedByThreads() {
        List<Case> inputs = java.util.stream.IntStream.range(0, 4)
                .mapToObj(t -> makeCase("thread " + t, SeparableBlock.mobilenet(6, 10, 1), 1, 7, 20 + t, 100)).toList();
        List<Tensor> expected = inputs.stream().map(SeparableBlockTest::reference).toList();
        Case first = inputs.get(0); // same seed: same block, batch-norm and weights; the inputs differ in width
        return Stream.of(BlockMode.FUSED, BlockMode.UNFUSED).flatMap(mode -> PerBackend.tests(List.of(mode),
                m -> m + " shared by 4 threads", (backend, m) -> {
                    try (PreparedBlock b = backend.prepareBlock(first.block, first.dw, first.pw, m)) {
                        List<java.util.concurrent.CompletableFuture<Void>> runs = new java.util.ArrayList<>();
                        for (int t = 0; t < inputs.size(); t++) {
                            int k = t;
                            runs.add(java.util.concurrent.CompletableFuture.runAsync(() -> {
                                for (int r = 0; r < 5; r++) {
                                    try (DeviceTensor in = backend.upload(inputs.get(k).input);
                                         DeviceTensor out = b.forward(in)) {
                                        TensorAssert.assertClose(expected.get(k), out.download(), reduction(first.block),
                                                m + " thread " + k + " run " + r + ": " + b.plan());
                                    }
                                }
                            }));
                        }
                        for (var f : runs) f.join();
                    }
                }));
    }
}
