package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.convcl.cpu.CpuTestAccess;
import org.convcl.cpu.CpuTestAccess.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The Java CPU backend's kernels forced onto each SIMD path (the Vector API and the auto-vectorized loops),
 * each checked against the naive reference on the parity sweep, the PyTorch golden cases and shapes placed on
 * the kernels' own tile and task boundaries.
 *
 * <p>The main test JVM runs with {@code --add-modules jdk.incubator.vector} and checks both paths. A second
 * surefire execution runs this class without the flag and with {@code -Dconvcl.test.simd=auto-vectorized}: there
 * the Vector API must be absent and the backend must take the auto-vectorized path on its own.
 */
class CpuKernelPathsTest {
    private static final boolean FLAGLESS_JVM = "auto-vectorized".equals(System.getProperty("convcl.test.simd"));
    private static final List<Backend> OPENED = new ArrayList<>();

    private static synchronized List<Backend> backends() {
        if (OPENED.isEmpty()) {
            OPENED.add(CpuTestAccess.open(Path.AUTO_VECTORIZED));
            if (!FLAGLESS_JVM) OPENED.add(CpuTestAccess.open(Path.VECTOR_API));
        }
        return OPENED;
    }

    @AfterAll
    static synchronized void closeBackends() {
        OPENED.forEach(Backend::close);
        OPENED.clear();
    }

    @Test
    void theProbePicksThePathThisJvmAllows() {
        String described = TestBackends.cpu().device().describe();
        if (FLAGLESS_JVM) {
            assertFalse(CpuTestAccess.vectorApiAvailable(), "this JVM was meant to run without jdk.incubator.vector");
            assertFalse(CpuTestAccess.preferredIsVectorApi());
            assertTrue(described.contains("auto-vectorized loops"), described);
        } else {
            assertTrue(CpuTestAccess.vectorApiAvailable(),
                    "the test JVM should run with --add-modules jdk.incubator.vector (surefire argLine)");
            assertTrue(CpuTestAccess.preferredIsVectorApi());
            assertTrue(described.contains("Vector API"), described);
        }
        for (Backend b : backends()) {
            try (PreparedConv pw = b.prepare(ConvSpec.pointwise(4, 4), new float[16], Epilogue.none());
                 PreparedConv dw = b.prepare(ConvSpec.depthwise(4, 1, 3).padding(1).build(), new float[36], Epilogue.none())) {
                String path = b.device().platformName().substring("Java, ".length());
                assertTrue(pw.plan().contains("(" + path + ")"), pw.plan());
                assertTrue(dw.plan().contains("(" + path + ")"), dw.plan());
            }
        }
        assertEquals(FLAGLESS_JVM ? 1 : 2, backends().stream().map(b -> b.device().platformName()).distinct().count());
    }

    @TestFactory
    Stream<DynamicTest> paritySweep() {
        List<ParitySweepTest.Case> cases = new ArrayList<>(ParitySweepTest.fastCases());
        cases.addAll(boundaryCases());
        return backends().stream().flatMap(b -> cases.stream().map(c -> DynamicTest.dynamicTest(
                b.device().platformName() + " " + c.name(), () -> ParitySweepTest.check(b, c))));
    }

    @TestFactory
    Stream<DynamicTest> goldenCases() {
        return backends().stream().flatMap(b -> GoldenTest.cases().stream().map(c -> DynamicTest.dynamicTest(
                b.device().platformName() + " " + c.name(), () -> {
                    Tensor actual = b.conv2d(c.input(), c.spec(), c.weights(), c.epilogue());
                    TensorAssert.assertClose(c.expected(), actual, c.spec().reductionLength(),
                            "golden " + c.name() + " " + c.spec() + " on " + b.device().describe());
                })));
    }

