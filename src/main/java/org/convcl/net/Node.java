package org.convcl.net;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convcl.Activation;

/**
 * One operator of the graph: ONNX's node, mutable so the passes can rewrite it in place. {@code activation} is an
 * activation fused into a convolution by {@link Passes#fuseActivations}; {@code dwPair} names the pointwise
 * convolution node a depthwise one was paired with by {@link Passes#pairSeparableBlocks}.
 */
final class Node {
    final String name;
    String op;
    final List<String> inputs;
    final List<String> outputs;
    final Map<String, Attr> attrs;
    Activation activation = Activation.NONE;
    /** For a {@code SeparableBlock} node: the pointwise step's activation. */
    Activation pointwiseActivation = Activation.NONE;

    Node(String name, String op, List<String> inputs, List<String> outputs, Map<String, Attr> attrs) {
        this.name = name;
        this.op = op;
        this.inputs = new ArrayList<>(inputs);
        this.outputs = new ArrayList<>(outputs);
        this.attrs = new LinkedHashMap<>(attrs);
    }

    /** {@code node 'name' (Op)}: how every message names a node. */
    String describe() {
        return "node '" + name + "' (" + op + ")";
    }

    /** The i-th input name, or "" when absent (ONNX marks skipped optional inputs with ""). */
    String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    long intAttr(String attr, long fallback) {
        Attr a = attrs.get(attr);
        return a == null ? fallback : a.i();
    }

    float floatAttr(String attr, float fallback) {
        Attr a = attrs.get(attr);
        return a == null ? fallback : a.f();
    }

    String stringAttr(String attr, String fallback) {
        Attr a = attrs.get(attr);
        return a == null ? fallback : a.s();
    }

    long[] intsAttr(String attr) {
        Attr a = attrs.get(attr);
        return a == null ? null : a.ints();
    }

    /** An attribute value: exactly one of the fields is set, as {@link #kind} says. */
    record Attr(Kind kind, float f, long i, String s, float[] floats, long[] ints, Const t) {
        enum Kind { FLOAT, INT, STRING, FLOATS, INTS, TENSOR }

        static Attr ofInt(long v) { return new Attr(Kind.INT, 0f, v, null, null, null, null); }

        static Attr ofInts(long... v) { return new Attr(Kind.INTS, 0f, 0, null, null, v, null); }
    }

    @Override
    public String toString() {
        return describe() + " " + inputs + " -> " + outputs;
    }
}
