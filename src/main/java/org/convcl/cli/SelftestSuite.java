package org.convcl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.cli.bench.LayerJson;

/**
 * The fixed cases of {@code convcl selftest}, read from the resource {@value #RESOURCE} shipped in the tool: layers in
 * {@link LayerJson}'s form (batch 1 unless {@code n} is given) with an optional {@code activation}, and fused blocks
 * ({@code "kind": "block"}). Every error names the case and the field.
 */
final class SelftestSuite {
    /** The class-path resource holding the cases. */
    static final String RESOURCE = "org/convcl/cli/selftest.json";

    private static final Set<String> BLOCK_FIELDS = Set.of("name", "kind", "quick", "n", "cin", "cout", "h", "w", "gamma",
            "k", "stride", "dil");
    private static final Set<String> LAYER_FIELDS = layerFields();

    private SelftestSuite() {}

    /**
     * One case: a layer ({@code spec} and {@code activation} set, {@code block} null) or a fused block ({@code block}
     * set, {@code spec} null), with its input shape.
     */
    record Case(String name, ConvSpec spec, Activation activation, SeparableBlock block, Shape input, boolean quick) {
        /** The reduction length the tolerance scales with: the layer's, or the block's pointwise sum over γC depthwise sums. */
        int reductionLength() {
            if (spec != null) return spec.reductionLength();
            return block.midChannels() * block.depthwise().kernelH() * block.depthwise().kernelW();
        }
    }

    private static Set<String> layerFields() {
        Set<String> fields = new HashSet<>(LayerJson.READ_FIELDS);
        fields.addAll(List.of("name", "activation", "quick"));
        return Set.copyOf(fields);
    }

    /** Every case of the shipped resource, or only those marked quick. */
    static List<Case> load(boolean quickOnly) {
        JsonNode root;
        try (InputStream in = SelftestSuite.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("the selftest cases " + RESOURCE + " are missing from the tool");
            root = new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
        }
        return parse(root, quickOnly);
    }

    /** The cases of a parsed suite; throws {@link IllegalArgumentException} naming the case and field. */
    static List<Case> parse(JsonNode root, boolean quickOnly) {
        JsonNode cases = root.get("cases");
        if (cases == null || !cases.isArray()) throw new IllegalArgumentException(RESOURCE + ": missing array 'cases'");
        List<Case> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (JsonNode c : cases) {
            String name = c.path("name").asText("");
            try {
                if (name.isBlank()) throw new IllegalArgumentException("missing field 'name'");
                if (!names.add(name)) throw new IllegalArgumentException("duplicate name");
                Case parsed = "block".equals(c.path("kind").asText("")) ? block(c, name) : layer(c, name);
                if (parsed.quick() || !quickOnly) out.add(parsed);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(RESOURCE + ", case '" + name + "': " + e.getMessage(), e);
            }
        }
        return List.copyOf(out);
    }

    private static Case layer(JsonNode c, String name) {
        checkFields(c, LAYER_FIELDS);
        ConvSpec spec = LayerJson.readSpec(c);
        Activation activation = c.has("activation") ? Activation.parse(c.get("activation").asText()) : Activation.NONE;
        return new Case(name, spec, activation, null, LayerJson.readInput(c, spec, 1), c.path("quick").asBoolean(false));
    }

    private static Case block(JsonNode c, String name) {
        checkFields(c, BLOCK_FIELDS);
        int k = optional(c, "k", 3);
        SeparableBlock block = SeparableBlock.builder(required(c, "cin"), required(c, "cout")).depthMultiplier(optional(c, "gamma", 1))
                .kernel(k).stride(optional(c, "stride", 1)).dilation(optional(c, "dil", 1)).build();
        Shape input = new Shape(optional(c, "n", 1), block.inChannels(), required(c, "h"), required(c, "w"));
        block.depthwise().outputShape(input); // names h or w when the kernel does not fit
        return new Case(name, null, null, block, input, c.path("quick").asBoolean(false));
    }

    private static void checkFields(JsonNode c, Set<String> allowed) {
        for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) throw new IllegalArgumentException("unknown field '" + f + "'");
        }
    }

    private static int required(JsonNode c, String field) {
        if (!c.has(field)) throw new IllegalArgumentException("missing field '" + field + "'");
        return optional(c, field, 0);
    }

    private static int optional(JsonNode c, String field, int fallback) {
        JsonNode v = c.get(field);
        if (v == null) return fallback;
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
            throw new IllegalArgumentException("field '" + field + "' must be a positive integer, got " + v);
        }
        return v.asInt();
    }
}
