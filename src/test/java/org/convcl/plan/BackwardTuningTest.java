package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.junit.jupiter.api.Test;

/** The backward kernels' tuning without a device: names, candidates, shape classes, table entries and plan reasons. */
class BackwardTuningTest {
    private static final String POCL = DeviceFacts.deviceKey("pthread-skylake-avx512", "3.1+debian");
    private static final DeviceFacts CPU = new DeviceFacts("CPU", 2, 4096, new long[] {4096, 4096, 4096}, 1 << 20, POCL);
    private static final ConvSpec STRIDED = ConvSpec.full(16, 24, 3).stride(2).padding(1).build();
    private static final Shape STRIDED_IN = new Shape(2, 16, 12, 12);
    /** Large planes next to a window: the direct filter kernel's layers. */
    private static final ConvSpec WIDE = ConvSpec.full(16, 24, 3).stride(2).padding(1).build();
    private static final Shape WIDE_IN = new Shape(2, 16, 64, 64);

    /** A spec each backward kernel runs, and an input it takes. */
    private static final Map<BackwardAlgorithm, Object[]> RUNS = Map.ofEntries(
            Map.entry(BackwardAlgorithm.BACKWARD_DATA, new Object[] {STRIDED, STRIDED_IN}),
            Map.entry(BackwardAlgorithm.BACKWARD_DATA_DEPTHWISE_STRIDED, new Object[] {ConvSpec.depthwise(8, 1, 3).stride(2).padding(1).build(), new Shape(1, 8, 9, 9)}),
            Map.entry(BackwardAlgorithm.BACKWARD_DATA_DEPTHWISE, new Object[] {ConvSpec.depthwise(8, 1, 3).stride(2, 1).padding(1).build(), new Shape(1, 8, 9, 9)}),
            Map.entry(BackwardAlgorithm.BACKWARD_FILTER, new Object[] {WIDE, WIDE_IN}),
            Map.entry(BackwardAlgorithm.BACKWARD_FILTER_UNFOLD_GEMM, new Object[] {STRIDED, STRIDED_IN}),
            Map.entry(BackwardAlgorithm.BACKWARD_FILTER_DEPTHWISE, new Object[] {ConvSpec.depthwise(8, 1, 3).padding(1).build(), new Shape(1, 8, 20, 20)}),
            Map.entry(BackwardAlgorithm.BACKWARD_FILTER_DEPTHWISE_FLAT, new Object[] {ConvSpec.depthwise(8, 1, 3).padding(1).build(), new Shape(1, 8, 9, 9)}),
            Map.entry(BackwardAlgorithm.BACKWARD_FILTER_POINTWISE, new Object[] {ConvSpec.pointwise(16, 8), new Shape(4, 16, 1, 1)}),
            Map.entry(BackwardAlgorithm.BACKWARD_FILTER_POINTWISE_GEMM, new Object[] {ConvSpec.pointwise(16, 8), new Shape(1, 16, 7, 7)}),
            Map.entry(BackwardAlgorithm.BACKWARD_FILTER_POINTWISE_GEMM_GPU, new Object[] {ConvSpec.pointwise(16, 8), new Shape(1, 16, 7, 7)}),
            Map.entry(BackwardAlgorithm.BACKWARD_FILTER_UNFOLD_GEMM_GPU, new Object[] {WIDE, WIDE_IN}),
            Map.entry(BackwardAlgorithm.BACKWARD_FILTER_DEPTHWISE_GPU, new Object[] {ConvSpec.depthwise(8, 2, 3).padding(1).build(), new Shape(1, 8, 9, 9)}),
            Map.entry(BackwardAlgorithm.BACKWARD_DATA_GPU, new Object[] {STRIDED, STRIDED_IN}));
    private static final DeviceFacts GPU = new DeviceFacts("GPU", "ACME", KernelFamily.GPU, 8, 1024, new long[] {1024, 1024, 64}, 48 * 1024,
            DeviceFacts.deviceKey("acme-1", "1"));

