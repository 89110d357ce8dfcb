package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.convcl.BlockMode;
import org.convcl.ConvSpec;
import org.convcl.cli.bench.SuiteLoader;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.junit.jupiter.api.Test;

/**
 * The plans of every case of every benchmark suite, written out as text and compared with a golden file
 * ({@value #GOLDEN}): for each case at batch 1 and 8, on a PoCL-like CPU and two GPU-like devices, with the
 * empty and the shipped tuning table, the planner's own choice, every algorithm forced (or the refusal when it
 * cannot run the spec), the Winograd GEMM, the shape class and tuning candidates; and for each separable pair
 * of the suites the fused-block choices, tiling, defines and grid. Any change of a plan, a reason, a work size
 * or an error message shows up as a changed line.
 *
 * <p>The golden file was generated from the planner before its algorithms became descriptors and proves that
 * refactor changed no plan. After an intended change of plans, regenerate it with
 * {@code CONVCL_UPDATE_GOLDEN=1 mvn -B -q test -Dtest=PlanSnapshotTest} and review the diff.
 */
class PlanSnapshotTest {
    static final String GOLDEN = "src/test/resources/plan-snapshot.txt";
    private static final List<String> SUITES = List.of("mobilenet-v1", "odd", "resnet", "seed-pairs");
    private static final String POCL_KEY = "pthread-skylake-avx512-AMD EPYC | 3.1+debian";

    /** Name → facts: PoCL's as reported by clinfo, Oclgrind's (a GPU with 1024 work-items), a 256-item GPU with PoCL's key. */
    private static final Map<String, DeviceFacts> DEVICES = new LinkedHashMap<>();

    static {
        DEVICES.put("pocl-cpu", new DeviceFacts("CPU", 2, 4096, new long[] {4096, 4096, 4096}, 512 * 1024, POCL_KEY));
        DEVICES.put("gpu-1024", new DeviceFacts("GPU", 1, 1024, new long[] {1024, 1024, 1024}, 32 * 1024, "Oclgrind Simulator | 21.10"));
        // PoCL's key, so the shipped entries apply under a GPU's work-group limits
        DEVICES.put("gpu-256-tuned", new DeviceFacts("GPU", 132, 256, new long[] {256, 256, 64}, 32 * 1024, POCL_KEY));
    }

    @Test
    void plansOfEverySuiteCaseMatchTheGoldenFile() throws IOException {
        String actual = snapshot();
        Path golden = Path.of(GOLDEN);
        if ("1".equals(System.getenv("CONVCL_UPDATE_GOLDEN"))) {
            Files.writeString(golden, actual, StandardCharsets.UTF_8);
        }
        assertTrue(Files.isRegularFile(golden), "golden file " + golden.toAbsolutePath() + " is missing");
        List<String> expected = Files.readAllLines(golden, StandardCharsets.UTF_8);
        List<String> got = actual.lines().toList();
        for (int i = 0; i < Math.min(expected.size(), got.size()); i++) {
            if (!expected.get(i).equals(got.get(i))) {
                fail("plan snapshot differs at line " + (i + 1) + "\n  expected: " + expected.get(i) + "\n  actual:   " + got.get(i)
                        + "\n  after:    " + (i > 0 ? got.get(i - 1) : "(start)"));
            }
        }
        assertEquals(expected.size(), got.size(), "plan snapshot line count");
    }

    static String snapshot() throws IOException {
        TuningTable shipped = shippedTable();
        assertTrue(shipped.size() > 0, "the shipped tuning table has no entries");
        Map<String, TuningTable> tables = new LinkedHashMap<>();
        tables.put("empty", TuningTable.EMPTY);
        tables.put("shipped", shipped);
        StringBuilder out = new StringBuilder();
        int cases = 0;
        for (String suiteName : SUITES) {
            JsonNode suite = readSuite(suiteName);
            Map<String, JsonNode> byName = new LinkedHashMap<>();
            for (JsonNode c : suite.get("cases")) {
                byName.put(c.get("name").asText(), c);
                ConvSpec spec = spec(c);
                for (int n : new int[] {1, 8}) {
                    Shape input = new Shape(n, spec.inChannels(), c.get("h").asInt(), c.get("w").asInt());
                    out.append("## ").append(suiteName).append('/').append(c.get("name").asText()).append(" n=").append(n)
                            .append(' ').append(spec).append('\n');
                    caseLines(out, spec, input, tables);
                    cases++;
                }
            }
            if (suite.has("pairs")) {
                for (JsonNode pair : suite.get("pairs")) blockLines(out, suiteName, pair, byName);
            }
        }
        assertTrue(cases >= 2 * 80, "expected the suites' 90-odd cases at two batches, got " + cases);
        return out.toString();
    }

