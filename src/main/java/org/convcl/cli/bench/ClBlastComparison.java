package org.convcl.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.convcl.ConvSpec;

/**
 * convcl's OpenCL kernels next to CLBlast on the same device, from a report's rows: per case the ratio
 * {@code GFLOP/s(convcl) / GFLOP/s(CLBlast)} (= CLBlast's kernel time / convcl's), and per layer group (pointwise,
 * full K×K, ...) its range and geometric mean next to issue 4's targets. Only devices with at least one CLBlast row
 * take part; cases CLBlast cannot compute show n/a with the reason, supported cases without a CLBlast row show
 * "failed".
 */
public final class ClBlastComparison {
    /** convcl must be at least this many times CLBlast's SGEMM on pointwise layers (issue 4). */
    public static final double POINTWISE_TARGET = 2.0;
    /** convcl must be at least this many times CLBlast's convgemm on full 3×3 stride-1 layers (issue 4). */
    public static final double FULL_3X3_TARGET = 3.0;

    /**
     * One case on one device. {@code clblastGflops} and {@code ratio} are null when CLBlast has no number,
     * with {@code note} saying why.
     */
    public record Row(String suite, String caseName, String group, String device, String input,
                      double convclGflops, Double clblastGflops, Double ratio, String note) {}

    /** One layer group on one device: ranges over its cases with both numbers. */
    public record Group(String group, String device, int layers, double convclMin, double convclMax,
                        double clblastMin, double clblastMax, double ratioMin, double ratioGeomean, double ratioMax,
                        Double target) {
        /** Whether every layer of the group meets its target; null when the group has none. */
        public Boolean met() {
            return target == null ? null : ratioMin >= target;
        }
    }

    private final List<Row> rows;

    private ClBlastComparison(List<Row> rows) {
        this.rows = List.copyOf(rows);
    }

    /** Pairs each convcl OpenCL row with the CLBlast row of the same case, input and device. */
    public static ClBlastComparison of(List<BenchResult> results) {
        Set<String> devices = new LinkedHashSet<>();
        Map<String, BenchResult> blast = new LinkedHashMap<>();
        for (BenchResult r : results) {
            if (r.backend().equals(ClBlast.BACKEND)) {
                devices.add(r.device());
                blast.put(key(r), r);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (BenchResult r : results) {
            if (!r.backend().equals("opencl") || !devices.contains(r.device())) continue;
            String input = r.input().n() + "x" + r.input().c() + "x" + r.input().h() + "x" + r.input().w();
            BenchResult b = blast.get(key(r));
            if (b != null) {
                rows.add(new Row(r.suite(), r.caseName(), group(r.spec()), r.device(), input, r.gflops(), b.gflops(),
                        r.gflops() / b.gflops(), b.plan()));
            } else {
                Optional<String> why = ClBlast.unsupported(r.spec());
                rows.add(new Row(r.suite(), r.caseName(), group(r.spec()), r.device(), input, r.gflops(), null, null,
                        why.map(w -> "n/a: " + w).orElse("failed (see the failures)")));
            }
        }
        return new ClBlastComparison(rows);
    }

    private static String key(BenchResult r) {
        return r.suite() + "/" + r.caseName() + "/" + r.input() + "/" + r.device();
    }

    /**
     * The layer group a spec is compared in: {@code pointwise}, {@code full KHxKW} (with {@code /s} for stride s),
     * {@code depthwise} or {@code grouped}.
     */
    public static String group(ConvSpec spec) {
        return switch (spec.kind()) {
            case POINTWISE -> "pointwise";
            case FULL -> "full " + spec.kernelH() + "x" + spec.kernelW()
                    + (spec.strideH() == 1 && spec.strideW() == 1 ? ""
                    : spec.strideH() == spec.strideW() ? "/" + spec.strideH() : "/" + spec.strideH() + "x" + spec.strideW());
            case DEPTHWISE -> "depthwise";
            case GROUPED -> "grouped";
        };
    }

    /** Issue 4's target ratio for a group, or null when it sets none. */
    public static Double target(String group) {
        return switch (group) {
            case "pointwise" -> POINTWISE_TARGET;
            case "full 3x3" -> FULL_3X3_TARGET;
            default -> null;
        };
    }

    /** Every compared case, in report order. */
    public List<Row> rows() {
        return rows;
    }

    /** True when no device had CLBlast rows. */
    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** Per (device, group) summaries of the cases with both numbers, groups in first-seen order. */
    public List<Group> groups() {
        Map<String, List<Row>> byGroup = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.ratio() != null) byGroup.computeIfAbsent(r.device() + "\u0000" + r.group(), k -> new ArrayList<>()).add(r);
        }
        List<Group> out = new ArrayList<>();
        for (List<Row> g : byGroup.values()) {
            double logSum = 0;
            for (Row r : g) logSum += Math.log(r.ratio());
            out.add(new Group(g.get(0).group(), g.get(0).device(), g.size(),
                    g.stream().mapToDouble(Row::convclGflops).min().orElseThrow(),
                    g.stream().mapToDouble(Row::convclGflops).max().orElseThrow(),
                    g.stream().mapToDouble(Row::clblastGflops).min().orElseThrow(),
                    g.stream().mapToDouble(Row::clblastGflops).max().orElseThrow(),
                    g.stream().mapToDouble(Row::ratio).min().orElseThrow(),
                    Math.exp(logSum / g.size()),
                    g.stream().mapToDouble(Row::ratio).max().orElseThrow(),
                    target(g.get(0).group())));
        }
        return out;
    }

    /** Per-case table: GFLOP/s of both and the ratio, or n/a with the reason. */
    public TextTable casesTable() {
        TextTable t = new TextTable("suite", "case", "group", "device", "input", ">convcl GFLOP/s", ">CLBlast GFLOP/s",
                ">convcl/CLBlast", "note");
        for (Row r : rows) {
            t.row(r.suite(), r.caseName(), r.group(), r.device(), r.input(), Report.fmt(r.convclGflops()),
                    r.clblastGflops() == null ? "n/a" : Report.fmt(r.clblastGflops()),
                    r.ratio() == null ? "n/a" : Report.ratio(r.ratio()),
                    r.ratio() == null ? r.note() : "");
        }
        return t;
    }

    /** Per-group table: GFLOP/s ranges, ratio min / geometric mean / max, and the target where issue 4 sets one. */
    public TextTable groupsTable() {
        TextTable t = new TextTable("group", "device", ">layers", ">convcl GFLOP/s", ">CLBlast GFLOP/s", ">ratio min",
                ">geomean", ">max", ">target", "met");
        for (Group g : groups()) {
            t.row(g.group(), g.device(), String.valueOf(g.layers()), range(g.convclMin(), g.convclMax()),
                    range(g.clblastMin(), g.clblastMax()), Report.ratio(g.ratioMin()), Report.ratio(g.ratioGeomean()),
                    Report.ratio(g.ratioMax()), g.target() == null ? "-" : Report.ratio(g.target()),
                    g.met() == null ? "-" : g.met() ? "yes" : "no");
        }
        return t;
    }

    private static String range(double lo, double hi) {
        return String.format(Locale.ROOT, "%s–%s", Report.fmt(lo), Report.fmt(hi));
    }
}
