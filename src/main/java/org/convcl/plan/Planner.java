package org.convcl.plan;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * Chooses how to run a convolution: a pure function of the spec, the input shape, the device facts and a
 * {@link TuningTable} (no OpenCL calls, no I/O, no state). Without a tuning hit the defines depend only on
 * the spec, so one compiled program serves every image size; the input shape only shapes the local size
 * (trimmed for small images, channels batched into the work-group for narrow depthwise layers). A tuning
 * hit replaces the defaults for the layer's {@link ShapeClass} ({@link Tunables} names the parameters).
 *
 * <p>Choices: 1×1 stride-1 unpadded → pointwise GEMM; groups == inChannels → depthwise; otherwise the
 * 3×3 stride-1 dilation-1 groups-1 with at least {@link #WINO_MIN_CHANNELS} input and output channels →
 * Winograd F(2×2, 3×3); otherwise the implicit GEMM when a group has at least {@link #IG_MIN_OUT_PER_GROUP}
 * output channels, else the direct kernel. A caller may force an algorithm that can run the spec
 * ({@link #plan(ConvSpec, Shape, DeviceFacts, TuningTable, Algorithm)}, {@link #runs}). The defaults are tuned for PoCL on a 2-core AVX-512 CPU (docs/kernels.md).
 *
 * <p>Tile constants live here, in one place, named and documented.
 */
public final class Planner {
    /** Output channels per work-item in the direct kernel (fewer than {@link #IG_MIN_OUT_PER_GROUP} per group, so min(4, that)). */
    public static final int TILE_OC = 4;
    /**
     * Output channels per work-item in the pointwise GEMM: rows of the register block. 12 accumulators plus
     * {@link #PW_KSTEP} input vectors fit AVX-512's 32 registers with room to spare; 12 beat 8 by 10-20% on
     * MobileNet-V1 at batch 1 and 8, and 16 lost on 7×7 layers at batch 8 (docs/kernels.md).
     */
    public static final int PW_TILE_OC = 12;
    /** Pixels per work-item in the pointwise GEMM: one vector register per output channel. */
    public static final int PW_VEC = 16;
    /** Input channels per step of the pointwise reduction loop. */
    public static final int PW_KSTEP = 4;
    /** Pointwise local size: pixel blocks x channel blocks sharing weights and inputs in cache. */
    static final int PW_L0 = 4;
    static final int PW_L1 = 4;
    /** Outputs along x per work-item (depthwise): one vector register per output row and channel. */
    public static final int DW_VEC = 8;
    /** Output rows per work-item (depthwise): each input row is loaded once for all kernel rows that read it. */
    public static final int DW_TILE_Y = 4;
    /**
     * Depthwise local size along x: blocks of one row of one plane, for locality. When a row has fewer blocks,
     * the work-group is filled up to {@link #DW_GROUP} work-items with channels, so 7×7 and 14×14 layers
     * still make compact work-groups over several planes.
     */
    static final int DW_L0 = 4;
    /** Depthwise work-items per work-group when channels fill it. */
    static final int DW_GROUP = 16;
    /** Fewest output channels per group worth an implicit-GEMM register block; below it the direct kernel runs. */
    public static final int IG_MIN_OUT_PER_GROUP = 4;
    /** Output channels per work-item (implicit GEMM): rows of the register block. */
    public static final int IG_TILE_OC = 8;
    /** Outputs along x per work-item (implicit GEMM): one vector register per output channel. */
    public static final int IG_VEC = 16;
    /** Implicit-GEMM local size: one block along x, 4 rows, 4 channel blocks. */
    static final int IG_L0 = 1;
    static final int IG_L1 = 4;
    static final int IG_L2 = 4;
    /**
     * Fewest input and output channels for which Winograd F(2×2, 3×3) runs instead of the implicit GEMM on a
     * 3×3 stride-1 layer. Measured on PoCL (docs/kernels.md): from 128 channels on it won on every layer tried
     * (1.3x to 3.6x); at 64 it lost on 64→64 at 56×56 (0.83x to 0.92x) while winning at 28×28, and the choice is
     * made from the spec alone (the image size is unknown at prepare time); at 32 and below it mostly lost.
     */
    public static final int WINO_MIN_CHANNELS = 128;
    /** Winograd transforms: tiles per work-group (the tile dimension, which PoCL vectorises; 16 to 64 measured alike). */
    static final int WINO_L0 = 32;
    /** Winograd transforms: channels per work-group. */
    static final int WINO_L1 = 4;
    /** Weight matrices the Winograd GEMM cycles through over its batch: one per transformed position. */
    public static final String WEI_BATCH = "WEI_BATCH";
    /** Direct kernel: preferred local size along the fastest grid dimension. */
    static final int LOCAL_X = 16;
    /** Direct kernel: preferred local size along the second grid dimension. */
    static final int LOCAL_Y = 4;

    private Planner() {}

    /** Plans {@code spec} with the defaults only: {@link #plan(ConvSpec, Shape, DeviceFacts, TuningTable)} with an empty table. */
    public static Plan plan(ConvSpec spec, Shape input, DeviceFacts device) {
        return plan(spec, input, device, TuningTable.EMPTY);
    }

    /**
     * Plans {@code spec} for {@code input} on a device. The algorithm follows from the spec alone; its tile
     * and work-group parameters come from {@code tuning} when the table has an entry for (algorithm,
     * {@link ShapeClass} of the layer, {@link DeviceFacts#deviceKey()}) that fits the spec (the reason then
     * starts with {@code tuned:}), else from the defaults (the reason starts with {@code default:}).
     *
     * @param spec   the convolution
     * @param input  the input shape, or {@code null} when not yet known (prepare time): the defaults are used
     *               (a shape class needs the image size) and the local size assumes a large image
     * @param device the device limits and tuning key
     * @param tuning the tuning table ({@link TuningTable#EMPTY} for defaults only)
     * @return the algorithm, defines, local size and a one-line reason
     */
    public static Plan plan(ConvSpec spec, Shape input, DeviceFacts device, TuningTable tuning) {
        return plan(spec, input, device, tuning, null);
    }

    /**
     * {@link #plan(ConvSpec, Shape, DeviceFacts, TuningTable)} with the algorithm forced (tests, benchmarks);
     * {@code forced} null is the planner's choice.
     *
     * @throws IllegalArgumentException when {@code forced} cannot run {@code spec} ({@link #runs})
     */
    public static Plan plan(ConvSpec spec, Shape input, DeviceFacts device, TuningTable tuning, Algorithm forced) {
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        if (device == null) throw new IllegalArgumentException("device facts must not be null");
        if (tuning == null) throw new IllegalArgumentException("tuning table must not be null (use TuningTable.EMPTY)");
        Shape output = input == null ? null : spec.outputShape(input);
        if (forced != null) requireRuns(forced, spec);
        Algorithm algorithm = forced == null ? algorithm(spec) : forced;
        String chosen = forced == null ? "" : "forced ";
        SortedMap<String, Integer> params = Tunables.defaults(algorithm, spec);
        String source = "default";
        if (input != null && ShapeClass.tunable(algorithm)) {
            ShapeClass shapeClass = ShapeClass.of(algorithm, spec, input);
            Optional<TuningTable.Entry> hit = tuning.lookup(device.deviceKey(), shapeClass);
            if (hit.isPresent()) {
                String misfit = Tunables.misfit(spec, hit.get().params());
                if (misfit == null) {
                    params = hit.get().params();
                    source = "tuned [" + shapeClass.key() + "]";
                } else {
                    source = "default [tuned entry for " + shapeClass.key() + " does not fit: " + misfit + "]";
                }
            }
        }
        TreeMap<String, Integer> defines = new TreeMap<>();
        return switch (algorithm) {
            case POINTWISE -> {
                int tileOc = Math.min(params.get(Plan.TILE_OC), spec.outChannels());
                int vec = params.get(Plan.VEC), kstep = params.get(Plan.KSTEP), l0 = params.get("L0"), l1 = params.get("L1");
                defines.put(Plan.TILE_OC, tileOc);
                defines.put(Plan.VEC, vec);
                defines.put(Plan.KSTEP, kstep);
                long[] local = output == null ? new long[] {l0, l1, 1}
                        : new long[] {fit(Plan.ceilDiv((long) output.h() * output.w(), vec), l0),
                                fit(Plan.ceilDiv(output.c(), tileOc), l1), 1};
                yield new Plan(algorithm, defines, clamp(local, device),
                        chosen + source + ": pointwise: GEMM per image, " + tileOc + " channels x " + vec + " pixels per work-item, K step "
                                + kstep);
            }
            case DEPTHWISE -> {
                putWindow(defines, spec);
                defines.put("DEPTH_MULT", spec.depthMultiplier());
                int vec = params.get(Plan.VEC), tileY = params.get(Plan.TILE_Y), l0Pref = params.get("L0"), group = params.get("GROUP");
                defines.put(Plan.VEC, vec);
                defines.put(Plan.TILE_Y, tileY);
                long[] local;
                if (output == null) {
                    local = new long[] {l0Pref, 1, 1};
                } else {
                    long blocksX = Plan.ceilDiv(output.w(), vec);
                    long l0 = fit(blocksX, l0Pref);
                    local = new long[] {l0, 1, blocksX >= l0Pref ? 1 : fit((long) output.n() * spec.inChannels(), group / l0)};
                }
                yield new Plan(algorithm, defines, clamp(local, device),
                        chosen + source + ": depthwise: γ=" + spec.depthMultiplier() + ", " + window(spec) + ", " + tileY + " rows x " + vec
                                + " outputs along x per work-item");
            }
            case IMPLICIT_GEMM -> {
                putWindow(defines, spec);
                int tileOc = Math.min(params.get(Plan.TILE_OC), spec.outChannelsPerGroup());
                int vec = params.get(Plan.VEC);
                defines.put(Plan.TILE_OC, tileOc);
                defines.put(Plan.VEC, vec);
                long[] local = output == null ? new long[] {params.get("L0"), params.get("L1"), params.get("L2")}
                        : new long[] {fit(Plan.ceilDiv(output.w(), vec), params.get("L0")), fit(output.h(), params.get("L1")),
                        fit((long) output.n() * spec.groups() * Plan.ceilDiv(spec.outChannelsPerGroup(), tileOc), params.get("L2"))};
                yield new Plan(algorithm, defines, clamp(local, device),
                        chosen + source + ": implicit GEMM: groups=" + spec.groups() + ", " + window(spec) + ", " + tileOc
                                + " output channels x " + vec + " outputs along x per work-item");
            }
            case WINOGRAD -> {
                long[] local = output == null ? new long[] {WINO_L0, WINO_L1, 1}
                        : new long[] {fit((long) Winograd.tilesY(output) * Winograd.tilesX(output), WINO_L0), fit(Math.min(spec.inChannels(), spec.outChannels()), WINO_L1), 1};
                SortedMap<String, Integer> gemm = Tunables.defaults(Algorithm.POINTWISE, spec);
                yield new Plan(algorithm, defines, clamp(local, device),
                        chosen + source + ": winograd F(2x2,3x3): " + (forced == null ? "3x3 stride 1 groups 1 with cin, cout >= "
                                + WINO_MIN_CHANNELS + ", " : "") + "input transform, 16 batched GEMMs (pointwise kernel, "
                                + Math.min(gemm.get(Plan.TILE_OC), spec.outChannels()) + " channels x " + gemm.get(Plan.VEC)
                                + " tiles per work-item), output transform + epilogue");
            }
            case DIRECT -> {
                putWindow(defines, spec);
                int tileOc = Math.min(TILE_OC, spec.outChannelsPerGroup());
                defines.put(Plan.TILE_OC, tileOc);
                long[] local = output == null ? new long[] {LOCAL_X / 2, LOCAL_Y * 2, 1}
                        : new long[] {fit(output.w(), LOCAL_X / 2), fit(output.h(), LOCAL_Y * 2), 1};
                yield new Plan(algorithm, defines, clamp(local, device),
                        chosen + source + ": direct: groups=" + spec.groups() + ", " + window(spec) + ", " + tileOc
                                + " output channels per work-item (fewer than " + IG_MIN_OUT_PER_GROUP
                                + " per group: too few for a register block)");
            }
        };
    }

    /**
     * The kernel for {@code spec}: 1×1 stride-1 unpadded groups-1 → pointwise; groups == inChannels →
     * depthwise; otherwise the implicit GEMM with at least {@link #IG_MIN_OUT_PER_GROUP} output channels per
     * group, else the direct kernel.
     */
    public static Algorithm algorithm(ConvSpec spec) {
        return switch (spec.kind()) {
            case POINTWISE -> Algorithm.POINTWISE;
            case DEPTHWISE -> Algorithm.DEPTHWISE;
            case FULL, GROUPED -> Winograd.supports(spec) && spec.inChannels() >= WINO_MIN_CHANNELS
                    && spec.outChannels() >= WINO_MIN_CHANNELS ? Algorithm.WINOGRAD
                    : spec.outChannelsPerGroup() >= IG_MIN_OUT_PER_GROUP ? Algorithm.IMPLICIT_GEMM : Algorithm.DIRECT;
        };
    }

    /**
     * Whether {@code algorithm} can run {@code spec}: the direct kernel and the implicit GEMM run every spec,
     * the pointwise and depthwise kernels their own kind, Winograd 3×3 stride-1 dilation-1 groups-1 specs.
     */
    public static boolean runs(Algorithm algorithm, ConvSpec spec) {
        return switch (algorithm) {
            case DIRECT, IMPLICIT_GEMM -> true;
            case POINTWISE -> spec.kind() == ConvSpec.Kind.POINTWISE;
            case DEPTHWISE -> spec.kind() == ConvSpec.Kind.DEPTHWISE;
            case WINOGRAD -> Winograd.supports(spec);
        };
    }

    /** Throws {@link IllegalArgumentException} naming the algorithm and the spec when {@code algorithm} cannot run {@code spec}. */
    public static void requireRuns(Algorithm algorithm, ConvSpec spec) {
        if (!runs(algorithm, spec)) {
            throw new IllegalArgumentException("algorithm " + algorithm + " cannot run " + spec + switch (algorithm) {
                case WINOGRAD -> " (Winograd needs a 3x3 kernel, stride 1, dilation 1, groups 1)";
                case POINTWISE -> " (the pointwise kernel needs a 1x1 kernel, stride 1, no padding, groups 1)";
                case DEPTHWISE -> " (the depthwise kernel needs groups == inChannels)";
                case DIRECT, IMPLICIT_GEMM -> "";
            });
        }
    }

    /**
     * The plan of a Winograd layer's 16 batched GEMMs for {@code output}: the pointwise kernel's defaults on
     * {@link Winograd#gemmSpec} and {@link Winograd#gemmInput}, with {@link #WEI_BATCH} = 16 so that GEMM batch
     * index b multiplies weight matrix b mod 16.
     */
    public static Plan winogradGemm(ConvSpec spec, Shape output, DeviceFacts device) {
        Plan p = plan(Winograd.gemmSpec(spec), Winograd.gemmInput(spec, output), device, TuningTable.EMPTY, null);
        TreeMap<String, Integer> defines = new TreeMap<>(p.defines());
        defines.put(WEI_BATCH, Winograd.POSITIONS);
        return new Plan(p.algorithm(), defines, p.local(), "winograd GEMM: " + p.reason());
    }

    /** The window defines every windowed kernel takes: KH, KW (kernel), SH, SW (stride), DH, DW (dilation). */
    static void putWindow(Map<String, Integer> defines, ConvSpec spec) {
        defines.put("KH", spec.kernelH());
        defines.put("KW", spec.kernelW());
        defines.put("SH", spec.strideH());
        defines.put("SW", spec.strideW());
        defines.put("DH", spec.dilationH());
        defines.put("DW", spec.dilationW());
    }

    private static String window(ConvSpec spec) {
        return "k" + spec.kernelH() + "x" + spec.kernelW() + " stride " + spec.strideH() + "x" + spec.strideW()
                + " dilation " + spec.dilationH() + "x" + spec.dilationW();
    }

    /** The preferred size, or the smallest power of two covering {@code extent} when that is smaller. */
    static long fit(long extent, long preferred) {
        long p = 1;
        while (p < extent && p < preferred) p <<= 1;
        return p;
    }

    /** Halves the largest local dimension until every per-dimension limit and the work-group limit hold. */
    static long[] clamp(long[] local, DeviceFacts device) {
        long[] l = local.clone();
        long[] perDim = device.maxWorkItemSizes();
        for (int i = 0; i < 3; i++) l[i] = Math.max(1, Math.min(l[i], perDim[i]));
        while (l[0] * l[1] * l[2] > device.maxWorkGroupSize()) {
            int largest = 0;
            for (int i = 1; i < 3; i++) if (l[i] > l[largest]) largest = i;
            l[largest] = Math.max(1, l[largest] / 2);
            if (Arrays.stream(l).allMatch(v -> v == 1)) break;
        }
        return l;
    }
}