    /**
     * The fused block on each path, against the two reference convolutions: SeparableBlockTest's cases, bands that
     * hold fewer pixels than a tile, bands cut short by the buffer (many intermediate channels on wide rows) and by
     * the image, γ 2 with stride 2, and infinite depthwise weights next to padding (the direct depthwise band).
     */
    @TestFactory
    Stream<DynamicTest> fusedBlocks() {
        List<SeparableBlockTest.Case> cases = new ArrayList<>(SeparableBlockTest.cases());
        cases.add(SeparableBlockTest.makeCase("band buffer of 600 channels x 130 columns", SeparableBlock.mobilenet(600, 9, 1),
                1, 5, 130, 31));
        cases.add(SeparableBlockTest.makeCase("γ 2 stride 2, 3 images of 23 rows", SeparableBlock.builder(7, 12)
                .depthMultiplier(2).stride(2).padding(1).build(), 3, 23, 41, 32));
        cases.add(SeparableBlockTest.makeCase("stride 2 on rows read in place", SeparableBlock.builder(5, 8).stride(2)
                .padding(1).build(), 2, 9, 70, 35));
        cases.add(SeparableBlockTest.makeCase("narrow 1-row bands", SeparableBlock.mobilenet(16, 33, 1), 2, 9, 3, 33));
        SeparableBlockTest.Case inf = SeparableBlockTest.makeCase("infinite weight next to padding",
                SeparableBlock.builder(4, 10).padding(1).depthwiseEpilogue(Epilogue.activation(Activation.RELU6)).build(),
                2, 11, 37, 34);
        inf.dw()[0] = Float.POSITIVE_INFINITY;
        cases.add(inf);
        return backends().stream().flatMap(b -> cases.stream().map(c -> DynamicTest.dynamicTest(
                b.device().platformName() + " fused " + c.name(), () -> {
                    try (PreparedBlock block = b.prepareBlock(c.block(), c.dw(), c.pw(), BlockMode.FUSED)) {
                        assertEquals(BlockMode.FUSED, block.mode());
                        TensorAssert.assertClose(SeparableBlockTest.reference(c), block.forward(c.input()),
                                SeparableBlockTest.reduction(c.block()), block.plan());
                    }
                })));
    }

