package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import org.convcl.BlockMode;
import org.convcl.SeparableBlock;

/**
 * Chooses how a {@link SeparableBlock} runs, fused or unfused: pure functions with a one-line reason. The OpenCL
 * choice walks the {@link #registry} of the device's kernel family, its fused kernels, in order of preference; a block none of them takes runs unfused,
 * as two planned convolutions.
 */
public final class BlockPlanner {
    /** The CPU family's fused block kernels, most preferred first. */
    public static final List<BlockDescriptor> CPU_REGISTRY = List.of(new DsBlockDescriptor());
    /**
     * The GPU family's fused block kernels, most preferred first: the work-group kernel; a block it declines (a device
     * whose local memory or work-group limits it does not fit) runs unfused, as two GPU-family convolutions.
     */
    public static final List<BlockDescriptor> GPU_REGISTRY = List.of(new DsBlockGpuDescriptor());

    /** The registry of {@code family}. */
    public static List<BlockDescriptor> registry(KernelFamily family) {
        return family == KernelFamily.GPU ? GPU_REGISTRY : CPU_REGISTRY;
    }

    private BlockPlanner() {}

    /**
     * The path chosen and why.
     *
     * @param fused the OpenCL fused kernel that runs it; null when unfused and on the Java CPU backend
     */
    public record Choice(BlockMode mode, String reason, BlockDescriptor fused) {
        public Choice {
            if (mode == null || mode == BlockMode.AUTO) throw new IllegalArgumentException("choice mode must be FUSED or UNFUSED, got " + mode);
        }
    }

    /**
     * Picks the OpenCL path for {@code block} on {@code device}: UNFUSED is honoured; FUSED takes the first fused
     * kernel of the device family's {@link #registry} that runs the block; AUTO the first that runs it and does not pass it over (the
     * dsblock kernel: at most {@link DsBlockDescriptor#FUSED_MAX_MID} intermediate channels, where it measured faster
     * on PoCL), else UNFUSED with the first reason given.
     *
     * @throws IllegalArgumentException when FUSED is requested and no fused kernel runs the block on the device
     */
    public static Choice chooseOpenCl(SeparableBlock block, BlockMode requested, DeviceFacts device) {
        check(block, requested);
        if (requested == BlockMode.UNFUSED) return new Choice(BlockMode.UNFUSED, "requested", null);
        String why = null;
        for (BlockDescriptor d : registry(device.family())) {
            Optional<String> no = d.declines(block, device);
            if (no.isEmpty() && requested == BlockMode.FUSED) return new Choice(BlockMode.FUSED, "requested", d);
            if (no.isEmpty()) no = d.passesOver(block, device);
            if (no.isEmpty()) return new Choice(BlockMode.FUSED, d.chosenBecause(block), d);
            if (why == null) why = no.get();
        }
        if (requested == BlockMode.FUSED) throw new IllegalArgumentException("mode FUSED requested but " + why);
        return new Choice(BlockMode.UNFUSED, why, null);
    }

    /**
     * Picks the Java CPU backend's path: FUSED or UNFUSED are honoured; AUTO takes the unfused path
     * ({@link #CPU_FUSED_SLOWER}).
     */
    public static Choice chooseCpu(SeparableBlock block, BlockMode requested) {
        check(block, requested);
        if (requested == BlockMode.AUTO) return new Choice(BlockMode.UNFUSED, CPU_FUSED_SLOWER, null);
        return new Choice(requested, "requested", null);
    }

    /**
     * Why AUTO takes the unfused path on the Java CPU backend: the fused block (a depthwise band of every intermediate
     * channel in a per-thread buffer, read in place by the pointwise GEMM tile) took 0.89–1.19× the unfused time on
     * the MobileNet-V1 blocks (faster at 112×112 and 56×56, slower from 28×28 down; measured on a loaded machine):
     * no margin that would justify a rule.
     */
    static final String CPU_FUSED_SLOWER = "unfused: the Java fused block measured no faster than the two kernels";

    private static void check(SeparableBlock block, BlockMode requested) {
        if (block == null) throw new IllegalArgumentException("block must not be null");
        if (requested == null) throw new IllegalArgumentException("requested mode must not be null");
    }
}
