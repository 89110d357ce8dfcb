package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.junit.jupiter.api.Test;

/** Shape-class bucketing, the tunable parameters and candidates, and the table's lookup and merge rules. */
class TuningTableTest {
    private static final String DEV = DeviceFacts.deviceKey("gpu-x", "1.0");
    private static final Map<String, Integer> PW = Map.of("TILE_OC", 4, "VEC", 8, "KSTEP", 4, "L0", 8, "L1", 2);

    @Test
    void bucketsAreInclusiveUpperBoundsWithAnOpenTop() {
        assertEquals("cin<=16", ShapeClass.bucket("cin", 1, ShapeClass.CHANNEL_BOUNDS));
        assertEquals("cin<=16", ShapeClass.bucket("cin", 16, ShapeClass.CHANNEL_BOUNDS));
        assertEquals("cin<=32", ShapeClass.bucket("cin", 17, ShapeClass.CHANNEL_BOUNDS));
        assertEquals("cin<=512", ShapeClass.bucket("cin", 512, ShapeClass.CHANNEL_BOUNDS));
        assertEquals("cin>512", ShapeClass.bucket("cin", 513, ShapeClass.CHANNEL_BOUNDS));
        assertEquals("hw<=64", ShapeClass.bucket("hw", 49, ShapeClass.PIXEL_BOUNDS));
        assertEquals("hw>16384", ShapeClass.bucket("hw", 224 * 224, ShapeClass.PIXEL_BOUNDS));
    }

    @Test
    void shapeClassKeysPerKernel() {
        // pointwise: input channels, output pixels, batch
        assertEquals("cin<=128,hw<=4096,n1", ShapeClass.of(Algorithm.POINTWISE, ConvSpec.pointwise(128, 128), new Shape(1, 128, 56, 56)).key());
        assertEquals("cin>512,hw<=64,n>4", ShapeClass.of(Algorithm.POINTWISE, ConvSpec.pointwise(1024, 1024), new Shape(8, 1024, 7, 7)).key());
        // depthwise: kernel, stride, output pixels (112 -> 56 at stride 2), batch
        ConvSpec dw = ConvSpec.depthwise(64, 1, 3).stride(2).padding(1).build();
        assertEquals("k3x3,s2x2,hw<=4096,n<=4", ShapeClass.of(Algorithm.DEPTHWISE, dw, new Shape(2, 64, 112, 112)).key());
        // implicit GEMM: input channels per group
        ConvSpec grouped = ConvSpec.full(64, 64, 3).groups(4).padding(1).build();
        assertEquals("k3x3,s1x1,cin<=16,hw<=1024,n1", ShapeClass.of(Algorithm.IMPLICIT_GEMM, grouped, new Shape(1, 64, 28, 28)).key());
        assertFalse(ShapeClass.tunable(Algorithm.DIRECT));
        assertThrows(IllegalArgumentException.class,
                () -> ShapeClass.of(Algorithm.DIRECT, ConvSpec.full(4, 6, 3).groups(2).build(), new Shape(1, 4, 8, 8)));
    }

    @Test
    void vec16AtStride2FitsTheImplicitGemmOnly() {
        ConvSpec full = ConvSpec.full(8, 16, 3).stride(2).padding(1).build();
        ConvSpec dw = ConvSpec.depthwise(8, 1, 3).stride(2).padding(1).build();
        assertEquals(null, Tunables.misfit(Algorithm.IMPLICIT_GEMM, full, Map.of("TILE_OC", 8, "VEC", 16, "L0", 1, "L1", 4, "L2", 4)));
        assertEquals("VEC 16 needs stride 1 along x (at most 8 at stride 2 for the depthwise kernel)",
                Tunables.misfit(Algorithm.DEPTHWISE, dw, Map.of("VEC", 16, "TILE_Y", 4, "L0", 4, "GROUP", 16)));
        assertEquals(null, Tunables.misfit(Algorithm.DEPTHWISE, dw, Map.of("VEC", 8, "TILE_Y", 4, "L0", 4, "GROUP", 16)));
    }

