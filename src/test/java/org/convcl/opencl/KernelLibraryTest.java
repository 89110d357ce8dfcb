package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.convcl.Activation;
import org.convcl.Backends;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.SeparableBlock;
import org.convcl.TestBackends;
import org.convcl.plan.Algorithm;
import org.convcl.plan.BackwardDescriptor;
import org.convcl.plan.BackwardPlanner;
import org.convcl.plan.BlockDescriptor;
import org.convcl.plan.BlockPlanner;
import org.convcl.plan.KernelFamily;
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import org.convcl.plan.TuningTable;
import org.convcl.plan.WinogradDescriptor;
import org.jocl.cl_program;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernel library: every {@code kernels/*.cl} file (found in the folder, not listed here) builds with the defines
 * its planner gives and each of its entry points is created; the source assembly, the canonical options, the build
 * errors and the program cache.
 */
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
            case POINTWISE, POINTWISE_GPU -> ConvSpec.pointwise(8, 8);
            case WINOGRAD, WINOGRAD_GPU -> ConvSpec.full(WinogradDescriptor.MIN_CHANNELS, WinogradDescriptor.MIN_CHANNELS, 3).padding(1).build();
            case DEPTHWISE_GPU -> ConvSpec.depthwise(4, 2, 3).stride(2).build();
            case IMPLICIT_GEMM_GPU -> ConvSpec.full(4, 8, 3).dilation(2).padding(1).groups(2).build();
        };
    }

    private static TreeMap<String, Integer> definesFor(Algorithm algorithm) {
        OpenClBackend backend = shared();
        Plan plan = Planner.plan(representative(algorithm), null, backend.facts(), TuningTable.EMPTY, algorithm); // any family's
        TreeMap<String, Integer> d = new TreeMap<>(plan.defines());
        d.put("HAS_BIAS", 1);
        d.put("ACTIVATION", 2);
        return d;
    }

    /**
     * The defines {@code file} is built with, from the planners' default plans: an {@link Algorithm}'s kernel with
     * its representative spec's plan (bias and ReLU6), a block descriptor's kernel with its defines for a MobileNet
     * block. A kernel file no planner builds fails here: give it its plan.
     */
    private static SortedMap<String, Integer> definesFor(String file) {
        for (Algorithm a : Algorithm.values()) if (a.kernelFile().equals(file)) return definesFor(a);
        for (BlockDescriptor d : allBlockDescriptors()) {
            if (!d.kernelFile().equals(file)) continue;
            SeparableBlock block = SeparableBlock.mobilenet(8, 16, 1);
            Epilogue.Folded dw = block.depthwiseEpilogue().fold(block.depthwise(), new float[block.depthwise().weightCount()]);
            Epilogue.Folded pw = block.pointwiseEpilogue().fold(block.pointwise(), new float[block.pointwise().weightCount()]);
            return OpenClFusedBlock.programDefines(d, block, shared().facts(), dw, pw);
        }
        for (BackwardDescriptor d : BackwardPlanner.all()) {
            if (!d.kernelFile().equals(file)) continue;
            ConvSpec full = ConvSpec.full(4, 8, 3).stride(2).padding(1).groups(2).build();
            ConvSpec spec = d.declines(full, shared().facts()).isEmpty() ? full : ConvSpec.depthwise(4, 2, 3).dilation(2).build();
            return d.defines(spec, d.defaults(spec), Activation.RELU6);
        }
        if (file.equals(OpenClTensorOps.FILE)) return new TreeMap<>(OpenClTensorOps.DEFINES); // one build, no plan
        return fail("kernels/" + file + " is built by no planner this test knows: add its default plan to definesFor");
    }

    /** The fused block kernels of every family. */
    private static List<BlockDescriptor> allBlockDescriptors() {
        return Stream.of(KernelFamily.values()).flatMap(f -> BlockPlanner.registry(f).stream()).distinct().toList();
    }

    /** Every {@code kernels/*.cl} file of the checkout. */
    static List<String> kernelFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("kernels"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".cl")).sorted().toList();
        }
    }

    /** The {@code __kernel} functions a source defines (attributes between {@code __kernel} and {@code void} allowed). */
    private static List<String> entryPoints(String source) {
        Matcher m = Pattern.compile("(?s)__kernel\\s+(?:__attribute__\\s*\\(\\(.*?\\)\\)\\s*)*void\\s+(\\w+)\\s*\\(").matcher(source);
        List<String> names = new ArrayList<>();
        while (m.find()) names.add(m.group(1));
        return names;
    }

    @Test
    void theKernelsFolderIsWhatTheClasspathHoldsAndWhatThePlannersName() throws Exception {
        List<String> folder = kernelFiles();
        List<String> classpath;
        try (Stream<Path> files = Files.list(Path.of(KernelLibrary.class.getResource("/kernels").toURI()))) {
            classpath = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".cl")).sorted().toList();
        }
        assertEquals(folder, classpath, "kernels/ and the packaged /kernels");
        for (Algorithm a : Algorithm.values()) assertTrue(folder.contains(a.kernelFile()), a + ": " + a.kernelFile());
        for (BlockDescriptor d : allBlockDescriptors()) assertTrue(folder.contains(d.kernelFile()), d.kernelFile());
        for (BackwardDescriptor d : BackwardPlanner.all()) assertTrue(folder.contains(d.kernelFile()), d.kernelFile());
        for (String file : folder) {
            assertEquals(Files.readString(Path.of("kernels", file)), KernelLibrary.resource(file), file);
        }
    }

    @ParameterizedTest
    @MethodSource("kernelFiles")
    void everyKernelFileBuildsAndEveryEntryPointIsCreated(String file) {
        OpenClBackend backend = shared();
        String source = KernelLibrary.resource(file);
        assertTrue(source.startsWith("/*"), file + " must open with its documentation comment");
        List<String> entries = entryPoints(source);
        assertFalse(entries.isEmpty(), file + " defines no __kernel");
        for (Algorithm a : Algorithm.values()) {
            if (a.kernelFile().equals(file)) assertTrue(entries.contains(a.entryPoint()), a + ": " + a.entryPoint() + " in " + entries);
        }
        for (BackwardDescriptor d : BackwardPlanner.all()) {
            if (d.kernelFile().equals(file)) assertTrue(entries.containsAll(d.entryPoints()), d.entryPoints() + " in " + entries);
        }
        cl_program program = backend.library().program(file, definesFor(file));
        AtomicInteger live = new AtomicInteger();
        for (String entry : entries) {
            try (ClKernel kernel = new ClKernel(program, entry, backend.deviceId(), live)) {
                assertTrue(kernel.workGroupSize() >= 1, entry + ": kernel work-group size " + kernel.workGroupSize());
                assertEquals(1, live.get());
            }
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
