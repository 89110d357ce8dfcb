package org.convcl.plan;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.convcl.ConvSpec;
import org.convcl.DataType;
import org.convcl.Shape;

/**
 * Winograd F(2×2, 3×3) ({@code kernels/conv2d_winograd.cl}) for 3×3 stride-1 dilation-1 groups-1 specs (any
 * padding): four launches per forward — the input transform into scratch {@code V}, 16 batched GEMMs into scratch
 * {@code M}, the output transform with the epilogue, and the fixup that recomputes directly the tiles whose {@code M}
 * held NaN or ±Inf. The GEMMs run on a pointwise kernel: the CPU family's ({@link Algorithm#WINOGRAD}) or the GPU
 * family's ({@link Algorithm#WINOGRAD_GPU}, {@link #onGpuGemm}); the transforms are the same for both. The filters are
 * transformed once at prepare time ({@link Winograd}); the untransformed ones are uploaded too, for the fixup. Its
 * error bound is its own (docs/algorithms.md). Not tuned: the GEMMs run their kernel's defaults.
 */
public final class WinogradDescriptor implements AlgorithmDescriptor {
    /**
     * Fewest input and output channels for which the planner picks Winograd over the implicit GEMM on a 3×3 stride-1
     * layer. Measured on PoCL (docs/results/2026-11-22-pocl-winograd-vs-implicit-gemm.md): from 128 channels on it won on every layer tried (1.3x to 3.6x); at 64
     * it lost on 64→64 at 56×56 (0.83x to 0.92x) while winning at 28×28, and the choice is made from the spec alone
     * (the image size is unknown at prepare time); at 32 and below it mostly lost.
     */
    public static final int MIN_CHANNELS = 128;
    /** Transforms: tiles per work-group (the tile dimension, which PoCL vectorises; 16 to 64 measured alike). */
    static final int L0 = 32;
    /** Transforms: channels per work-group. */
    static final int L1 = 4;
    /** The input transform's entry point. */
    public static final String INPUT_ENTRY = "conv2d_winograd_input";
    /** The fixup's entry point. */
    public static final String FIXUP_ENTRY = "conv2d_winograd_fixup";
    /** Indices into {@link #kernels}. */
    static final int INPUT = 0, OUTPUT = 1, FIXUP = 2, GEMM = 3;

    /** The pointwise algorithm the batched GEMMs run on (resolved lazily: the enum constants refer to each other). */
    private final Supplier<Algorithm> gemm;

    /** Winograd with its GEMMs on the CPU family's pointwise kernel ({@link Algorithm#POINTWISE}). */
    WinogradDescriptor() {
        this(() -> Algorithm.POINTWISE);
    }

    private WinogradDescriptor(Supplier<Algorithm> gemm) {
        this.gemm = gemm;
    }

    /** Winograd with its GEMMs on the GPU family's pointwise kernel ({@link Algorithm#POINTWISE_GPU}). */
    static WinogradDescriptor onGpuGemm() {
        return new WinogradDescriptor(() -> Algorithm.POINTWISE_GPU);
    }