    @Test
    void everyBackwardKernelIsNamedTunableAndHasValidCandidatesAroundItsDefaults() {
        assertEquals(BackwardAlgorithm.values().length, RUNS.size());
        for (BackwardAlgorithm b : BackwardAlgorithm.values()) {
            ConvSpec spec = (ConvSpec) RUNS.get(b)[0];
            Shape input = (Shape) RUNS.get(b)[1];
            BackwardDescriptor d = b.descriptor();
            assertEquals(b, BackwardAlgorithm.of(d).orElseThrow());
            assertTrue(ShapeClass.tunable(b), b.toString());
            SortedMap<String, Integer> defaults = Tunables.defaults(b, spec);
            assertEquals(List.copyOf(defaults.keySet()), Tunables.names(b), b + ": parameter names do not depend on the spec");
            Tunables.validate(b, defaults);
            assertEquals(b, TunedKernel.named(b.name()));
            List<SortedMap<String, Integer>> candidates = Tunables.candidates(b, spec);
            assertTrue(!candidates.isEmpty() && candidates.size() <= Tunables.MAX_NEIGHBOURS, b + " " + candidates);
            for (SortedMap<String, Integer> c : candidates) {
                Tunables.validate(b, c);
                assertNotEquals(defaults, c);
                assertEquals(null, b.misfit(spec, c), b + " " + c);
            }
            // the planner picks this descriptor for the spec, so its class is what the tuner stores
            assertEquals(d, BackwardPlanner.choose(d.pass(), spec, input, d.family() == KernelFamily.GPU ? GPU : CPU), b.toString());
        }
        // the register-blocked filter GEMM: TILE_OC, TILE_IC and VEC halved and doubled, then moved in opposite pairs
        assertEquals(10, Tunables.candidates(BackwardAlgorithm.BACKWARD_FILTER, WIDE).size());
        assertEquals("k3x3,s2x2,cin<=16,hw<=1024,n<=4", ShapeClass.of(BackwardAlgorithm.BACKWARD_FILTER, WIDE, WIDE_IN).key());
        assertEquals("k3x3,s1x1,cin<=256,hw<=4096,n>4", ShapeClass.of(BackwardAlgorithm.BACKWARD_FILTER_DEPTHWISE,
                ConvSpec.depthwise(256, 1, 3).padding(1).build(), new Shape(8, 256, 56, 56)).key());
    }