    private static void caseLines(StringBuilder out, ConvSpec spec, Shape input, Map<String, TuningTable> tables) {
        Shape output = spec.outputShape(input);
        Map<String, String> seen = new java.util.HashMap<>();
        for (Algorithm a : Algorithm.values()) {
            if (!ShapeClass.tunable(a) || !Planner.runs(a, spec, DEVICES.get("pocl-cpu"))) continue;
            out.append("class ").append(a).append(": ").append(ShapeClass.of(a, spec, input).key())
                    .append(" defaults ").append(Tunables.defaults(a, spec))
                    .append(" candidates ").append(Tunables.candidates(a, spec)).append('\n');
        }
        for (Map.Entry<String, DeviceFacts> d : DEVICES.entrySet()) {
            DeviceFacts facts = d.getValue();
            for (Map.Entry<String, TuningTable> t : tables.entrySet()) {
                String where = d.getKey() + " " + t.getKey() + " ";
                line(out, seen, where + "prepare", () -> Planner.plan(spec, null, facts, t.getValue()), spec, null);
                line(out, seen, where + "auto", () -> Planner.plan(spec, input, facts, t.getValue()), spec, output);
                for (Algorithm a : Algorithm.values()) {
                    line(out, seen, where + "forced " + a, () -> Planner.plan(spec, input, facts, t.getValue(), a), spec, output);
                }
            }
            if (Planner.runs(Algorithm.WINOGRAD, spec, facts)) {
                Plan gemm = WinogradDescriptor.gemmPlan(spec, output, facts);
                out.append(d.getKey()).append(" winograd-gemm: ").append(describe(gemm))
                        .append(" global=").append(Arrays.toString(gemm.globalSize(Winograd.gemmSpec(spec),
                                Winograd.gemmInput(spec, output)))).append('\n');
                Plan gpuGemm = ((WinogradDescriptor) Algorithm.WINOGRAD_GPU.descriptor()).gemmPlanOf(spec, output, facts);
                out.append(d.getKey()).append(" winograd-gpu-gemm: ").append(describe(gpuGemm))
                        .append(" global=").append(Arrays.toString(gpuGemm.globalSize(Winograd.gemmSpec(spec),
                                Winograd.gemmInput(spec, output)))).append('\n');
            }
        }
    }

    /**
     * Appends {@code where: <plan and global size>}, or {@code where: refused: <message>}; a text already written
     * for this case is written as {@code where: = <label of its first occurrence>}, which keeps the file short.
     */
    private static void line(StringBuilder out, Map<String, String> seen, String where, Supplier<Plan> plan, ConvSpec spec,
                             Shape output) {
        String text;
        try {
            Plan p = plan.get();
            text = describe(p) + (output == null ? "" : " global=" + Arrays.toString(p.globalSize(spec, output)));
        } catch (IllegalArgumentException e) {
            text = "refused: " + e.getMessage();
        }
        String first = seen.putIfAbsent(text, where);
        out.append(where).append(": ").append(first == null ? text : "= " + first).append('\n');
    }

    private static String describe(BlockPlanner.Choice c) {
        return "Choice[mode=" + c.mode() + ", reason=" + c.reason() + "]";
    }

    private static String describe(Plan p) {
        return p.algorithm() + " " + p.defines() + " local=" + Arrays.toString(p.local()) + " reason=" + p.reason();
    }