    /** The pointwise algorithm the 16 batched GEMMs run on. */
    public Algorithm gemmAlgorithm() { return gemm.get(); }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return Winograd.supports(spec) ? Optional.empty() : Optional.of("Winograd needs a 3x3 kernel, stride 1, dilation 1, groups 1");
    }

    @Override
    public Optional<String> passesOver(ConvSpec spec, DeviceFacts device) {
        return spec.inChannels() >= MIN_CHANNELS && spec.outChannels() >= MIN_CHANNELS ? Optional.empty()
                : Optional.of("fewer than " + MIN_CHANNELS + " input or output channels, where the implicit GEMM measured faster");
    }

    @Override
    public String kernelFile() { return "conv2d_winograd.cl"; }

    /** Its output-storing kernels add the residual ({@code HAS_RESIDUAL}). */
    @Override
    public boolean runsResidual() { return true; }

    /** The output transform (with the epilogue). */
    @Override
    public String entryPoint() { return "conv2d_winograd_output"; }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, Map<String, Integer> params) {
        return Collections.emptySortedMap();
    }

    @Override
    public long[] local(ConvSpec spec, Shape output, Map<String, Integer> params) {
        return output == null ? new long[] {L0, L1, 1}
                : new long[] {Planner.fit((long) Winograd.tilesY(output) * Winograd.tilesX(output), L0),
                        Planner.fit(Math.min(spec.inChannels(), spec.outChannels()), L1), 1};
    }

    @Override
    public String describe(ConvSpec spec, Map<String, Integer> params, boolean forced) {
        AlgorithmDescriptor g = gemmAlgorithm().descriptor();
        ConvSpec gemmSpec = Winograd.gemmSpec(spec);
        SortedMap<String, Integer> gemmParams = g.defaults(gemmSpec);
        String gemmText = g instanceof PointwiseDescriptor
                ? "pointwise kernel, " + Math.min(gemmParams.get(Plan.TILE_OC), spec.outChannels()) + " channels x "
                        + gemmParams.get(Plan.VEC) + " tiles per work-item"
                : gemmAlgorithm() + ", " + gemmParams.get(PointwiseGpuDescriptor.TILE_M) + " channels x "
                        + gemmParams.get(PointwiseGpuDescriptor.TILE_N) + " tiles per work-group of "
                        + gemmParams.get(PointwiseGpuDescriptor.L0) * gemmParams.get(PointwiseGpuDescriptor.L1) + " items";
        return "winograd F(2x2,3x3): " + (forced ? "" : "3x3 stride 1 groups 1 with cin, cout >= " + MIN_CHANNELS + ", ")
                + "input transform, 16 batched GEMMs (" + gemmText + "), output transform + epilogue";
    }

    /** The output transform's: {@code (ceil(OH / 2) · ceil(OW / 2), outChannels, N)}. */
    @Override
    public long[] globalSize(Plan plan, ConvSpec spec, Shape output) {
        return new long[] {(long) Winograd.tilesY(output) * Winograd.tilesX(output), output.c(), output.n()};
    }

    /** The three transforms with the plan's defines and the epilogue, then the GEMM ({@link #gemmDefines}) without it. */
    @Override
    public List<Launch.Kernel> kernels(Plan plan, ConvSpec spec) {
        return List.of(new Launch.Kernel(kernelFile(), INPUT_ENTRY, plan.defines(), true),
                new Launch.Kernel(kernelFile(), entryPoint(), plan.defines(), true),
                new Launch.Kernel(kernelFile(), FIXUP_ENTRY, plan.defines(), true),
                new Launch.Kernel(gemmAlgorithm().kernelFile(), gemmAlgorithm().entryPoint(), gemmDefines(spec), false));
    }

    /**
     * Input transform, GEMM, output transform, fixup. The transforms share a local size within both their kernels'
     * limits (channels halved first); the GEMM is planned within its own; the fixup runs one tile per work-item.
     */
    @Override
    public List<Launch> launches(Plan plan, ConvSpec spec, Shape in, DeviceFacts device, long[] kernelLimits) {
        Shape out = spec.outputShape(in);
        int tilesY = Winograd.tilesY(out), tilesX = Winograd.tilesX(out), tiles = tilesY * tilesX;
        long[] local = plan.local();
        while (local[0] * local[1] > Math.min(kernelLimits[INPUT], kernelLimits[OUTPUT])) {
            if (local[1] > 1) local[1] /= 2; else local[0] = Math.max(1, local[0] / 2);
        }
        Plan gemm = gemmPlanOf(spec, out, device.withMaxWorkGroupSize(kernelLimits[GEMM]));
        Shape gemmIn = Winograd.gemmInput(spec, out);
        Shape gemmOut = new Shape(gemmIn.n(), spec.outChannels(), 1, gemmIn.w());
        return List.of(
                new Launch(INPUT, new long[] {tiles, in.c(), in.n()}, local, Launch.args(
                        List.of(Launch.Role.INPUT, Launch.Role.TRANSFORMED_INPUT),
                        in.n(), in.c(), in.h(), in.w(), tilesY, tilesX, spec.padTop(), spec.padLeft())),
                new Launch(GEMM, gemm.globalSize(Winograd.gemmSpec(spec), gemmOut), gemm.local(), Launch.args(
                        List.of(Launch.Role.TRANSFORMED_INPUT, Launch.Role.TRANSFORMED_WEIGHTS, Launch.Role.NO_BIAS, Launch.Role.PRODUCTS),
                        gemmIn.n(), gemmIn.c(), 1, gemmIn.w(), spec.outChannels(), 1, gemmIn.w(), 1, 0, 0)),
                new Launch(OUTPUT, globalSize(plan, spec, out), local, Launch.args(
                        List.of(Launch.Role.PRODUCTS, Launch.Role.TILE_FLAGS, Launch.Role.BIAS, Launch.Role.OUTPUT),
                        in.n(), out.c(), out.h(), out.w(), tilesY, tilesX)),
                new Launch(FIXUP, new long[] {tiles, in.n(), 1}, new long[] {Math.min(local[0], kernelLimits[FIXUP]), 1, 1}, Launch.args(
                        List.of(Launch.Role.TILE_FLAGS, Launch.Role.INPUT, Launch.Role.WEIGHTS, Launch.Role.BIAS, Launch.Role.OUTPUT),
                        in.n(), in.c(), in.h(), in.w(), out.c(), out.h(), out.w(), tilesY, tilesX, spec.padTop(), spec.padLeft())));
    }

    /** The transformed filters {@code U} for the GEMMs, then the filters as they are for the fixup. */
    @Override
    public List<Launch.Upload> uploads(ConvSpec spec, float[] foldedWeights) {
        return List.of(new Launch.Upload(Launch.Role.TRANSFORMED_WEIGHTS, "winograd weights",
                        Winograd.transformWeights(foldedWeights, spec.outChannels(), spec.inChannels())),
                new Launch.Upload(Launch.Role.WEIGHTS, "weights", foldedWeights));
    }

    /** {@code V}, {@code M} and the tile flags (all zero) for {@code output}. */
    @Override
    public List<Launch.Scratch> scratch(ConvSpec spec, Shape output) {
        return List.of(
                new Launch.Scratch(Launch.Role.TRANSFORMED_INPUT, "winograd input transform",
                        DataType.FLOAT32.bytes(Winograd.scratchFloats(spec.inChannels(), output)), false),
                new Launch.Scratch(Launch.Role.PRODUCTS, "winograd GEMM output", DataType.FLOAT32.bytes(Winograd.scratchFloats(spec.outChannels(), output)), false),
                new Launch.Scratch(Launch.Role.TILE_FLAGS, "winograd non-finite tile flags",
                        (long) Integer.BYTES * output.n() * Winograd.tilesY(output) * Winograd.tilesX(output), true));
    }

    /**
     * Why the GEMMs' kernel does not fit {@code device} with its defaults (the transforms' local size shrinks to any
     * device, the GPU GEMM's does not); empty when it fits.
     */
    @Override
    public Optional<String> misfit(ConvSpec spec, Map<String, Integer> params, DeviceFacts device) {
        ConvSpec gemmSpec = Winograd.gemmSpec(spec);
        AlgorithmDescriptor g = gemmAlgorithm().descriptor();
        return g.misfit(gemmSpec, g.defaults(gemmSpec), device).map(why -> "its GEMM kernel " + gemmAlgorithm() + ": " + why);
    }

    /** The GEMM kernel's defines: its defaults on {@link Winograd#gemmSpec} with {@link PointwiseDescriptor#WEI_BATCH} = 16. */
    SortedMap<String, Integer> gemmDefines(ConvSpec spec) {
        ConvSpec gemmSpec = Winograd.gemmSpec(spec);
        AlgorithmDescriptor g = gemmAlgorithm().descriptor();
        TreeMap<String, Integer> defines = new TreeMap<>(g.defines(gemmSpec, g.defaults(gemmSpec)));
        defines.put(PointwiseDescriptor.WEI_BATCH, Winograd.POSITIONS);
        return defines;
    }

    /**
     * The plan of a {@link Algorithm#WINOGRAD} layer's 16 batched GEMMs for {@code output}: {@link #gemmPlanOf} of the
     * CPU family's Winograd.
     */
    public static Plan gemmPlan(ConvSpec spec, Shape output, DeviceFacts device) {
        return ((WinogradDescriptor) Algorithm.WINOGRAD.descriptor()).gemmPlanOf(spec, output, device);
    }

    /**
     * The plan of this Winograd's 16 batched GEMMs for {@code output}: its GEMM kernel's defaults on
     * {@link Winograd#gemmSpec} and {@link Winograd#gemmInput}, with {@link PointwiseDescriptor#WEI_BATCH} = 16 so that
     * GEMM batch index b multiplies weight matrix b mod 16.
     */
    public Plan gemmPlanOf(ConvSpec spec, Shape output, DeviceFacts device) {
        Plan p = Planner.planWith(gemmAlgorithm(), Winograd.gemmSpec(spec), Winograd.gemmInput(spec, output), device);
        return new Plan(p.algorithm(), gemmDefines(spec), p.local(), "winograd GEMM: " + p.reason());
    }
}
