package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.convcl.Activation;
import org.convcl.TestBackends;
import org.jocl.cl_program;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The kernel dialect: every kernel file compiles without a compiler warning for representative defines (each
 * stride path of the tap helpers, each activation, with and without bias, the fused block's CPU options), and the
 * activation table and default element type of {@code convcl_common.h} are {@link Activation}'s and
 * {@link org.convcl.DataType#FLOAT32}'s.
 */
class KernelDialectTest {

    private static Map<String, Integer> window(int k, int stride, int dilation) {
        return Map.of("KH", k, "KW", k, "SH", stride, "SW", stride, "DH", dilation, "DW", dilation);
    }

    @SafeVarargs
    private static TreeMap<String, Integer> defines(int hasBias, Activation activation, Map<String, Integer>... parts) {
        TreeMap<String, Integer> d = new TreeMap<>(Map.of("HAS_BIAS", hasBias, "ACTIVATION", activation.code()));
        for (Map<String, Integer> part : parts) d.putAll(part);
        return d;
    }

    /** Define sets per kernel file; together they take every branch of the shared helpers that a define selects. */
    static Map<String, List<TreeMap<String, Integer>>> representativeDefines() {
        Map<String, List<TreeMap<String, Integer>>> m = new LinkedHashMap<>();
        m.put("conv2d_full.cl", List.of(
                defines(1, Activation.RELU6, window(3, 2, 1), Map.of("TILE_OC", 4)),
                defines(0, Activation.NONE, window(5, 1, 2), Map.of())));
        m.put("conv2d_igemm.cl", List.of(
                defines(1, Activation.RELU, window(3, 1, 1), Map.of("TILE_OC", 4, "VEC", 16)),
                defines(0, Activation.RELU6, window(3, 2, 1), Map.of("TILE_OC", 2, "VEC", 8)),
                defines(1, Activation.NONE, window(5, 3, 2), Map.of("TILE_OC", 4, "VEC", 4))));
        m.put("conv2d_depthwise.cl", List.of(
                defines(1, Activation.RELU6, window(3, 1, 1), Map.of("DEPTH_MULT", 1, "VEC", 16, "TILE_Y", 7)),
                defines(0, Activation.RELU, window(3, 2, 1), Map.of("DEPTH_MULT", 2, "VEC", 8)),
                defines(1, Activation.NONE, window(3, 3, 2), Map.of("DEPTH_MULT", 3, "VEC", 2, "TILE_Y", 2))));
        Map<String, Integer> dwTile = Map.of("WG_X", 16, "WG_Y", 8, "WG_C", 1, "RX", 2, "RY", 2);
        m.put("conv2d_depthwise_gpu.cl", List.of(
                defines(1, Activation.RELU6, window(3, 1, 1), dwTile, Map.of("DEPTH_MULT", 1)),
                defines(0, Activation.RELU, window(3, 2, 1), Map.of("DEPTH_MULT", 2, "WG_X", 4, "WG_Y", 4, "WG_C", 8, "RX", 2, "RY", 1)),
                defines(1, Activation.NONE, window(5, 1, 2), dwTile, Map.of("DEPTH_MULT", 3)),
                defines(1, Activation.HARDSWISH, window(3, 1, 1), dwTile, Map.of("DEPTH_MULT", 1))));
        m.put("conv2d_igemm_gpu.cl", List.of(
                defines(1, Activation.RELU, window(3, 1, 1), Map.of("TM", 64, "TN", 64, "TK", 16, "RM", 4, "RN", 4)),
                defines(0, Activation.RELU6, window(3, 2, 1), Map.of("TM", 16, "TN", 64, "TK", 16, "RM", 1, "RN", 4)),
                defines(1, Activation.NONE, window(5, 3, 2), Map.of("TM", 32, "TN", 32, "TK", 8, "RM", 2, "RN", 2))));
        m.put("conv2d_pointwise.cl", List.of(
                defines(1, Activation.RELU, Map.of("TILE_OC", 8, "VEC", 16, "KSTEP", 4)),
                defines(0, Activation.NONE, Map.of("TILE_OC", 4, "VEC", 8, "WEI_BATCH", 16)),
                defines(1, Activation.HARDSWISH, Map.of("TILE_OC", 8, "VEC", 16, "KSTEP", 4))));
        m.put("conv2d_pointwise_gpu.cl", List.of(
                defines(1, Activation.RELU6, Map.of("TILE_M", 64, "TILE_N", 64, "TILE_K", 16, "L0", 16, "L1", 16)),
                defines(0, Activation.NONE, Map.of("TILE_M", 32, "TILE_N", 128, "TILE_K", 8, "L0", 16, "L1", 8, "WEI_BATCH", 16))));
        m.put("conv2d_winograd.cl", List.of(defines(1, Activation.RELU6), defines(0, Activation.NONE)));
        Map<String, Integer> block = Map.of("DEPTH_MULT", 1, "MID", 32, "STRIP", 64);
        m.put("conv2d_dsblock.cl", List.of(
                defines(1, Activation.RELU6, window(3, 1, 1), block,
                        Map.of("DW_ACTIVATION", 2, "PREFETCH", 1, "NT_STORE", 1, "LOCAL_X", 2)),
                defines(0, Activation.NONE, window(3, 2, 1), block, Map.of("DW_ACTIVATION", 0, "OC_OUTER", 1, "VEC", 8)),
                defines(1, Activation.RELU, window(5, 3, 2), Map.of("DEPTH_MULT", 2, "MID", 6, "STRIP", 32),
                        Map.of("DW_ACTIVATION", 1, "DW_ROWS", 3)),
                // stride 2 at 16 lanes: the two-source shuffle of convcl_even_odd
                defines(1, Activation.RELU, window(3, 2, 1), block, Map.of("DW_ACTIVATION", 1)),
                defines(1, Activation.HARDSWISH, window(3, 1, 1), block, Map.of("DW_ACTIVATION", 3))));
        m.put("conv2d_dsblock_gpu.cl", List.of(
                defines(1, Activation.RELU6, window(3, 1, 1), Map.of("DEPTH_MULT", 1, "MID", 32, "DW_ACTIVATION", 2),
                        Map.of("TILE_PIX", 64, "OC_BLOCK", 64, "MID_CHUNK", 16, "OC_PER_ITEM", 4, "PIX_PER_ITEM", 4, "LOCAL_SIZE", 256)),
                defines(0, Activation.NONE, window(5, 2, 2), Map.of("DEPTH_MULT", 3, "MID", 9, "DW_ACTIVATION", 0),
                        Map.of("TILE_PIX", 64, "OC_BLOCK", 16, "MID_CHUNK", 16, "OC_PER_ITEM", 4, "PIX_PER_ITEM", 4, "LOCAL_SIZE", 64))));
        m.put("conv2d_bwd_data.cl", List.of(
                defines(0, Activation.NONE, window(3, 2, 1), Map.of("TILE_IC", 4, "VEC", 8)),
                defines(0, Activation.NONE, window(1, 1, 1), Map.of("TILE_IC", 1, "VEC", 16))));
        m.put("conv2d_bwd_data_gpu.cl", List.of(
                defines(0, Activation.NONE, window(3, 2, 1), Map.of("L0", 64, "L1", 1)),
                defines(0, Activation.NONE, window(5, 3, 2), Map.of("L0", 32, "L1", 4))));
        m.put("conv2d_bwd_data_depthwise.cl", List.of(
                defines(0, Activation.NONE, window(3, 1, 1), Map.of("DEPTH_MULT", 1, "VEC", 8)),
                defines(0, Activation.NONE, window(5, 2, 2), Map.of("DEPTH_MULT", 3, "VEC", 4))));
        m.put("conv2d_bwd_data_depthwise_strided.cl", List.of(
                defines(0, Activation.NONE, window(3, 2, 1), Map.of("DEPTH_MULT", 1, "VEC", 8, "ROWS", 32)),
                defines(0, Activation.NONE, window(5, 3, 2), Map.of("DEPTH_MULT", 3, "VEC", 4, "ROWS", 1))));
        m.put("conv2d_bwd_filter_depthwise_flat.cl", List.of(
                defines(0, Activation.NONE, window(3, 1, 1), Map.of("DEPTH_MULT", 1, "VEC", 16)),
                defines(0, Activation.NONE, window(5, 1, 2), Map.of("DEPTH_MULT", 2, "VEC", 8))));
        m.put("conv2d_bwd_filter.cl", List.of(
                defines(0, Activation.NONE, window(3, 2, 1), Map.of("TILE_OC", 4, "TILE_IC", 4, "VEC", 8)),
                defines(0, Activation.NONE, window(1, 1, 1), Map.of("TILE_OC", 1, "TILE_IC", 2, "VEC", 16)),
                defines(0, Activation.NONE, window(3, 1, 2), Map.of("TILE_OC", 4, "TILE_IC", 4, "VEC", 4))));
        m.put("conv2d_bwd_filter_pointwise.cl", List.of(
                defines(0, Activation.NONE, Map.of("TILE_OC", 4, "TILE_IC", 4, "VEC", 16)),
                defines(0, Activation.NONE, Map.of("TILE_OC", 3, "TILE_IC", 2, "VEC", 8))));
        m.put("conv2d_bwd_transpose.cl", List.of(
                defines(0, Activation.NONE, Map.of("VEC", 16, "TRANSPOSE_BLOCKS", 8)),
                defines(0, Activation.NONE, Map.of("VEC", 4, "TRANSPOSE_BLOCKS", 1))));
        m.put("conv2d_bwd_filter_depthwise.cl", List.of(
                defines(0, Activation.NONE, window(3, 1, 1), Map.of("DEPTH_MULT", 1, "KROWS", 3, "VEC", 8)),
                defines(0, Activation.NONE, window(3, 2, 2), Map.of("DEPTH_MULT", 2, "KROWS", 1, "VEC", 4))));
        m.put("conv2d_bwd_unfold.cl", List.of(defines(0, Activation.NONE, window(3, 2, 1)), defines(0, Activation.NONE, window(5, 1, 2))));
        m.put("conv2d_bwd_filter_depthwise_gpu.cl", List.of(
                defines(0, Activation.NONE, window(3, 1, 1), Map.of("DEPTH_MULT", 1, "GROUP", 256)),
                defines(0, Activation.NONE, window(5, 2, 2), Map.of("DEPTH_MULT", 2, "GROUP", 64))));
        m.put("conv2d_bwd_activation.cl", List.of(
                defines(0, Activation.NONE), defines(0, Activation.RELU), defines(0, Activation.RELU6)));
        m.put(OpenClTensorOps.FILE, List.of(new TreeMap<>(OpenClTensorOps.DEFINES)));
        return m;
    }

    @Test
    void everyKernelFileHasRepresentativeDefines() throws IOException, URISyntaxException {
        Path dir = Path.of(KernelDialectTest.class.getResource("/kernels").toURI());
        TreeSet<String> files = new TreeSet<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".cl")).forEach(files::add);
        }
        assertFalse(files.isEmpty(), "no kernel files under " + dir);
        assertEquals(files, new TreeSet<>(representativeDefines().keySet()));
    }

    @TestFactory
    Stream<DynamicTest> everyKernelBuildsWithoutWarnings() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        List<DynamicTest> tests = new ArrayList<>();
        representativeDefines().forEach((file, sets) -> sets.forEach(defines -> tests.add(DynamicTest.dynamicTest(
                file + " " + KernelLibrary.options(defines), () -> {
                    // no disk cache: a program created from a stored binary has no compiler log to check
                    try (KernelLibrary library = new KernelLibrary(backend.context(), backend.deviceId(),
                            backend.device().id(), backend.device().driverVersion(), null)) {
                        cl_program program = library.program(file, defines);
                        assertEquals(1, library.buildCount(), "compiled from source");
                        String log = library.buildLog(program);
                        assertFalse(log.toLowerCase(java.util.Locale.ROOT).contains("warning"),
                                file + " with " + KernelLibrary.options(defines) + " compiled with warnings:\n" + log);
                    }
                }))));
        return tests.stream();
    }

    @Test
    void theKernelsActivationTableIsJavas() {
        Matcher m = Pattern.compile("(?m)^#define (CONVCL_ACT_[A-Z0-9]+) (\\d+)$").matcher(KernelLibrary.resource(KernelLibrary.COMMON_HEADER));
        Map<String, Integer> kernels = new TreeMap<>();
        while (m.find()) kernels.put(m.group(1), Integer.parseInt(m.group(2)));
        Map<String, Integer> java = new TreeMap<>();
        for (Activation a : Activation.values()) java.put(a.defineName(), a.code());
        assertEquals(java, kernels);
        assertTrue(KernelLibrary.resource(KernelLibrary.COMMON_HEADER).contains(
                "#define CONVCL_REAL " + org.convcl.DataType.FLOAT32.openClType() + "\n"), "the kernels' default element type");
    }
}