    /** The fused-block plans of a separable pair made of a depthwise then a pointwise case. */
    private static void blockLines(StringBuilder out, String suiteName, JsonNode pair, Map<String, JsonNode> cases) {
        JsonNode members = pair.get("separable");
        if (members.size() != 2) return;
        ConvSpec dw = spec(cases.get(members.get(0).asText()));
        ConvSpec pw = spec(cases.get(members.get(1).asText()));
        if (dw.kind() != ConvSpec.Kind.DEPTHWISE || pw.kind() != ConvSpec.Kind.POINTWISE) return;
        SeparableBlock block = SeparableBlock.builder(dw.inChannels(), pw.outChannels()).depthMultiplier(dw.depthMultiplier())
                .kernel(dw.kernelH(), dw.kernelW()).stride(dw.strideH(), dw.strideW()).dilation(dw.dilationH(), dw.dilationW())
                .padding(dw.padTop(), dw.padLeft(), dw.padBottom(), dw.padRight()).build();
        JsonNode dwCase = cases.get(members.get(0).asText());
        out.append("## block ").append(suiteName).append('/').append(pair.get("name").asText()).append(' ').append(block).append('\n');
        out.append("cpu auto: ").append(describe(BlockPlanner.chooseCpu(block, BlockMode.AUTO))).append('\n');
        for (Map.Entry<String, DeviceFacts> d : DEVICES.entrySet()) {
            DeviceFacts facts = d.getValue();
            for (BlockMode mode : BlockMode.values()) {
                out.append(d.getKey()).append(' ').append(mode).append(": ");
                try {
                    out.append(describe(BlockPlanner.chooseOpenCl(block, mode, facts)));
                } catch (IllegalArgumentException e) {
                    out.append("refused: ").append(e.getMessage());
                }
                out.append('\n');
            }
            DsBlockDescriptor.Tiling tiling = DsBlockDescriptor.tiling(block, facts);
            out.append(d.getKey()).append(" tiling: ").append(tiling).append('\n');
            if (tiling == null) continue;
            out.append(d.getKey()).append(" defines: ").append(DsBlockDescriptor.tilingDefines(block, tiling)).append(" local=")
                    .append(Arrays.toString(tiling.local())).append(" tileBytes=").append(tiling.tileBytes(block.midChannels())).append('\n');
            for (int n : new int[] {1, 8}) {
                Shape output = block.outputShape(new Shape(n, block.inChannels(), dwCase.get("h").asInt(), dwCase.get("w").asInt()));
                DsBlockDescriptor.Grid g = tiling.grid(output, facts.computeUnits());
                out.append(d.getKey()).append(" grid n=").append(n).append(": global=").append(Arrays.toString(g.global()))
                        .append(" strip=").append(g.stripLength()).append(" perItem=").append(g.stripsPerItem())
                        .append(" channels=").append(g.channelsPerItem()).append(" stream=").append(g.streamOutput()).append('\n');
            }
        }
    }

    /** A suite case's spec; a single number stands for all axes of stride, pad and dil. */
    private static ConvSpec spec(JsonNode c) {
        int[] stride = axes(c, "stride", 2, 1), pad = axes(c, "pad", 4, 0), dil = axes(c, "dil", 2, 1);
        return ConvSpec.builder(c.get("cin").asInt(), c.get("cout").asInt(), c.get("kh").asInt(), c.get("kw").asInt())
                .stride(stride[0], stride[1]).padding(pad[0], pad[1], pad[2], pad[3]).dilation(dil[0], dil[1])
                .groups(c.has("groups") ? c.get("groups").asInt() : 1).build();
    }

    private static int[] axes(JsonNode c, String field, int count, int absent) {
        int[] v = new int[count];
        JsonNode node = c.get(field);
        for (int i = 0; i < count; i++) v[i] = node == null ? absent : node.isArray() ? node.get(i).asInt() : node.asInt();
        return v;
    }

    /** A suite the tool ships, from the classpath ({@link SuiteLoader#BUILT_IN}). */
    private static JsonNode readSuite(String name) throws IOException {
        String resource = "/" + SuiteLoader.BUILT_IN + "/" + name + ".json";
        try (InputStream in = PlanSnapshotTest.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("suite " + resource + " is not on the classpath");
            return new ObjectMapper().readTree(in);
        }
    }

    private static TuningTable shippedTable() throws IOException {
        String resource = "/org/convcl/plan/tuning/shipped.json";
        try (InputStream in = PlanSnapshotTest.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("shipped tuning table " + resource + " is not on the classpath");
            return TuningJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource);
        }
    }
}