    @Test
    void candidatesAreValidDistinctFromTheDefaultsAndFitTheSpec() {
        for (ConvSpec spec : List.of(ConvSpec.pointwise(64, 64), ConvSpec.depthwise(8, 1, 3).padding(1).build(),
                ConvSpec.depthwise(8, 1, 3).stride(2).build(), ConvSpec.full(8, 16, 3).build(), ConvSpec.full(8, 16, 3).stride(2).build())) {
            Algorithm a = Planner.algorithm(spec, new DeviceFacts("CPU", 2, 4096, new long[] {4096, 4096, 4096}, 1 << 20));
            List<SortedMap<String, Integer>> candidates = Tunables.candidates(a, spec);
            assertTrue(candidates.size() >= 4 && candidates.size() <= 12, spec + ": " + candidates.size());
            assertEquals(candidates.size(), candidates.stream().distinct().count(), spec::toString);
            for (SortedMap<String, Integer> c : candidates) {
                Tunables.validate(a, c);
                assertFalse(c.equals(Tunables.defaults(a, spec)), spec + " " + c);
                assertEquals(null, Tunables.misfit(a, spec, c), spec + " " + c);
                if (spec.strideW() == 2 && a == Algorithm.DEPTHWISE) assertTrue(c.get("VEC") <= 8, spec + " " + c);
            }
        }
        ConvSpec strided = ConvSpec.full(8, 16, 3).stride(2).build();
        assertTrue(Tunables.candidates(Algorithm.IMPLICIT_GEMM, strided).stream().anyMatch(c -> c.get("VEC") == 16),
                "the implicit GEMM tries VEC 16 at stride 2");
        assertTrue(Tunables.candidates(Algorithm.DIRECT, ConvSpec.full(4, 6, 3).groups(2).build()).isEmpty());
    }

    @Test
    void entriesRejectParametersTheKernelDoesNotAccept() {
        ShapeClass c = new ShapeClass(Algorithm.POINTWISE, "cin<=64,hw<=4096,n1");
        IllegalArgumentException vec = assertThrows(IllegalArgumentException.class,
                () -> new TuningTable.Entry(DEV, c, Map.of("TILE_OC", 4, "VEC", 3, "KSTEP", 4, "L0", 8, "L1", 2), ""));
        assertTrue(vec.getMessage().contains("VEC = 3"), vec.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new TuningTable.Entry(DEV, c, Map.of("TILE_OC", 4, "VEC", 8), ""));
        assertTrue(missing.getMessage().contains("exactly"), missing.getMessage());
        IllegalArgumentException local = assertThrows(IllegalArgumentException.class,
                () -> new TuningTable.Entry(DEV, c, Map.of("TILE_OC", 4, "VEC", 8, "KSTEP", 4, "L0", 6, "L1", 2), ""));
        assertTrue(local.getMessage().contains("L0 = 6") && local.getMessage().contains("power of two"), local.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TuningTable.Key(DEV, Algorithm.DIRECT, "x"));
    }

    @Test
    void lookupMergeAndRemoval() {
        ShapeClass a = new ShapeClass(Algorithm.POINTWISE, "cin<=64,hw<=4096,n1");
        ShapeClass b = new ShapeClass(Algorithm.POINTWISE, "cin<=128,hw<=4096,n1");
        TuningTable.Entry shipped = new TuningTable.Entry(DEV, a, PW, "shipped");
        TuningTable.Entry other = new TuningTable.Entry(DEV, b, PW, "other class");
        TuningTable base = TuningTable.of(List.of(shipped, other));
        assertEquals(shipped, base.lookup(DEV, a).orElseThrow());
        assertTrue(base.lookup("another device | 1", a).isEmpty());
        assertTrue(base.lookup(DEV, new ShapeClass(Algorithm.DEPTHWISE, a.key())).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> TuningTable.of(List.of(shipped, shipped)));

        Map<String, Integer> userParams = Map.of("TILE_OC", 16, "VEC", 16, "KSTEP", 8, "L0", 4, "L1", 4);
        TuningTable user = TuningTable.of(List.of(new TuningTable.Entry(DEV, a, userParams, "user")));
        TuningTable merged = base.overriddenBy(user);
        assertEquals(2, merged.size());
        assertEquals("user", merged.lookup(DEV, a).orElseThrow().note()); // the override wins
        assertEquals("other class", merged.lookup(DEV, b).orElseThrow().note());
        assertEquals(1, merged.without(new TuningTable.Key(DEV, Algorithm.POINTWISE, a.key())).size());
        assertEquals(0, merged.forDevice("another device | 1").size());
        assertEquals(merged, merged.forDevice(DEV));
        assertTrue(TuningTable.EMPTY.lookup(DEV, a).isEmpty());
    }

