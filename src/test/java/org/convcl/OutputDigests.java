package org.convcl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.convcl.opencl.OpenClBackend;
import org.convcl.plan.Algorithm;

/**
 * The SHA-256 of the float bits of every OpenCL output over a fixed, seeded workload: each algorithm forced on
 * each case of the tool's suites ({@value #SUITES}) and of {@link ParitySweepTest#fastCases()}, and each depthwise case
 * as a separable block, fused and unfused. A kernel change that must not change results (a refactoring of the
 * kernel sources) is checked by writing the digests before it and comparing after:
 *
 * <pre>
 * java -cp CLASSPATH org.convcl.OutputDigests --write before.txt
 * java -cp CLASSPATH org.convcl.OutputDigests --expect before.txt   # exit status 1 on any difference
 * </pre>
 *
 * A line is {@code <case> | <path> | <sha-256>} or {@code ... | declined}; the declined lines are compared too, so
 * an algorithm that stops (or starts) accepting a case is a difference.
 */
public final class OutputDigests {
    /** The suites the tool ships, in the checkout. */
    static final String SUITES = "src/main/resources/org/convcl/cli/suites";
    private static final long SEED = 20261207L;
    private static final Activation[] ACTIVATIONS = Activation.values();

    private OutputDigests() {}

    /** Runs the workload; {@code --write FILE} stores the digests, {@code --expect FILE} compares with them. */
    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !(args[0].equals("--write") || args[0].equals("--expect"))) {
            System.err.println("usage: OutputDigests --write FILE | --expect FILE");
            System.exit(2);
        }
        Map<String, String> digests = new LinkedHashMap<>();
        try (Backend backend = Backends.open(new Backends.Selection(Backends.Mode.OPENCL, null, true))) {
            OpenClBackend cl = (OpenClBackend) backend;
            suiteCases(cl, digests);
            sweepCases(cl, digests);
        }
        Path file = Path.of(args[1]);
        if (args[0].equals("--write")) {
            List<String> lines = new ArrayList<>();
            digests.forEach((k, v) -> lines.add(k + " | " + v));
            Files.write(file, lines);
            System.out.println(digests.size() + " digests written to " + file);
            return;
        }
        Map<String, String> expected = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            int bar = line.lastIndexOf(" | ");
            expected.put(line.substring(0, bar), line.substring(bar + 3));
        }
        int outputs = 0, differ = 0;
        for (Map.Entry<String, String> e : digests.entrySet()) {
            if (!e.getValue().equals("declined")) outputs++;
            if (!e.getValue().equals(expected.get(e.getKey()))) {
                differ++;
                System.out.println("DIFFERS: " + e.getKey() + " now " + e.getValue() + ", before " + expected.get(e.getKey()));
            }
        }
        for (String key : expected.keySet()) {
            if (!digests.containsKey(key)) {
                differ++;
                System.out.println("MISSING: " + key);
            }
        }
        System.out.println(outputs + " outputs compared (" + digests.size() + " lines), " + differ + " differ");
        if (differ > 0) System.exit(1);
    }

    /** Each suite case with every algorithm forced, and each depthwise case as a block (next pointwise case, if any). */
    private static void suiteCases(OpenClBackend cl, Map<String, String> digests) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Path> files;
        Path dir = Path.of(SUITES);
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        if (files.isEmpty()) throw new IllegalStateException("no suites under " + dir + " (run from the checkout)");
        int index = 0;
        for (Path file : files) {
            JsonNode cases = json.readTree(file.toFile()).get("cases");
            for (int i = 0; i < cases.size(); i++, index++) {
                JsonNode c = cases.get(i);
                ConvSpec spec = ConvSpec.builder(c.get("cin").asInt(), c.get("cout").asInt(), c.get("kh").asInt(), c.get("kw").asInt())
                        .stride(c.get("stride").get(0).asInt(), c.get("stride").get(1).asInt())
                        .padding(c.get("pad").get(0).asInt(), c.get("pad").get(1).asInt(), c.get("pad").get(2).asInt(),
                                c.get("pad").get(3).asInt())
                        .dilation(c.get("dil").get(0).asInt(), c.get("dil").get(1).asInt())
                        .groups(c.get("groups").asInt()).build();
                int h = c.get("h").asInt(), w = c.get("w").asInt();
                int n = h * w <= 28 * 28 ? 2 : 1;
                String name = file.getFileName() + " " + c.get("name").asText();
                convolutions(cl, digests, name, spec, n, h, w, index);
                if (spec.kind() == ConvSpec.Kind.DEPTHWISE) {
                    JsonNode next = i + 1 < cases.size() ? cases.get(i + 1) : null;
                    int out = next != null && next.get("cin").asInt() == spec.outChannels() && next.get("kh").asInt() == 1
                            ? next.get("cout").asInt() : 2 * spec.outChannels();
                    blocks(cl, digests, name, spec, out, n, h, w, index);
                }
            }
        }
    }

    /** The parity sweep's specs with every algorithm forced, and its depthwise specs as blocks. */
    private static void sweepCases(OpenClBackend cl, Map<String, String> digests) {
        int index = 1000;
        for (ParitySweepTest.Case c : ParitySweepTest.fastCases()) {
            String name = "sweep " + c.name();
            convolutions(cl, digests, name, c.spec(), c.n(), c.h(), c.w(), index);
            if (c.spec().kind() == ConvSpec.Kind.DEPTHWISE) blocks(cl, digests, name, c.spec(), 5, c.n(), c.h(), c.w(), index);
            index++;
        }
    }

    private static void convolutions(OpenClBackend cl, Map<String, String> digests, String name, ConvSpec spec, int n,
                                     int h, int w, int index) {
        SplittableRandom random = new SplittableRandom(SEED + index);
        Tensor input = input(random, n, spec.inChannels(), h, w, index);
        float[] weights = ParitySweepTest.uniform(random, spec.weightCount(), 1f);
        Epilogue epilogue = epilogue(random, spec.outChannels(), index);
        for (Algorithm algorithm : Algorithm.values()) {
            String key = name + " n=" + n + " " + epilogueName(index) + " | " + algorithm;
            PreparedConv conv;
            try {
                conv = cl.prepare(spec, weights, epilogue, algorithm);
            } catch (IllegalArgumentException declined) {
                digests.put(key, "declined");
                continue;
            }
            try (conv) {
                digests.put(key, sha256(conv.forward(input)));
            }
        }
    }

    private static void blocks(OpenClBackend cl, Map<String, String> digests, String name, ConvSpec dw, int outChannels,
                               int n, int h, int w, int index) {
        SplittableRandom random = new SplittableRandom(SEED + 7919L * index);
        SeparableBlock block = SeparableBlock.builder(dw.inChannels(), outChannels).depthMultiplier(dw.depthMultiplier())
                .kernel(dw.kernelH(), dw.kernelW()).stride(dw.strideH(), dw.strideW())
                .dilation(dw.dilationH(), dw.dilationW()).padding(dw.padTop(), dw.padLeft(), dw.padBottom(), dw.padRight())
                .depthwiseEpilogue(epilogue(random, dw.outChannels(), index + 1))
                .pointwiseEpilogue(epilogue(random, outChannels, index + 2)).build();
        Tensor input = input(random, n, dw.inChannels(), h, w, index);
        float[] dwWeights = ParitySweepTest.uniform(random, block.depthwise().weightCount(), 1f);
        float[] pwWeights = ParitySweepTest.uniform(random, block.pointwise().weightCount(), 1f);
        for (BlockMode mode : new BlockMode[] {BlockMode.FUSED, BlockMode.UNFUSED}) {
            String key = name + " block->" + outChannels + " n=" + n + " " + epilogueName(index + 1) + "/"
                    + epilogueName(index + 2) + " | " + mode;
            PreparedBlock prepared;
            try {
                prepared = cl.prepareBlock(block, dwWeights, pwWeights, mode);
            } catch (IllegalArgumentException declined) {
                digests.put(key, "declined");
                continue;
            }
            try (prepared) {
                digests.put(key, sha256(prepared.forward(input)));
            }
        }
    }

    /** Uniform values in [-1, 1]; every fourth case also holds NaN, +Inf and -Inf. */
    private static Tensor input(SplittableRandom random, int n, int c, int h, int w, int index) {
        float[] data = ParitySweepTest.uniform(random, n * c * h * w, 1f);
        if (index % 4 == 3) {
            float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
            for (int i = 0; i < Math.max(3, data.length / 256); i++) data[random.nextInt(data.length)] = specials[i % 3];
        }
        return Tensor.of(data, n, c, h, w);
    }

    /** Cycles over none / bias × the three activations, batch-norm on every third. */
    private static Epilogue epilogue(SplittableRandom random, int channels, int index) {
        Epilogue.Builder b = Epilogue.builder().activation(ACTIVATIONS[index % ACTIVATIONS.length]);
        if (index % 2 == 1) b.bias(ParitySweepTest.uniform(random, channels, 1f));
        if (index % 3 == 2) {
            float[] variance = new float[channels], gamma = new float[channels];
            for (int o = 0; o < channels; o++) {
                variance[o] = (float) (0.2 + random.nextDouble());
                gamma[o] = (float) (2 + 3 * random.nextDouble());
            }
            b.batchNorm(ParitySweepTest.uniform(random, channels, 0.5f), variance, gamma,
                    ParitySweepTest.uniform(random, channels, 0.5f), 1e-5f);
        }
        return b.build();
    }

    private static String epilogueName(int index) {
        return ACTIVATIONS[index % ACTIVATIONS.length] + (index % 2 == 1 ? "+bias" : "") + (index % 3 == 2 ? "+bn" : "");
    }

    private static String sha256(Tensor t) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : t.data()) bytes.putInt(Float.floatToRawIntBits(v));
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