    /**
     * Shapes on the kernels' boundaries: output channels around the 4- and 8-row weight panels, pixel counts around
     * the 32- and 256-column panels and spanning images at batch > 1, a reduction longer than a packed block holds,
     * depthwise rows around four 16-lane vectors, row bands (few channels, tall images), stride 2 with dilation and
     * asymmetric padding (rows wide enough for the SIMD phase split and too narrow for it), the row GEMM's tiles and
     * flat bands, the strip order of short pointwise reductions.
     */
    static List<ParitySweepTest.Case> boundaryCases() {
        List<ParitySweepTest.Case> cases = new ArrayList<>();
        ParitySweepTest.Ep[] eps = ParitySweepTest.Ep.values();
        long seed = 20261207L;
        Object[][] specs = {
            {ConvSpec.pointwise(24, 9), 3, 7, 7},
            {ConvSpec.pointwise(16, 17), 2, 5, 13},
            {ConvSpec.pointwise(64, 33), 1, 16, 17},
            {ConvSpec.pointwise(2100, 5), 2, 3, 4},
            {ConvSpec.pointwise(8, 8), 1, 23, 23},
            {ConvSpec.full(3, 32, 3).stride(2).padding(1).build(), 2, 23, 21},
            {ConvSpec.full(16, 12, 3).padding(0, 2, 1, 0).dilation(1, 2).build(), 3, 9, 11},
            {ConvSpec.full(12, 18, 1).groups(3).build(), 2, 11, 3},
            {ConvSpec.full(6, 6, 3).groups(3).stride(2, 1).padding(2, 0, 0, 1).build(), 1, 12, 70},
            {ConvSpec.depthwise(3, 1, 3).padding(1).build(), 2, 5, 63},
            {ConvSpec.depthwise(3, 1, 3).padding(1).build(), 1, 4, 65},
            {ConvSpec.depthwise(2, 3, 3).stride(2).dilation(2).padding(1, 0, 2, 3).build(), 1, 41, 70},
            {ConvSpec.depthwise(5, 2, 5).stride(2, 1).padding(2, 3, 1, 0).build(), 3, 17, 129},
            {ConvSpec.depthwise(8, 1, 3).stride(2).padding(0, 1, 1, 0).build(), 2, 14, 14},
            {ConvSpec.builder(4, 4, 1, 7).groups(4).padding(0, 3).build(), 1, 6, 33},
            // the row GEMM (Cin·KH·KW <= 64): several 32-column tiles per row and a partial one, a partial 8-row
            // weight panel, bands across images, dilation and asymmetric padding, 1×1 stride 2, two 256-column tiles
            {ConvSpec.full(3, 32, 3).stride(2).padding(1).build(), 3, 9, 141},
            {ConvSpec.full(5, 12, 3).stride(2, 1).dilation(2, 1).padding(1, 0, 2, 3).build(), 2, 13, 37},
            {ConvSpec.full(16, 8, 1).stride(2).build(), 1, 6, 40},
            {ConvSpec.full(2, 9, 3).padding(1).build(), 1, 3, 300},
            // the row GEMM's flat bands (width a multiple of half a tile: 16 on the Vector API path, 128 on the
            // loops): three half-tiles per row, so tiles pair the end of a row with the start of the next and bands
            // of an odd count end on a half tile; 384 columns run flat on both paths, in bands of several rows
            {ConvSpec.full(3, 20, 3).stride(2).padding(1).build(), 2, 13, 96},
            {ConvSpec.full(2, 9, 3).padding(1).build(), 2, 18, 384},
            // the strip order of short in-place pointwise reductions, with a partial weight panel: two strips per
            // task and an image ending inside one; 15 images of 45 pixels, so a strip holds several packed panels
            {ConvSpec.pointwise(32, 20), 2, 60, 75},
            {ConvSpec.pointwise(24, 20), 15, 5, 9},
        };
        for (int i = 0; i < specs.length; i++) {
            cases.add(new ParitySweepTest.Case((ConvSpec) specs[i][0], (int) specs[i][1], (int) specs[i][2],
                    (int) specs[i][3], eps[i % eps.length], i % 5 == 3, seed + i));
        }
        // the flat-plane depthwise kernel (stride 1, output the size of the input): planes copied whole (7×7, 14×14),
        // read in place between framed ends (20×20, 40×37), split into parts across workers (two planes), 1-row
        // and 1×1 planes, dilation, asymmetric padding (left-shifted columns: the general loop), 5×5 and γ 2; the
        // last flag puts NaN and ±Inf in the input, which the lanes a column drops must not spread
        Object[][] flat = {
            {ConvSpec.depthwise(3, 1, 3).padding(1).build(), 2, 7, 7, true},
            {ConvSpec.depthwise(6, 1, 3).padding(1).build(), 2, 14, 14, true},
            {ConvSpec.depthwise(5, 1, 3).padding(1).build(), 1, 20, 20, false},
            {ConvSpec.depthwise(2, 2, 3).padding(1).build(), 1, 40, 37, true},
            {ConvSpec.depthwise(4, 1, 3).padding(1).build(), 1, 1, 40, false},
            {ConvSpec.depthwise(3, 1, 3).padding(1).build(), 2, 1, 1, false},
            {ConvSpec.depthwise(3, 1, 3).dilation(2).padding(2).build(), 2, 9, 30, true},
            {ConvSpec.depthwise(3, 1, 3).padding(0, 2, 2, 0).build(), 1, 11, 19, true},
            {ConvSpec.depthwise(4, 1, 5).padding(2).build(), 1, 13, 33, false},
            {ConvSpec.builder(4, 4, 1, 3).groups(4).padding(0, 1).build(), 3, 6, 17, true},
            // stride 2 on output rows of at most half a vector: the planes split into their phases (odd and even
            // sizes, whole-vector and exact row splits, a 5×5 reaching a phase row down); wider rows (dilation, γ 2)
            // and a size whose taps pass the phases' pitch take the row kernel
            {ConvSpec.depthwise(4, 1, 3).stride(2).padding(1).build(), 2, 14, 14, true},
            {ConvSpec.depthwise(3, 1, 3).stride(2).padding(1).build(), 1, 7, 9, true},
            {ConvSpec.depthwise(2, 2, 3).stride(2).padding(1).build(), 1, 21, 70, false},
            {ConvSpec.depthwise(3, 1, 5).stride(2).padding(2, 1, 3, 2).build(), 2, 15, 12, true},
            {ConvSpec.depthwise(3, 1, 3).stride(2).dilation(2).padding(2).build(), 1, 17, 20, false},
            {ConvSpec.depthwise(3, 1, 3).stride(2).padding(1, 0, 1, 0).build(), 2, 10, 14, true},
        };
        // stride 2 read in place (rows of two vectors or more): even and odd widths (the right tap dropped at the
        // last output), the first and last planes of the tensor (their vectors would leave the array: copied rows),
        // bands of a tall single plane, dilation, asymmetric padding, a 5×5 with copied rows at both ends, γ 2
        Object[][] inPlace = {
            {ConvSpec.depthwise(3, 1, 3).stride(2).padding(1).build(), 2, 9, 70, true},
            {ConvSpec.depthwise(2, 1, 3).stride(2).padding(1).build(), 1, 8, 67, false},
            {ConvSpec.depthwise(1, 1, 3).stride(2).padding(1).build(), 1, 61, 66, true},
            {ConvSpec.depthwise(2, 1, 3).stride(2).dilation(2).padding(2).build(), 2, 11, 71, false},
            {ConvSpec.depthwise(3, 2, 3).stride(2).padding(0, 1, 2, 0).build(), 1, 10, 69, true},
            {ConvSpec.depthwise(2, 1, 5).stride(2).padding(2).build(), 2, 12, 72, false},
        };
        for (int i = 0; i < inPlace.length; i++) {
            cases.add(new ParitySweepTest.Case((ConvSpec) inPlace[i][0], (int) inPlace[i][1], (int) inPlace[i][2],
                    (int) inPlace[i][3], eps[(i + 2) % eps.length], (boolean) inPlace[i][4], seed + 200 + i));
        }
        for (int i = 0; i < flat.length; i++) {
            cases.add(new ParitySweepTest.Case((ConvSpec) flat[i][0], (int) flat[i][1], (int) flat[i][2],
                    (int) flat[i][3], eps[(i + 1) % eps.length], (boolean) flat[i][4], seed + 100 + i));
        }
        return cases;
    }
}