    @Test
    void aTunedBackwardEntryIsUsedAndTheReasonSaysSo() {
        ShapeClass c = ShapeClass.of(BackwardAlgorithm.BACKWARD_FILTER, WIDE, WIDE_IN);
        Map<String, Integer> tuned = Map.of("TILE_OC", 8, "TILE_IC", 2, "VEC", 4);
        TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(POCL, c, tuned, "test")));
        BackwardPlanner.BackwardPlan plan = BackwardPlanner.plan(BackwardPass.FILTER, WIDE, WIDE_IN, CPU, table, null);
        assertEquals(tuned, plan.params());
        assertTrue(plan.reason().startsWith("tuned [k3x3,s2x2,cin<=16,hw<=1024,n<=4]: backward filter: per tap, 8 output x 2 input"), plan.reason());
        assertEquals(8, plan.descriptor().defines(WIDE, plan.params(), org.convcl.Activation.NONE).get("TILE_OC"));
        // another batch class, another pass or an empty table: the defaults
        BackwardPlanner.BackwardPlan other = BackwardPlanner.plan(BackwardPass.FILTER, WIDE, new Shape(8, 16, 64, 64), CPU, table, null);
        assertEquals(BackwardAlgorithm.BACKWARD_FILTER.defaults(WIDE), other.params());
        assertTrue(other.reason().startsWith("default: backward filter"), other.reason());
        BackwardPlanner.BackwardPlan data = BackwardPlanner.plan(BackwardPass.DATA, WIDE, WIDE_IN, CPU, table, null);
        assertTrue(data.reason().startsWith("default: backward data"), data.reason());
        // on the GPU family: a vendor-and-type entry serves a device without its own, named with its key; a miss says where it looked
        ShapeClass g = ShapeClass.of(BackwardAlgorithm.BACKWARD_FILTER_UNFOLD_GEMM_GPU, WIDE, WIDE_IN);
        Map<String, Integer> tiles = Map.of("TILE_M", 32, "TILE_N", 64, "TILE_K", 8, "L0", 16, "L1", 8);
        TuningTable vendor = TuningTable.of(List.of(new TuningTable.Entry(TuningTable.vendorKey("ACME", "GPU"), g, tiles, "")));
        BackwardPlanner.BackwardPlan served = BackwardPlanner.plan(BackwardPass.FILTER, WIDE, WIDE_IN, GPU, vendor, null);
        assertEquals(tiles, served.params());
        assertTrue(served.reason().startsWith("tuned [vendor:ACME GPU | backward_filter_unfold_gemm_gpu k3x3,s2x2,cin<=16,hw<=1024,n<=4]"), served.reason());
        BackwardPlanner.BackwardPlan missed = BackwardPlanner.plan(BackwardPass.FILTER, WIDE, WIDE_IN, GPU, TuningTable.EMPTY, null);
        assertTrue(missed.reason().startsWith("default [no tuning for acme-1 | 1, vendor:ACME GPU, type:GPU | backward_filter_unfold_gemm_gpu "), missed.reason());
        // tiles that do not fit the device's local memory give way to the defaults, saying why
        TuningTable big = TuningTable.of(List.of(new TuningTable.Entry(GPU.deviceKey(), g, Map.of("TILE_M", 128, "TILE_N", 128, "TILE_K", 64,
                "L0", 16, "L1", 16), "")));
        BackwardPlanner.BackwardPlan tooBig = BackwardPlanner.plan(BackwardPass.FILTER, WIDE, WIDE_IN, GPU, big, null);
        assertEquals(BackwardAlgorithm.BACKWARD_FILTER_UNFOLD_GEMM_GPU.defaults(WIDE), tooBig.params());
        assertTrue(tooBig.reason().contains("does not fit: local memory 65792 bytes exceeds the device's 49152"), tooBig.reason());
    }

    @Test
    void aTunedEntryThatDoesNotSuitTheLayerIsIgnoredWithItsReason() {
        ConvSpec rgb = ConvSpec.full(3, 16, 3).stride(2).padding(1).build(); // the same class as 16 input channels: cin<=16
        Shape in = new Shape(2, 3, 64, 64);
        ShapeClass c = ShapeClass.of(BackwardAlgorithm.BACKWARD_FILTER, rgb, in);
        assertEquals(ShapeClass.of(BackwardAlgorithm.BACKWARD_FILTER, WIDE, WIDE_IN), c);
        TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(POCL, c, Map.of("TILE_OC", 4, "TILE_IC", 8, "VEC", 8), "")));
        BackwardPlanner.BackwardPlan plan = BackwardPlanner.plan(BackwardPass.FILTER, rgb, in, CPU, table, null);
        assertEquals(BackwardAlgorithm.BACKWARD_FILTER.defaults(rgb), plan.params());
        assertTrue(plan.reason().startsWith("default [tuned entry for k3x3,s2x2,cin<=16,hw<=1024,n<=4 does not fit: TILE_IC 8 is above "
                + "the layer's 3 input channels per group]: backward filter"), plan.reason());
    }

    @Test
    void backwardEntriesRoundTripThroughTheTuningFileAndBadOnesNameTheField() {
        ShapeClass c = ShapeClass.of(BackwardAlgorithm.BACKWARD_FILTER, STRIDED, STRIDED_IN);
        TuningTable table = TuningTable.of(List.of(
                new TuningTable.Entry(POCL, c, Map.of("TILE_OC", 8, "TILE_IC", 2, "VEC", 4), "bwd"),
                new TuningTable.Entry(POCL, new ShapeClass(Algorithm.POINTWISE, "cin<=64,hw<=4096,n1"),
                        Map.of("TILE_OC", 16, "VEC", 8, "KSTEP", 4, "L0", 8, "L1", 2), "fwd")));
        String text = TuningJson.format(table);
        assertTrue(text.indexOf("\"POINTWISE\"") < text.indexOf("\"BACKWARD_FILTER\""), text); // forward kernels first
        assertEquals(table, TuningJson.parse(text, "round trip"));
        IllegalArgumentException badName = assertThrows(IllegalArgumentException.class, () -> TuningJson.parse(
                text.replace("\"BACKWARD_FILTER\"", "\"BACKWARD_FILTRE\""), "f.json"));
        assertTrue(badName.getMessage().contains("field 'algorithm' must be one of") && badName.getMessage().contains("BACKWARD_DATA_DEPTHWISE")
                && badName.getMessage().contains("BACKWARD_FILTRE"), badName.getMessage());
        IllegalArgumentException badValue = assertThrows(IllegalArgumentException.class, () -> TuningJson.parse(
                text.replace("\"TILE_IC\": 2", "\"TILE_IC\": 17"), "f.json"));
        assertTrue(badValue.getMessage().contains("BACKWARD_FILTER param TILE_IC = 17") && badValue.getMessage().contains("1 to 16"),
                badValue.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> TuningJson.parse(
                text.replace("\"TILE_IC\": 2, ", ""), "f.json"));
        assertTrue(missing.getMessage().contains("params must be exactly [TILE_IC, TILE_OC, VEC]"), missing.getMessage());
    }
}