    @Test
    void jsonRoundTripAndClearErrors() {
        TuningTable table = TuningTable.of(List.of(
                new TuningTable.Entry(DEV, new ShapeClass(Algorithm.POINTWISE, "cin<=64,hw<=4096,n1"), PW, "quote \" and backslash \\ ok"),
                new TuningTable.Entry(DEV, new ShapeClass(Algorithm.DEPTHWISE, "k3x3,s1x1,hw<=1024,n1"),
                        Map.of("VEC", 16, "TILE_Y", 2, "L0", 4, "GROUP", 16), "")));
        String text = TuningJson.format(table);
        assertEquals(table, TuningJson.parse(text, "t.json"));
        assertEquals(TuningTable.EMPTY, TuningJson.parse(TuningJson.format(TuningTable.EMPTY), "empty.json"));

        IllegalArgumentException truncated = assertThrows(IllegalArgumentException.class,
                () -> TuningJson.parse(text.substring(0, text.length() / 2), "cut.json"));
        assertTrue(truncated.getMessage().startsWith("cut.json: not valid JSON"), truncated.getMessage());
        IllegalArgumentException format = assertThrows(IllegalArgumentException.class,
                () -> TuningJson.parse("{\"format\": \"other\", \"entries\": []}", "f.json"));
        assertTrue(format.getMessage().contains("format"), format.getMessage());
        IllegalArgumentException badParam = assertThrows(IllegalArgumentException.class, () -> TuningJson.parse(
                text.replace("\"VEC\": 8", "\"VEC\": 5"), "p.json"));
        assertTrue(badParam.getMessage().startsWith("p.json: entries[") && badParam.getMessage().contains("VEC = 5"), badParam.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> TuningJson.parse(
                text.replace("\"note\"", "\"nite\""), "u.json"));
        assertTrue(unknown.getMessage().contains("unknown field 'nite'"), unknown.getMessage());
        IllegalArgumentException algo = assertThrows(IllegalArgumentException.class, () -> TuningJson.parse(
                text.replace("\"DEPTHWISE\"", "\"WINOGRAD\""), "a.json"));
        assertTrue(algo.getMessage().contains("algorithm") && algo.getMessage().contains("WINOGRAD"), algo.getMessage());
    }

    @Test
    void lookupFallsBackFromTheDeviceToItsVendorAndTypeToItsTypeAndFilesWithDeviceClassKeysRoundTrip() {
        DeviceFacts gpu = new DeviceFacts("GPU", "ACME", KernelFamily.GPU, 4, 256, new long[] {256, 256, 64}, 32 * 1024, DEV);
        ShapeClass c = new ShapeClass(Algorithm.POINTWISE_GPU, "cin<=64,hw<=4096,n1");
        Map<String, Integer> params = Map.of("TILE_M", 64, "TILE_N", 64, "TILE_K", 16, "L0", 16, "L1", 16);
        assertEquals("vendor:ACME GPU", TuningTable.vendorKey(" ACME ", "gpu"));
        assertEquals("type:GPU", TuningTable.typeKey("GPU"));
        TuningTable.Entry type = new TuningTable.Entry("type:GPU", c, params, "any GPU");
        TuningTable.Entry vendor = new TuningTable.Entry("vendor:ACME GPU", c, params, "ACME GPUs");
        TuningTable.Entry own = new TuningTable.Entry(DEV, c, params, "this one");
        TuningTable.Entry otherType = new TuningTable.Entry("type:CPU", c, params, "CPUs");
        TuningTable table = TuningTable.of(List.of(type, vendor, own, otherType));
        assertEquals(own, table.lookup(gpu, c).orElseThrow());
        assertEquals(vendor, table.without(own.key()).lookup(gpu, c).orElseThrow());
        assertEquals(type, table.without(own.key()).without(vendor.key()).lookup(gpu, c).orElseThrow());
        assertTrue(TuningTable.of(List.of(otherType)).lookup(gpu, c).isEmpty(), "a CPU's type entry never serves a GPU");
        assertTrue(table.lookup(gpu, new ShapeClass(Algorithm.POINTWISE_GPU, "cin<=32,hw<=4096,n1")).isEmpty());
        // a device keeps every device-class entry of a file, and such a file is the same format as before
        assertEquals(4, table.forDevice(DEV).size());
        assertEquals(3, table.forDevice("another | 1").size());
        assertEquals(table, TuningJson.parse(TuningJson.format(table), "classes.json"));
    }
}
