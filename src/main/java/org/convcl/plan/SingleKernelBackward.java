package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.Activation;
import org.convcl.ConvSpec;

/**
 * A backward descriptor whose launches run one entry point of its own program, named as its file
 * ({@code kernels/<name>.cl} holds {@code __kernel void <name>}), built with the window's defines and, for the
 * depthwise kernels, the depth multiplier. Subclasses say which specs they take, their parameters and their launches.
 */
abstract class SingleKernelBackward implements BackwardDescriptor {
    private final BackwardPass pass;
    private final String name;
    private final boolean depthwise;

    /** A kernel of {@code pass} named {@code name}; {@code depthwise} adds {@code DEPTH_MULT} to its defines. */
    SingleKernelBackward(BackwardPass pass, String name, boolean depthwise) {
        this.pass = pass;
        this.name = name;
        this.depthwise = depthwise;
    }

    @Override
    public final String kernelFile() { return name + ".cl"; }

    @Override
    public final BackwardPass pass() { return pass; }

    @Override
    public final List<String> entryPoints() { return List.of(name); }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, SortedMap<String, Integer> params, Activation activation) {
        SortedMap<String, Integer> d = BackwardDescriptor.windowDefines(spec, params);
        if (depthwise) d.put("DEPTH_MULT", spec.depthMultiplier());
        return d;
    }

    /** A launch of the entry point with the program's own defines. */
    final Launch launch(long[] global, long[] local, List<Object> args) {
        return new Launch(name, global, local, args);
    }

    /** Why a GPU-family kernel does not run on {@code device}: the device runs another family; empty when it is a GPU. */
    static Optional<String> otherFamily(DeviceFacts device) {
        return device.family() == KernelFamily.GPU ? Optional.empty()
                : Optional.of("the GPU family's kernel (the device runs the " + device.family() + " family)");
    }
}
