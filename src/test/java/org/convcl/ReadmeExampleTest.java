package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Keeps the README's Java example honest: the same code is compiled and run here. */
class ReadmeExampleTest {

    static void example() {
        // README-BEGIN
        try (Backend backend = Backends.open()) {              // best OpenCL device, else the CPU
            ConvSpec dw = ConvSpec.depthwise(32, 1, 3).padding(1).build();
            ConvSpec pw = ConvSpec.pointwise(32, 64);
            float[] dwWeights = new float[dw.weightCount()];  // OIHW: [32][1][3][3]
            float[] pwWeights = new float[pw.weightCount()];  // OIHW: [64][32][1][1]
            java.util.Arrays.fill(dwWeights, 1f / 9);
            java.util.Arrays.fill(pwWeights, 1f / 32);
            Tensor image = Tensor.zeros(new Shape(1, 32, 112, 112));

            try (PreparedConv depthwise = backend.prepare(dw, dwWeights, Epilogue.activation(Activation.RELU6));
                 PreparedConv pointwise = backend.prepare(pw, pwWeights, Epilogue.activation(Activation.RELU6));
                 DeviceTensor x = backend.upload(image);
                 DeviceTensor mid = depthwise.forward(x);      // stays on the device
                 DeviceTensor y = pointwise.forward(mid)) {
                Tensor out = y.download();                      // [1, 64, 112, 112]
                System.out.println(backend.device().describe() + " -> " + out.shape());
            }
        }
        // README-END
    }

    @Test
    void readmeShowsExactlyTheCompiledExample() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("```java\n", readme.indexOf("ReadmeExampleTest"));
        assertTrue(start >= 0, "README has no java block after the ReadmeExampleTest marker");
        start += "```java\n".length();
        String block = readme.substring(start, readme.indexOf("```", start));

        String source = Files.readString(Path.of("src/test/java/org/convcl/ReadmeExampleTest.java"));
        String body = source.substring(source.indexOf("// README-BEGIN\n") + "// README-BEGIN\n".length(),
                source.indexOf("        // README-END"));
        String dedented = Arrays.stream(body.split("\n", -1))
                .map(line -> line.length() >= 8 ? line.substring(8) : line.strip())
                .collect(Collectors.joining("\n"));
        assertEquals(block, dedented);
    }

    @Test
    void exampleRuns() {
        example();
    }
}
