package org.convcl.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.function.Function;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * Chooses how to run a convolution: one pure function ({@link #plan(ConvSpec, Shape, DeviceFacts, TuningTable, Algorithm)})
 * of the spec, the input shape, the device facts and a {@link TuningTable}, over the descriptors of the registry of the device's {@link KernelFamily} ({@link #registry})
 * (no OpenCL calls, no I/O, no state).
 *
 * <p>The algorithm is the first of that registry whose descriptor neither declines the spec nor passes it over
 * (pointwise, depthwise, Winograd from {@link WinogradDescriptor#MIN_CHANNELS} channels, the implicit GEMM from
 * {@link ImplicitGemmDescriptor#MIN_OUT_PER_GROUP} output channels per group, else the direct kernel), or the one a
 * caller forces when its descriptor does not decline; an algorithm whose defaults do not fit the device's local memory
 * or work-group limits ({@link AlgorithmDescriptor#misfit}) gives way to the next. Its parameters are the descriptor's
 * defaults, or a tuning entry's for the layer's {@link ShapeClass} on this device, its vendor and type, or its type
 * when one fits. Without a tuning hit the defines depend only
 * on the spec, so one compiled program serves every image size; the input shape only shapes the local size (trimmed for
 * small images, then to the device limits). The defaults are tuned for PoCL on a 2-core AVX-512 CPU (docs/algorithms.md).
 */
public final class Planner {
    /**
     * The CPU family's convolution algorithms, most preferred first: the planner takes the first that runs a spec and
     * is not passed over.
     */
    public static final List<Algorithm> CPU_REGISTRY = List.of(Algorithm.POINTWISE, Algorithm.DEPTHWISE, Algorithm.WINOGRAD,
            Algorithm.IMPLICIT_GEMM, Algorithm.DIRECT);
    /**
     * The GPU family's convolution algorithms, most preferred first: its own kernels, each followed by the CPU family's
     * kernel of the same kind, which runs what has no GPU kernel yet or what the GPU kernel does not fit (the direct
     * kernel runs what no other takes).
     */
    public static final List<Algorithm> GPU_REGISTRY = List.of(Algorithm.POINTWISE_GPU, Algorithm.POINTWISE,
            Algorithm.DEPTHWISE_GPU, Algorithm.DEPTHWISE, Algorithm.WINOGRAD_GPU, Algorithm.WINOGRAD, Algorithm.IMPLICIT_GEMM_GPU,
            Algorithm.IMPLICIT_GEMM, Algorithm.DIRECT);

    /** The registry of {@code family}. */
    public static List<Algorithm> registry(KernelFamily family) {
        return family == KernelFamily.GPU ? GPU_REGISTRY : CPU_REGISTRY;
    }

    private Planner() {}

    /** Plans {@code spec} with the defaults only: {@link #plan(ConvSpec, Shape, DeviceFacts, TuningTable)} with an empty table. */
    public static Plan plan(ConvSpec spec, Shape input, DeviceFacts device) {
        return plan(spec, input, device, TuningTable.EMPTY);
    }

    /** {@link #plan(ConvSpec, Shape, DeviceFacts, TuningTable, Algorithm)} with the planner's own choice of algorithm. */
    public static Plan plan(ConvSpec spec, Shape input, DeviceFacts device, TuningTable tuning) {
        return plan(spec, input, device, tuning, null);
    }

    /**
     * Plans {@code spec} for {@code input} on a device: the algorithm (the planner's choice, or {@code forced}), its
     * defines, local size and a one-line reason. The parameters come from {@code tuning} when the table has an entry
     * for (algorithm, {@link ShapeClass} of the layer) under the device's key, else its vendor and type, else its type
     * ({@link TuningTable#lookup(DeviceFacts, ShapeClass)}) that fits the spec and the device (the reason then starts
     * with {@code tuned}), else from the descriptor's defaults ({@code default}); {@code forced } comes first when the
     * algorithm was forced.
     *
     * <p>Every plan fits the device ({@link AlgorithmDescriptor#misfit}): a tuned entry that does not fit gives way to
     * the defaults, and an algorithm whose defaults do not fit gives way to the next of the family's registry, the
     * reason saying what did not fit and what the plan fell back to.
     *
     * @param spec   the convolution
     * @param input  the input shape, or {@code null} when not yet known (prepare time): the defaults are used (a shape
     *               class needs the image size) and the local size assumes a large image
     * @param device the device limits and tuning keys
     * @param tuning the tuning table ({@link TuningTable#EMPTY} for defaults only)
     * @param forced the algorithm to use (tests, benchmarks, {@link #settingFor the convcl.algorithm setting}); null:
     *               the planner's choice
     * @throws IllegalArgumentException when {@code forced} cannot run {@code spec} ({@link #requireRuns}) or its
     *                                  defaults do not fit the device
     */
    public static Plan plan(ConvSpec spec, Shape input, DeviceFacts device, TuningTable tuning, Algorithm forced) {
        return plan(spec, input, device, tuning, forced, false);
    }

    /**
     * {@link #plan(ConvSpec, Shape, DeviceFacts, TuningTable, Algorithm)} for a layer whose epilogue adds a residual
     * tensor when {@code residual}: only algorithms whose kernels add it ({@link AlgorithmDescriptor#runsResidual}) are
     * taken (the direct kernel, last of every registry, does), and the reason ends with {@code + residual}.
     *
     * @throws IllegalArgumentException also when {@code forced} does not add a residual
     */
    public static Plan plan(ConvSpec spec, Shape input, DeviceFacts device, TuningTable tuning, Algorithm forced,
                            boolean residual) {
        Plan plan = choose(spec, input, device, tuning, forced, residual);
        return residual ? new Plan(plan.algorithm(), plan.defines(), plan.local(), plan.reason() + " + residual") : plan;
    }

    private static Plan choose(ConvSpec spec, Shape input, DeviceFacts device, TuningTable tuning, Algorithm forced,
                               boolean residual) {
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        if (device == null) throw new IllegalArgumentException("device facts must not be null");
        if (tuning == null) throw new IllegalArgumentException("tuning table must not be null (use TuningTable.EMPTY)");
        if (forced != null) {
            requireRuns(forced, spec, device);
            if (residual && !forced.descriptor().runsResidual()) {
                throw new IllegalArgumentException("algorithm " + forced + " cannot run " + spec + " with a residual (its kernels do not add one)");
            }
            return fitting(forced, spec, input, device, tuning, "forced ", List.of());
        }
        List<String> misfits = new ArrayList<>();
        for (Algorithm algorithm : registry(device.family())) {
            AlgorithmDescriptor d = algorithm.descriptor();
            if (residual && !d.runsResidual()) continue;
            if (d.declines(spec, device).isPresent() || d.passesOver(spec, device).isPresent()) continue;
            Optional<String> misfit = d.misfit(spec, d.defaults(spec), device);
            if (misfit.isPresent()) {
                misfits.add(algorithm + " does not fit: " + misfit.get());
                continue;
            }
            return fitting(algorithm, spec, input, device, tuning, "", misfits);
        }
        throw new IllegalStateException("no algorithm of " + registry(device.family()) + " takes " + spec
                + (misfits.isEmpty() ? "" : " on this device (" + String.join("; ", misfits) + ")"));
    }

    /**
     * The plan of {@code algorithm} with its defaults, as if the planner had chosen it (no {@code forced} in the
     * reason): the plan of a kernel another algorithm launches (Winograd's GEMMs).
     *
     * @throws IllegalArgumentException when it cannot run {@code spec} or does not fit {@code device}
     */
    static Plan planWith(Algorithm algorithm, ConvSpec spec, Shape input, DeviceFacts device) {
        requireRuns(algorithm, spec, device);
        return fitting(algorithm, spec, input, device, null, "", List.of());
    }

    /**
     * The plan of {@code algorithm}, whose defaults must fit: a fitting tuned entry's parameters, else the defaults.
     *
     * @param tuning   the table, or null for a kernel that is never tuned (its reason then says just {@code default})
     * @param label    {@code "forced "} or empty, the reason's start
     * @param misfits  the algorithms passed over before it because they did not fit, for the reason
     * @throws IllegalArgumentException when the defaults do not fit the device (only a forced algorithm gets here so)
     */
    private static Plan fitting(Algorithm algorithm, ConvSpec spec, Shape input, DeviceFacts device, TuningTable tuning,
                                String label, List<String> misfits) {
        AlgorithmDescriptor d = algorithm.descriptor();
        SortedMap<String, Integer> params = d.defaults(spec);
        d.misfit(spec, params, device).ifPresent(why -> {
            throw new IllegalArgumentException("algorithm " + algorithm + " does not fit the device for " + spec + ": " + why);
        });
        String source = "default";
        if (input != null && tuning != null && ShapeClass.tunable(algorithm)) {
            Tuned t = tuned(device, tuning, ShapeClass.of(algorithm, spec, input), params, p -> {
                String misfit = Tunables.misfit(algorithm, spec, p);
                return misfit != null ? misfit : d.misfit(spec, p, device).orElse(null);
            });
            params = t.params();
            source = t.source();
        }
        String fellBack = misfits.isEmpty() ? "" : " [" + String.join("; ", misfits) + "; fell back to " + algorithm + "]";
        return new Plan(algorithm, d.defines(spec, params), clamp(d.local(spec, input == null ? null : spec.outputShape(input), params), device),
                label + source + fellBack + ": " + d.describe(spec, params, !label.isEmpty()));
    }

    /** The parameters a plan takes and the start of its reason ({@code tuned [...]} or {@code default [...]}). */
    record Tuned(SortedMap<String, Integer> params, String source) {}

    /**
     * {@code shapeClass}'s entry in {@code tuning} for {@code device} when {@code misfit} (why parameters do not fit, null
     * when they do) accepts it, else {@code defaults}, with the reason's source: the entry served, the entry that did not
     * fit and why, or on the GPU family the keys tried without an entry.
     */
    static Tuned tuned(DeviceFacts device, TuningTable tuning, ShapeClass shapeClass, SortedMap<String, Integer> defaults,
                       Function<Map<String, Integer>, String> misfit) {
        Optional<TuningTable.Entry> hit = tuning.lookup(device, shapeClass);
        if (hit.isPresent()) {
            String where = tuningLabel(device, hit.get().key().deviceKey(), shapeClass);
            String why = misfit.apply(hit.get().params());
            return why == null ? new Tuned(hit.get().params(), "tuned [" + where + "]")
                    : new Tuned(defaults, "default [tuned entry for " + where + " does not fit: " + why + "]");
        }
        return new Tuned(defaults, device.family() == KernelFamily.GPU ? "default [no tuning for "
                + String.join(", ", TuningTable.lookupKeys(device)) + " | " + shapeClassLabel(shapeClass) + "]" : "default");
    }

    /**
     * Where a tuning entry came from, for the reason: the shape class alone for an entry of the device's own key on the
     * CPU family (as before device classes), else {@code <key served> | <algorithm> <class>}, e.g.
     * {@code vendor:NVIDIA Corporation GPU | pointwise_gpu cin<=128,hw<=4096,n1}.
     */
    static String tuningLabel(DeviceFacts device, String servedKey, ShapeClass shapeClass) {
        if (device.family() == KernelFamily.CPU && servedKey.equals(device.deviceKey())) return shapeClass.key();
        return servedKey + " | " + shapeClassLabel(shapeClass);
    }

    /** {@code pointwise_gpu cin<=128,hw<=4096,n1}: the kernel and the class of a tuning entry. */
    static String shapeClassLabel(ShapeClass shapeClass) {
        return shapeClass.algorithm().name().toLowerCase(Locale.ROOT) + " " + shapeClass.key();
    }

    /**
     * The planner's own choice for {@code spec} on {@code device}: the first of the registry of the device's
     * {@link DeviceFacts#family() family} that runs it, does not pass it over and whose defaults fit the device (the
     * algorithm of {@link #plan(ConvSpec, Shape, DeviceFacts) the shapeless plan}).
     */
    public static Algorithm algorithm(ConvSpec spec, DeviceFacts device) {
        return plan(spec, null, device, TuningTable.EMPTY, null).algorithm();
    }

    /** Whether {@code algorithm} can run {@code spec} on {@code device} (its descriptor does not decline it). */
    public static boolean runs(Algorithm algorithm, ConvSpec spec, DeviceFacts device) {
        return algorithm.descriptor().declines(spec, device).isEmpty();
    }

    /** Throws {@link IllegalArgumentException} naming the algorithm, the spec and its descriptor's reason when it declines {@code spec}. */
    public static void requireRuns(Algorithm algorithm, ConvSpec spec, DeviceFacts device) {
        algorithm.descriptor().declines(spec, device).ifPresent(why -> {
            throw new IllegalArgumentException("algorithm " + algorithm + " cannot run " + spec + " (" + why + ")");
        });
    }

    /**
     * The algorithm to force for {@code spec} under the {@code convcl.algorithm} setting (benchmarks: e.g.
     * {@code implicit_gemm} or {@code winograd}): the setting on every full or grouped spec it can run, else null
     * (the planner's choice).
     */
    public static Algorithm settingFor(Algorithm setting, ConvSpec spec, DeviceFacts device) {
        boolean fullOrGrouped = spec.kind() == ConvSpec.Kind.FULL || spec.kind() == ConvSpec.Kind.GROUPED;
        return setting != null && fullOrGrouped && runs(setting, spec, device) ? setting : null;
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

    /** {@code k3x3 stride 1x1 dilation 1x1}, for reasons. */
    static String window(ConvSpec spec) {
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
