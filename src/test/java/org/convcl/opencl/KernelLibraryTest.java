package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.convcl.Activation;
import org.convcl.Backends;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.TestBackends;
import org.convcl.plan.Algorithm;
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import org.jocl.cl_program;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KernelLibraryTest {

    private static OpenClBackend shared() {
        return (OpenClBackend) TestBackends.opencl();
    }

    /** A representative spec per algorithm. */
    private static ConvSpec representative(Algorithm algorithm) {
        return switch (algorithm) {
            case DIRECT -> ConvSpec.full(4, 6, 3).stride(2).padding(1).groups(2).build();
            case IMPLICIT_GEMM -> ConvSpec.full(4, 8, 3).stride(2).padding(1).groups(2).build();
            case DEPTHWISE -> ConvSpec.depthwise(4, 2, 3).dilation(2).build();
            case POINTWISE -> ConvSpec.pointwise(8, 8);
            case WINOGRAD -> ConvSpec.full(Planner.WINO_MIN_CHANNELS, Planner.WINO_MIN_CHANNELS, 3).padding(1).build();
        };
    }

    private static TreeMap<String, Integer> definesFor(Algorithm algorithm) {
        OpenClBackend backend = shared();
        Plan plan = Planner.plan(representative(algorithm), null, backend.facts());
        assertEquals(algorithm, plan.algorithm());
        TreeMap<String, Integer> d = new TreeMap<>(plan.defines());
        d.put("HAS_BIAS", 1);
        d.put("ACTIVATION", 2);
        return d;
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void everyKernelFileLoadsAndBuildsByName(Algorithm algorithm) {
        OpenClBackend backend = shared();
        String source = KernelLibrary.resource(algorithm.kernelFile());
        assertTrue(source.startsWith("/*"), algorithm.kernelFile() + " must open with its documentation comment");
        assertTrue(source.contains("__kernel void " + algorithm.entryPoint() + "("), "entry point " + algorithm.entryPoint());
        cl_program program = backend.library().program(algorithm.kernelFile(), definesFor(algorithm));
        AtomicInteger live = new AtomicInteger();
        try (ClKernel kernel = new ClKernel(program, algorithm.entryPoint(), backend.deviceId(), live)) {
            assertTrue(kernel.workGroupSize() >= 1, "kernel work-group size " + kernel.workGroupSize());
            assertEquals(1, live.get());
        }
        assertEquals(0, live.get());
    }

    @Test
    void sourceIsTheCommonHeaderFollowedByTheKernel() {
        String source = KernelLibrary.source("conv2d_pointwise.cl");
        int header = source.indexOf("real convcl_epilogue(");
        int kernel = source.indexOf("__kernel void conv2d_pointwise(");
        assertTrue(header >= 0 && kernel > header, "header must precede the kernel");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelLibrary.resource("conv2d_nope.cl"));
        assertTrue(e.getMessage().contains("/kernels/conv2d_nope.cl"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KernelLibrary.resource("../pom.xml"));
    }

    @Test
    void optionsAreCanonicalAndValidated() {
        assertEquals("-D ACTIVATION=1 -D KH=3 -D TILE_X=4", KernelLibrary.options(Map.of("TILE_X", 4, "KH", 3, "ACTIVATION", 1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelLibrary.options(Map.of("kh -DEVIL", 3)));
        assertTrue(e.getMessage().contains("kh -DEVIL"), e.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> KernelLibrary.merge(Map.of("KH", 3), Map.of("KH", 5)));
        assertTrue(twice.getMessage().contains("KH"), twice.getMessage());
    }

    @Test
    void missingRequiredDefineFailsWithFileOptionsAndBuildLog() {
        OpenClBackend backend = shared();
        TreeMap<String, Integer> defines = definesFor(Algorithm.DEPTHWISE);
        defines.remove("DEPTH_MULT");
        KernelBuildException e = assertThrows(KernelBuildException.class,
                () -> backend.library().program("conv2d_depthwise.cl", defines));
        assertEquals("conv2d_depthwise.cl", e.kernelFile());
        assertEquals(KernelLibrary.options(defines), e.options());
        assertTrue(e.buildLog().contains("DEPTH_MULT"), "build log should quote the #error: " + e.buildLog());
        assertTrue(e.getMessage().contains("conv2d_depthwise.cl") && e.getMessage().contains(e.options())
                && e.getMessage().contains(e.buildLog()), e.getMessage());

        TreeMap<String, Integer> noActivation = definesFor(Algorithm.POINTWISE);
        noActivation.remove("ACTIVATION");
        KernelBuildException header = assertThrows(KernelBuildException.class,
                () -> backend.library().program("conv2d_pointwise.cl", noActivation));
        assertTrue(header.buildLog().contains("ACTIVATION"), header.buildLog());
    }

    @Test
    void programCacheHitsForTheSameDefinesAndGrowsForNewOnes() {
        TestBackends.opencl(); // fails in strict mode, aborts otherwise, when there is no device
        try (OpenClBackend backend = (OpenClBackend) Backends.open(shared().device())) {
            ConvSpec spec = ConvSpec.depthwise(4, 1, 3).padding(1).build();
            float[] w = new float[spec.weightCount()];
            int before = backend.buildCount();
            try (PreparedConv a = backend.prepare(spec, w, Epilogue.none())) {
                assertEquals(before + 1, backend.buildCount());
            }
            try (PreparedConv again = backend.prepare(spec, w, Epilogue.none());
                 PreparedConv otherImageChannels = backend.prepare(ConvSpec.depthwise(9, 1, 3).padding(1).build(),
                         new float[9 * 9], Epilogue.none())) {
                assertEquals(before + 1, backend.buildCount(), "same defines must reuse the cached program");
            }
            try (PreparedConv relu = backend.prepare(spec, w, Epilogue.activation(Activation.RELU))) {
                assertEquals(before + 2, backend.buildCount(), "a new ACTIVATION define needs a new program");
            }
            assertEquals(2, backend.liveProgramCount());
        }
    }
}
