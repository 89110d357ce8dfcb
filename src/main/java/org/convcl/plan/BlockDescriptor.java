package org.convcl.plan;

import java.util.List;
import java.util.SortedMap;
import org.convcl.Epilogue;
import org.convcl.SeparableBlock;
import org.convcl.Shape;

/**
 * A fused kernel for a whole {@link SeparableBlock} (depthwise then pointwise in one launch): which blocks it runs
 * ({@link #declines}) and which the planner picks it for ({@link #passesOver}), its defines, the buffers it uploads
 * and its launch. {@link BlockPlanner#registry} lists them; a block none takes runs unfused, as two convolutions.
 */
public interface BlockDescriptor extends KernelDescriptor<SeparableBlock> {
    /** The {@code __kernel} function in {@link #kernelFile()}. */
    String entryPoint();

    /** Why the planner picks it (when it neither declines nor passes over), for the choice's reason. */
    String chosenBecause(SeparableBlock block);

    /** The kernel defines for {@code block} on {@code device} (without the epilogue's, which the backend adds). */
    SortedMap<String, Integer> defines(SeparableBlock block, DeviceFacts device);

    /**
     * The buffers uploaded at prepare time from the folded steps (the pointwise bias, when there is one, is
     * {@link Launch.Role#BIAS}, uploaded by the backend).
     */
    List<Launch.Upload> uploads(SeparableBlock block, DeviceFacts device, Epilogue.Folded depthwise, Epilogue.Folded pointwise);

    /** The one launch of a forward of {@code input}. */
    Launch launch(SeparableBlock block, DeviceFacts device, Shape input);

    /** What the prepared block runs, for {@code PreparedBlock.plan()}; {@code reason}: why it was chosen. */
    String describe(SeparableBlock block, DeviceFacts device, String reason);
}
