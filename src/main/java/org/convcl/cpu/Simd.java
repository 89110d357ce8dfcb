package org.convcl.cpu;

import org.convcl.Activation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SIMD primitives the CPU kernels are built from, in two implementations: {@link VectorSimd} (the Vector
 * API, {@code jdk.incubator.vector}) and {@link ScalarSimd} (plain loops that the JIT auto-vectorizes).
 * {@link #preferred()} probes once whether the JVM was started with the incubator module and picks the path.
 * Every reference to the Vector API lives in {@link VectorSimd}, which is loaded only after the probe
 * succeeded, so the library runs in a JVM started without {@code --add-modules}.
 *
 * <p>Implementations are stateless and thread-safe. Scratch arrays are passed in by the callers.
 */
abstract class Simd {
    /**
     * {@link #depthwiseRowsStride2} on rows whose ends are not padded (the input plane's own rows): tap {@code t} is
     * dropped for the output columns outside {@code [tapFrom[t], tapTo[t])}, which read across the row's ends into a
     * neighbouring row (whose values, finite or not, never reach the result). {@code src} holds at least
     * {@code 2·rowOverrun()} readable floats past {@code 2·width} after every tap.
     */
    abstract void depthwiseRowsStride2(float[] src, int[] taps, int[] tapFrom, int[] tapTo, int rowStep, int rows,
                                       float[] w, int wOff, int width, float[] out, int outOff, int outRowStride,
                                       float bias, Activation activation, float[] acc);

    /** The JVM option that enables the Vector API path. */
    static final String VECTOR_FLAG = "--add-modules jdk.incubator.vector";
    static final String VECTOR_MODULE = "jdk.incubator.vector";

    private static final Logger LOG = LoggerFactory.getLogger(Simd.class);

    /** Rows (output channels) of one GEMM micro-tile. */
    abstract int tileRows();

    /** Columns (output pixels) of one GEMM micro-tile. */
    abstract int tileCols();

    /** Floats a kernel may read past the last element it uses in a depthwise source row (zero padding needed). */
    abstract int rowOverrun();

    /** Floats of the {@code acc} scratch that {@link #depthwiseRows} needs for a row of {@code width} outputs. */
    abstract int rowScratch(int width);

    /** One line for plans and the device description, e.g. {@code "Vector API 512-bit"}. */
    abstract String describe();

    /**
     * One GEMM micro-tile: {@code acc[r][j] = Σ_k a[aOff + k·R + r] · b[bOff + bRows[k] + j]} for the
     * {@link #tileRows() R} × {@link #tileCols() C} tile, {@code k < depth}, then stores rows {@code r < rows} and
     * columns {@code j < cols} as {@code activation(acc + bias[biasOff + r])} to {@code out[outOff + r·outStride + j]}.
     * {@code a} is a packed weight panel ({@code [depth][R]}); row {@code k} of {@code b} is the C floats at
     * {@code bOff + bRows[k]} (a packed input panel has {@code bRows[k] = k·C}; the phase-split rows of
     * {@link RowGemmKernel} have one offset per tap). The Vector API path reads all C floats of a row, the loops only
     * {@code cols}. {@code tile} is scratch of at least R·C floats.
     */
    abstract void gemmTile(float[] a, int aOff, float[] b, int bOff, int[] bRows, int depth, float[] out, int outOff,
                           int outStride, int rows, int cols, float[] bias, int biasOff, Activation activation,
                           float[] tile);

    /**
     * {@link #gemmTile(float[], int, float[], int, int[], int, float[], int, int, int, int, float[], int, Activation,
     * float[]) gemmTile} on a packed input panel: row {@code k} of {@code b} at {@code bOff + k·C}.
     */
    final void gemmTile(float[] a, int aOff, float[] b, int bOff, int depth, float[] out, int outOff, int outStride,
                        int rows, int cols, float[] bias, int biasOff, Activation activation, float[] tile) {
        gemmTile(a, aOff, b, bOff, panelRows(depth), depth, out, outOff, outStride, rows, cols, bias, biasOff,
                activation, tile);
    }

    /** {@code k·C} for {@code k < depth} (a shared array, grown on demand; do not write it). */
    final int[] panelRows(int depth) {
        int[] r = panelRows;
        if (r.length < depth) {
            r = new int[Math.max(depth, 2 * r.length)];
            for (int k = 0; k < r.length; k++) r[k] = k * tileCols();
            panelRows = r; // a complete array, published through the volatile field
        }
        return r;
    }

    private volatile int[] panelRows = new int[0];

    /**
     * Output rows {@code r < rows} of a depthwise channel: {@code out[outOff + r·outRowStride + x] = activation(bias +
     * Σ_t w[wOff + t] · src[taps[t] + r·rowStep + x])} for {@code x < width}. {@code src} holds at least
     * {@link #rowOverrun()} readable floats past every tap's last used element. {@code acc} is scratch of
     * {@link #rowScratch} floats.
     */
    abstract void depthwiseRows(float[] src, int[] taps, int rowStep, int rows, float[] w, int wOff, int width,
                                float[] out, int outOff, int outRowStride, float bias, Activation activation, float[] acc);

    /**
     * Depthwise outputs of a plane taken as one flat run (stride 1 over planes the size of the output: the input
     * plane itself, or its stride phases, {@link DepthwiseKernel}): output
     * {@code p = y·width + x} is {@code activation(bias + Σ_t w[wOff + t] · src[srcBase + p + taps[t]])} over the taps
     * {@code t = ky·kw + kx} whose column {@code x + colShift[kx]} lies in {@code [0, width)}; the other taps read a
     * neighbouring row and are dropped (so a non-finite value there does no harm). Taps above or below the plane must
     * find zeros in {@code src}. Computes {@code p} in {@code [from, to)} ({@code from} a multiple of
     * {@link #flatStep()}) into {@code out[outOff + p]}. {@code cols[p] = p mod width} for {@code p} up to {@code to}
     * rounded up to {@link #flatStep()}; {@code src} is read up to that bound plus the largest tap, exclusive.
     * {@code acc} is scratch of {@link #rowScratch} floats.
     */
    abstract void depthwiseFlat(float[] src, int srcBase, int from, int to, int[] taps, int kw, int[] colShift,
                                float[] cols, int width, float[] w, int wOff, float[] out, int outOff, float bias,
                                Activation activation, float[] acc);

    /** The granule of {@link #depthwiseFlat}: its ranges start at multiples of this and read whole granules. */
    abstract int flatStep();

    /** Whether the depthwise layers that can run flat ({@link #depthwiseFlat}) run faster that way than on rows. */
    abstract boolean depthwiseFlatWins();

    /**
     * Depthwise rows of horizontal stride 2 read from whole rows: as {@link #depthwiseRows}, but output column
     * {@code x} reads {@code src[taps[t] + r·rowStep + 2x]}. {@code src} holds at least {@code 2·rowOverrun()}
     * readable floats past {@code 2·width} after every tap.
     */
    final void depthwiseRowsStride2(float[] src, int[] taps, int rowStep, int rows, float[] w, int wOff, int width,
                                    float[] out, int outOff, int outRowStride, float bias, Activation activation,
                                    float[] acc) {
        depthwiseRowsStride2(src, taps, null, null, rowStep, rows, w, wOff, width, out, outOff, outRowStride, bias,
                activation, acc);
    }

    /**
     * Whether this path runs horizontal stride 2 faster on whole rows ({@link #depthwiseRowsStride2}) than on rows
     * split into phases ({@link #splitPhases}, then {@link #depthwiseRows}).
     */
    abstract boolean stride2OnWholeRows();

    /**
     * Splits a run of a row into its two stride-2 phases: {@code even[evenOff + m] = src[srcOff + 2m]} and
     * {@code odd[oddOff + m] = src[srcOff + 2m + 1]} for {@code m < count}; reads nothing past {@code srcOff + 2·count}.
     */
    abstract void splitPhases(float[] src, int srcOff, int count, float[] even, int evenOff, float[] odd, int oddOff);

    /** Fused multiply-adds of one {@link #fmaBurst} step (independent chains × lanes). */
    abstract int fmasPerStep();

    /**
     * The FMA-peak probe's loop ({@link CpuPeak}): {@code steps} steps of {@link #fmasPerStep()} fused multiply-adds
     * in independent chains, enough of them to hide the FMA latency; returns their sum so the work is not dead.
     */
    abstract float fmaBurst(long steps);

    /** The plain-loop implementation, always available. */
    static Simd scalar() {
        return ScalarSimd.INSTANCE;
    }

    /** The fastest available implementation, probed once; logs at INFO which one and how to enable the faster one. */
    static Simd preferred() {
        return Probe.PREFERRED;
    }

    /** The Vector API implementation, or {@code null} when the module is not in the boot layer or fails to load. */
    static Simd vectorOrNull() {
        return Probe.VECTOR;
    }

    /** Holds the probe result; initialised on first use. */
    private static final class Probe {
        static final Simd VECTOR = loadVector();
        static final Simd PREFERRED = pick();

        private static Simd loadVector() {
            if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) return null;
            try {
                return (Simd) Class.forName("org.convcl.cpu.VectorSimd").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                LOG.warn("Java CPU backend: {} is present but the Vector API path failed to load ({}); using {}",
                        VECTOR_MODULE, e, ScalarSimd.INSTANCE.describe());
                return null;
            }
        }

        private static Simd pick() {
            if (VECTOR != null) {
                LOG.info("Java CPU backend: {} kernels", VECTOR.describe());
                return VECTOR;
            }
            LOG.info("Java CPU backend: {} kernels; start the JVM with {} for the faster Vector API path",
                    ScalarSimd.INSTANCE.describe(), VECTOR_FLAG);
            return ScalarSimd.INSTANCE;
        }
    }

    /**
     * {@link #gemmTile(float[], int, float[], int, int[], int, float[], int, int, int, int, float[], int, Activation,
     * float[]) gemmTile} whose two halves of {@link #tileCols()}{@code /2} columns read different runs of {@code b}:
     * column {@code j} of row {@code k} is {@code b[bOff + bRows[k] + j]} for {@code j < C/2} and
     * {@code b[bOff2 + bRows[k] + j − C/2]} after; the output columns stay contiguous. {@link RowGemmKernel} pairs
     * the last half-tile of an output row with the first of the next this way.
     */
    abstract void gemmTileHalves(float[] a, int aOff, float[] b, int bOff, int bOff2, int[] bRows, int depth,
                                 float[] out, int outOff, int outStride, int rows, int cols, float[] bias, int biasOff,
                                 Activation activation, float[] tile);
}
