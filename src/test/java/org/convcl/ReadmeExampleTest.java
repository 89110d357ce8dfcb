package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Keeps the README's Java example honest: the same code is compiled and run here, and what it prints (the output
 * shape and two values) is checked against the naive {@link Reference}. {@link ReadmeConsumerIT} compiles the block
 * from README.md itself against the library jar alone.
 */
class ReadmeExampleTest {
    /** The example's last line: {@code <device> -> [n, c, h, w], corner <value>, centre <value>}. */
    private static final Pattern PRINTED = Pattern.compile(
            "(?m)^(.+) -> \\[(\\d+), (\\d+), (\\d+), (\\d+)\\], corner (\\S+), centre (\\S+)$");

    static void example() {
        // README-BEGIN
        try (Backend backend = Backends.open()) {              // best OpenCL device, else the CPU
            ConvSpec dw = ConvSpec.depthwise(32, 1, 3).padding(1).build();
            ConvSpec pw = ConvSpec.pointwise(32, 64);
            float[] dwWeights = new float[dw.weightCount()];  // OIHW: [32][1][3][3]
            float[] pwWeights = new float[pw.weightCount()];  // OIHW: [64][32][1][1]
            java.util.Arrays.fill(dwWeights, 1f / 9);          // each channel: the mean of a 3x3 window
            java.util.Arrays.fill(pwWeights, 1f / 32);         // each output: the mean of the 32 channels
            Tensor image = Tensor.zeros(new Shape(1, 32, 112, 112));
            java.util.Arrays.fill(image.data(), 9f);

            try (PreparedConv depthwise = backend.prepare(dw, dwWeights, Epilogue.activation(Activation.RELU6));
                 PreparedConv pointwise = backend.prepare(pw, pwWeights, Epilogue.activation(Activation.RELU6));
                 DeviceTensor x = backend.upload(image);
                 DeviceTensor mid = depthwise.forward(x);      // stays on the device
                 DeviceTensor y = pointwise.forward(mid)) {
                Tensor out = y.download();                      // [1, 64, 112, 112]
                // corner 4.0 (the zero padding leaves 4 of 9 taps), centre 6.0 (ReLU6 clamps 9)
                System.out.println(backend.device().describe() + " -> " + out.shape()
                        + ", corner " + out.get(0, 0, 0, 0) + ", centre " + out.get(0, 63, 56, 56));
            }
        }
        // README-END
    }

    /** The fenced java block under README.md's "## Java" heading. */
    static String readmeBlock(Path readme) throws IOException {
        String text = Files.readString(readme);
        int section = text.indexOf("\n## Java\n");
        assertTrue(section >= 0, "README has no '## Java' section");
        int start = text.indexOf("```java\n", section);
        int nextSection = text.indexOf("\n## ", section + 1);
        assertTrue(start >= 0 && (nextSection < 0 || start < nextSection), "the '## Java' section has no java block");
        start += "```java\n".length();
        return text.substring(start, text.indexOf("```", start));
    }

    /**
     * Checks what the example printed against the reference: the shape, and the corner and centre values within
     * the tolerance of a 3x3 then a 32-channel reduction. Returns the device it names.
     */
    static String assertPrinted(String printed) {
        Matcher m = PRINTED.matcher(printed);
        assertTrue(m.find(), "the example printed no '<device> -> [shape], corner .., centre ..' line: " + printed);
        Tensor expected = expectedOutput();
        Shape shape = new Shape(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)),
                Integer.parseInt(m.group(5)));
        assertEquals(expected.shape(), shape, printed);
        float corner = expected.get(0, 0, 0, 0), centre = expected.get(0, 63, 56, 56);
        assertTrue(corner > 0 && corner < centre, "the reference's corner " + corner + " and centre " + centre);
        double tolerance = 1e-5 * (9 + 32);
        assertEquals(corner, Float.parseFloat(m.group(6)), tolerance * Math.abs(corner), "corner in " + printed);
        assertEquals(centre, Float.parseFloat(m.group(7)), tolerance * Math.abs(centre), "centre in " + printed);
        return m.group(1);
    }

    /** The example's output computed by the naive reference, each step on its own. */
    private static Tensor expectedOutput() {
        ConvSpec dw = ConvSpec.depthwise(32, 1, 3).padding(1).build();
        ConvSpec pw = ConvSpec.pointwise(32, 64);
        float[] dwWeights = new float[dw.weightCount()];
        float[] pwWeights = new float[pw.weightCount()];
        Arrays.fill(dwWeights, 1f / 9);
        Arrays.fill(pwWeights, 1f / 32);
        Tensor image = Tensor.zeros(new Shape(1, 32, 112, 112));
        Arrays.fill(image.data(), 9f);
        Epilogue relu6 = Epilogue.activation(Activation.RELU6);
        return Reference.conv2d(Reference.conv2d(image, dw, dwWeights, relu6), pw, pwWeights, relu6);
    }

    @Test
    void readmeShowsExactlyTheCompiledExample() throws IOException {
        String block = readmeBlock(Path.of("README.md"));
        String source = Files.readString(Path.of("src/test/java/org/convcl/ReadmeExampleTest.java"));
        String body = source.substring(source.indexOf("// README-BEGIN\n") + "// README-BEGIN\n".length(),
                source.indexOf("        // README-END"));
        String dedented = Arrays.stream(body.split("\n", -1))
                .map(line -> line.length() >= 8 ? line.substring(8) : line.strip())
                .collect(Collectors.joining("\n"));
        assertEquals(block, dedented);
    }

    @Test
    void examplePrintsTheShapeAndTheValuesOfTheReference() {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            example();
        } finally {
            System.setOut(stdout);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        stdout.print(printed);
        String device = assertPrinted(printed);
        if (TestBackends.strict()) assertTrue(device.startsWith("opencl "), "strict: the example ran on " + device);
    }
}
