package org.convcl.plan;

import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * Winograd F(2×2, 3×3) for 3×3, stride-1, dilation-1, groups-1 convolutions (kernels/conv2d_winograd.cl):
 * which layers it can run, the tile grid of an output, the host-side filter transform {@code U = G g Gᵀ}
 * and the shape of its 16 batched GEMMs, which run on the pointwise kernel.
 *
 * <p>Each output tile is 2×2 outputs computed from a 4×4 input tile; the 16 transformed positions ξ each
 * make one GEMM {@code M[ξ] = U[ξ] · V[ξ]} with M = outChannels, K = inChannels, N = images · tiles per image.
 */
public final class Winograd {
    /** Outputs per tile side (the "2" of F(2×2, 3×3)). */
    public static final int TILE = 2;
    /** Transformed positions per tile: (TILE + 3 − 1)². */
    public static final int POSITIONS = 16;
    /** The filter-transform matrix G (4×3). */
    private static final double[][] G = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

    private Winograd() {}

    /** Whether Winograd F(2×2, 3×3) can run {@code spec}: a 3×3 kernel, stride 1, dilation 1, groups 1 (any padding). */
    public static boolean supports(ConvSpec spec) {
        return spec.kernelH() == 3 && spec.kernelW() == 3 && spec.strideH() == 1 && spec.strideW() == 1
                && spec.dilationH() == 1 && spec.dilationW() == 1 && spec.groups() == 1;
    }

    /** Tile rows covering an output of {@code outH} rows (the last tile may hang over the edge). */
    public static int tilesY(Shape output) { return (output.h() + TILE - 1) / TILE; }

    /** Tile columns covering an output of {@code outW} columns. */
    public static int tilesX(Shape output) { return (output.w() + TILE - 1) / TILE; }

    /** The pointwise spec of one batched GEMM: K = inChannels, M = outChannels. */
    public static ConvSpec gemmSpec(ConvSpec spec) {
        return ConvSpec.pointwise(spec.inChannels(), spec.outChannels());
    }

    /**
     * The GEMM's input shape for {@code output}: {@code [16][inChannels][1][n·tiles]}, one "image" per position,
     * every image's tiles side by side along N, so one pass over {@code U[ξ]} serves the whole batch.
     */
    public static Shape gemmInput(ConvSpec spec, Shape output) {
        return new Shape(POSITIONS, spec.inChannels(), 1, output.n() * tilesY(output) * tilesX(output));
    }

    /** Floats of the transformed input {@code V} (and, with outChannels, of {@code M}) for {@code output}. */
    public static long scratchFloats(int channels, Shape output) {
        return (long) output.n() * POSITIONS * channels * tilesY(output) * tilesX(output);
    }

    /**
     * Transforms 3×3 filters {@code [cOut][cIn][3][3]} into {@code U[16][cOut][cIn]}, {@code U[ξ] = (G g Gᵀ)[ξ]},
     * computed in double and rounded once to float.
     *
     * @throws IllegalArgumentException when {@code weights} is not {@code cOut·cIn·9} floats
     */
    public static float[] transformWeights(float[] weights, int cOut, int cIn) {
        if (weights == null || weights.length != (long) cOut * cIn * 9) {
            throw new IllegalArgumentException("weights must hold cOut·cIn·9 = " + (long) cOut * cIn * 9 + " floats, got "
                    + (weights == null ? "null" : weights.length));
        }
        float[] u = new float[POSITIONS * cOut * cIn];
        double[][] gg = new double[4][3];
        for (int o = 0; o < cOut; o++) {
            for (int c = 0; c < cIn; c++) {
                int base = (o * cIn + c) * 9;
                for (int i = 0; i < 4; i++) { // G g
                    for (int j = 0; j < 3; j++) {
                        gg[i][j] = G[i][0] * weights[base + j] + G[i][1] * weights[base + 3 + j] + G[i][2] * weights[base + 6 + j];
                    }
                }
                for (int i = 0; i < 4; i++) { // (G g) Gᵀ
                    for (int j = 0; j < 4; j++) {
                        double v = gg[i][0] * G[j][0] + gg[i][1] * G[j][1] + gg[i][2] * G[j][2];
                        u[((i * 4 + j) * cOut + o) * cIn + c] = (float) v;
                    }
                }
            }
        }
        return u;
    }
}
