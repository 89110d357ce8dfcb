package org.convcl.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.convcl.ConvSpec;
import org.convcl.Cost;
import org.convcl.SeedFormula;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The built-in suites parse, hold what the benchmark issue asks for, and bad files are named. */
class SuitesTest {
    /** The built-in suites' sources in the checkout. */
    static final Path SUITES = Path.of("src", "main", "resources", SuiteLoader.BUILT_IN);

    static Map<String, Suite> repoSuites() {
        SuiteLoader loader = SuiteLoader.builtIn();
        return Map.ofEntries(loader.load(List.of("all")).stream().map(s -> Map.entry(s.name(), s)).toArray(Map.Entry[]::new));
    }

    @Test
    void everySuiteFileParsesIntoValidLayersWithAQuickSubset() {
        Map<String, Suite> suites = repoSuites();
        assertEquals(List.of("mobilenet-v1", "odd", "resnet", "seed-pairs"), SuiteLoader.builtIn().available());
        assertEquals(SuiteLoader.builtIn().available(), new SuiteLoader(SUITES).available());
        for (Suite s : suites.values()) {
            assertFalse(s.cases().isEmpty(), s.name());
            assertFalse(s.cases(true).isEmpty(), s.name() + " has no quick case");
            for (BenchCase c : s.cases()) {
                // Every case is a valid spec with an input it fits, at batch 1 and 8.
                assertEquals(c.spec().kind(), c.kind(), c.name());
                assertTrue(c.cost(8).macs() == 8 * c.cost(1).macs(), c.name());
            }
        }
    }

