package org.convcl.net;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's graph as the passes and the network see it: nodes in an order where every input is produced before it
 * is read, the constants by name, the graph inputs that are not constants (with their declared dimensions, −1 for
 * a symbolic one) and the output names. Mutable: the passes rewrite it.
 */
final class Graph {
    final List<Node> nodes;
    final Map<String, Const> constants;
    final List<Input> inputs;
    final List<String> outputs;

    /** A graph input: its name and declared dimensions (−1 where the model names a symbol, such as the batch). */
    record Input(String name, long[] dims) {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < dims.length; i++) b.append(i > 0 ? ", " : "").append(dims[i] < 0 ? "?" : dims[i]);
            return b.append(']').toString();
        }
    }

    Graph(List<Node> nodes, Map<String, Const> constants, List<Input> inputs, List<String> outputs) {
        this.nodes = new ArrayList<>(nodes);
        this.constants = new LinkedHashMap<>(constants);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
    }

    /** The nodes that read {@code value}. */
    List<Node> consumers(String value) {
        List<Node> list = new ArrayList<>();
        for (Node n : nodes) if (n.inputs.contains(value)) list.add(n);
        return list;
    }

    /** True when exactly one node reads {@code value} (once) and it is not a graph output. */
    boolean singleUse(String value) {
        if (outputs.contains(value)) return false;
        int uses = 0;
        for (Node n : nodes) for (String in : n.inputs) if (in.equals(value)) uses++;
        return uses == 1;
    }

    /** The node producing {@code value}, or null for inputs and constants. */
    Node producer(String value) {
        for (Node n : nodes) if (n.outputs.contains(value)) return n;
        return null;
    }

    /** Replaces every read of {@code from} by {@code to} (nodes and graph outputs are renamed by the caller). */
    void rename(String from, String to) {
        for (Node n : nodes) n.inputs.replaceAll(s -> s.equals(from) ? to : s);
    }

    /** A name no value of this graph has, starting with {@code base}. */
    String freshName(String base) {
        String name = base;
        for (int i = 1; constants.containsKey(name) || producer(name) != null || isInput(name); i++) name = base + "_" + i;
        return name;
    }

    boolean isInput(String name) {
        for (Input in : inputs) if (in.name.equals(name)) return true;
        return false;
    }

    /** Constants no node reads any more are dropped (after folding). */
    void dropUnusedConstants() {
        constants.keySet().removeIf(name -> consumers(name).isEmpty() && !outputs.contains(name));
    }

    @Override
    public String toString() {
        return "graph " + inputs.stream().map(i -> i.name + i).toList() + " -> " + outputs + ", " + nodes.size()
                + " nodes, " + constants.size() + " constants";
    }
}
