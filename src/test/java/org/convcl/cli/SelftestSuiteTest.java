package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashSet;
import java.util.List;
import java.util.function.Predicate;
import org.convcl.ConvSpec;
import org.junit.jupiter.api.Test;

class SelftestSuiteTest {

    private static long count(List<SelftestSuite.Case> cases, Predicate<ConvSpec> layer) {
        return cases.stream().filter(c -> c.spec() != null && layer.test(c.spec())).count();
    }

    @Test
    void theShippedCasesCoverWhatTheSelftestPromises() {
        List<SelftestSuite.Case> all = SelftestSuite.load(false);
        assertTrue(all.size() >= 45 && all.size() <= 60, "about 50 cases, got " + all.size());
        assertEquals(all.size(), new HashSet<>(all.stream().map(SelftestSuite.Case::name).toList()).size());
        assertTrue(all.stream().filter(c -> c.name().startsWith("mnv1-")).count() >= 20, "the MobileNet-V1 layers");
        assertTrue(count(all, s -> s.strideH() == 2) >= 5, "stride 2");
        assertTrue(count(all, s -> s.dilationH() == 2) >= 2, "dilation 2");
        assertTrue(count(all, s -> s.kind() == ConvSpec.Kind.DEPTHWISE && s.depthMultiplier() == 2) >= 1, "γ 2");
        assertTrue(count(all, s -> s.kind() == ConvSpec.Kind.DEPTHWISE && s.depthMultiplier() == 3) >= 1, "γ 3");
        assertTrue(count(all, s -> s.kind() == ConvSpec.Kind.GROUPED) >= 2, "groups");
        assertTrue(count(all, s -> s.padTop() != s.padBottom() || s.padLeft() != s.padRight()) >= 2, "asymmetric padding");
        assertTrue(count(all, s -> s.kernelH() != s.kernelW()) >= 2, "K×1 and 1×K");
        assertTrue(all.stream().filter(c -> c.input().n() == 2).count() >= 3, "batch 2");
        assertTrue(all.stream().filter(c -> c.block() != null).count() >= 3, "fused blocks");
        assertTrue(all.stream().anyMatch(c -> c.block() != null && c.block().depthMultiplier() == 2), "a block with γ 2");
        List<SelftestSuite.Case> quick = SelftestSuite.load(true);
        assertTrue(quick.size() >= 8 && quick.size() < all.size() / 3, "a dozen quick cases, got " + quick.size());
        assertTrue(quick.stream().anyMatch(c -> c.block() != null), "a quick block");
    }

    @Test
    void aBadCaseIsNamedWithItsField() throws Exception {
        ObjectMapper json = new ObjectMapper();
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> SelftestSuite.parse(json.readTree(
                "{\"cases\": [{\"name\": \"x\", \"cin\": 2, \"cout\": 2, \"h\": 4, \"w\": 4, \"kh\": 1, \"kw\": 1, \"actvation\": \"relu\"}]}"), false));
        assertEquals("org/convcl/cli/selftest.json, case 'x': unknown field 'actvation'", unknown.getMessage());
        IllegalArgumentException gamma = assertThrows(IllegalArgumentException.class, () -> SelftestSuite.parse(json.readTree(
                "{\"cases\": [{\"name\": \"b\", \"kind\": \"block\", \"cin\": 2, \"cout\": 2, \"h\": 4, \"w\": 4, \"gamma\": 0}]}"), false));
        assertEquals("org/convcl/cli/selftest.json, case 'b': field 'gamma' must be a positive integer, got 0", gamma.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> SelftestSuite.parse(json.readTree(
                "{\"cases\": [{\"name\": \"a\", \"cin\": 1, \"cout\": 1, \"h\": 2, \"w\": 2, \"kh\": 1, \"kw\": 1},"
                        + " {\"name\": \"a\", \"cin\": 1, \"cout\": 1, \"h\": 2, \"w\": 2, \"kh\": 1, \"kw\": 1}]}"), false));
        assertEquals("org/convcl/cli/selftest.json, case 'a': duplicate name", twice.getMessage());
    }
}