    @Test
    void builtInSuitesAreFoundInsideAJarAndFilesAndNamesMix(@TempDir Path dir) throws IOException {
        Path jar = dir.resolve("tool.jar");
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(jar))) {
            zip.putNextEntry(new java.util.zip.ZipEntry(SuiteLoader.BUILT_IN + "/resnet.json"));
            zip.write(Files.readAllBytes(SUITES.resolve("resnet.json")));
            zip.closeEntry();
        }
        SuiteLoader inJar = SuiteLoader.builtIn(jar);
        assertEquals(List.of("resnet"), inJar.available());
        List<Suite> loaded = inJar.load(List.of("resnet", SUITES.resolve("odd.json").toString(), "resnet"));
        assertEquals(List.of("resnet", "odd"), loaded.stream().map(Suite::name).toList());
        assertEquals("built-in", loaded.get(0).source());
        assertEquals(SUITES.resolve("odd.json").toString(), loaded.get(1).source());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> inJar.load(List.of("odd")));
        assertEquals("unknown suite 'odd' (available: resnet, all; or the path of a .json suite file)", e.getMessage());
    }

    @Test
    void mobilenetHasItsTwentyEightLayers() {
        Suite m = repoSuites().get("mobilenet-v1");
        assertEquals(28, m.cases().size());
        assertEquals(13, m.cases().stream().filter(c -> c.kind() == ConvSpec.Kind.DEPTHWISE).count());
        assertEquals(14, m.cases().stream().filter(c -> c.kind() == ConvSpec.Kind.POINTWISE).count()); // 13 + classifier
        BenchCase conv1 = m.cases().get(0);
        assertEquals(new org.convcl.Shape(1, 32, 112, 112), conv1.cost(1).output());
        // The last block runs at 7x7 with 1024 channels.
        BenchCase pw13 = m.cases().get(m.cases().size() - 2);
        assertEquals(new org.convcl.Shape(1, 1024, 7, 7), pw13.cost(1).output());
        // MobileNet-V1 paper: 569 million mult-adds for the 28 layers (classifier included).
        long total = m.cases().stream().mapToLong(c -> c.cost(1).macs()).sum();
        assertEquals(568_740_352L, total);
    }

    @Test
    void resnetSuiteHoldsEveryDistinctConvolutionOfResNet18() {
        Suite r = repoSuites().get("resnet");
        assertEquals(List.of(56, 28, 14, 7, 224, 56, 56, 28, 28, 14, 14), r.cases().stream().map(BenchCase::h).toList());
        long macs = 0;
        for (BenchCase c : r.cases()) {
            int stride = c.spec().strideH();
            assertEquals(c.h() / stride, c.cost(1).output().h(), c.name());
            // the 3x3 stride-1 layers repeat: 4 times at 64 channels (layer1), 3 times in each later stage
            macs += c.cost(1).macs() * (stride == 2 ? 1 : c.spec().inChannels() == 64 ? 4 : 3);
        }
        // ResNet-18's convolutions: 1.814 G mult-adds with the classifier's 0.5 M
        assertEquals(1_813_561_344L, macs);
    }

    @Test
    void seedPairsPredictedRatioEqualsTheSeedFormula() {
        Suite s = repoSuites().get("seed-pairs");
        assertTrue(s.pairs().size() >= 9 + 6 + 2, "pairs: " + s.pairs().size());
        for (SeedPair p : s.pairs()) {
            for (int batch : new int[] {1, 8}) {
                assertEquals(p.seedFormulaSpeedup(), p.predictedSpeedup(batch), 1e-12 * p.seedFormulaSpeedup(), p.name());
            }
            if (p.formula() == SeedFormula.DEPTHWISE_SEPARABLE) {
                ConvSpec pw = p.separable().get(1).spec();
                ConvSpec dw = p.separable().get(0).spec();
                assertEquals(1 / Cost.separableReduction(pw.outChannels(), dw.kernelH()), p.predictedSpeedup(1),
                        1e-12 * p.predictedSpeedup(1), p.name());
            }
        }
        assertFalse(s.pairs(true).isEmpty(), "quick mode keeps at least one pair");
        assertTrue(s.pairs().stream().map(SeedPair::formula).distinct().count() == SeedFormula.values().length);
    }

    @Test
    void spatialPairsPredictHalfTheKernelSide() {
        for (SeedPair p : repoSuites().get("seed-pairs").pairs()) {
            if (p.formula() != SeedFormula.SPATIAL) continue;
            int k = p.standard().get(0).spec().kernelH();
            assertEquals(k / 2.0, p.predictedSpeedup(1), 1e-12, p.name());
        }
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "{\"name\":\"a\",\"kind\":\"full\",\"cin\":3,\"h\":8,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3,\"groups\":2}|groups=2 does not divide inChannels=3",
        "{\"name\":\"a\",\"kind\":\"pointwise\",\"cin\":3,\"h\":8,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3}|kind 'pointwise' does not match the layer, which is full",
        "{\"name\":\"a\",\"kind\":\"full\",\"cin\":3,\"h\":2,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3}|kernel height 3",
        "{\"name\":\"a\",\"kind\":\"full\",\"cin\":3,\"h\":8,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3,\"pad\":[1,1]}|field 'pad' must be an integer or an array of 4",
        "{\"name\":\"a\",\"kind\":\"full\",\"cin\":3,\"h\":8,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3,\"strid\":2}|unknown field 'strid'",
        "{\"name\":\"a\",\"kind\":\"full\",\"h\":8,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3}|missing field 'cin'",
    })
    void badCasesAreNamed(String caseJson, String expected, @TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"suite\":\"bad\",\"cases\":[" + caseJson + "]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SuiteLoader.load(f));
        assertTrue(e.getMessage().contains("bad.json case 'a'"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void badPairsAndUnknownSuitesAreNamed(@TempDir Path dir) throws IOException {
        String cases = "[{\"name\":\"std\",\"kind\":\"full\",\"cin\":4,\"h\":8,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3,\"pad\":1},"
                + "{\"name\":\"pw\",\"kind\":\"pointwise\",\"cin\":4,\"h\":8,\"w\":8,\"cout\":4,\"kh\":1,\"kw\":1}]";
        Files.writeString(dir.resolve("p.json"), "{\"suite\":\"p\",\"cases\":" + cases + ",\"pairs\":[{\"name\":\"x\","
                + "\"formula\":\"depthwise-separable\",\"standard\":[\"std\"],\"separable\":[\"nope\"]}]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SuiteLoader.load(dir.resolve("p.json")));
        assertTrue(e.getMessage().contains("p.json pair 'x': separable names unknown case \"nope\""), e.getMessage());

        Files.writeString(dir.resolve("p.json"), "{\"suite\":\"p\",\"cases\":" + cases + ",\"pairs\":[{\"name\":\"x\","
                + "\"formula\":\"depthwise-separable\",\"standard\":[\"std\"],\"separable\":[\"pw\"]}]}");
        e = assertThrows(IllegalArgumentException.class, () -> SuiteLoader.load(dir.resolve("p.json")));
        assertTrue(e.getMessage().contains("separable member 1 must be depthwise"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> new SuiteLoader(dir).load(List.of("nosuch")));
        assertTrue(e.getMessage().contains("unknown suite 'nosuch'") && e.getMessage().contains("p, all"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SuiteLoader(dir.resolve("missing")));
        assertTrue(e.getMessage().contains("missing does not exist"), e.getMessage());
    }
}
