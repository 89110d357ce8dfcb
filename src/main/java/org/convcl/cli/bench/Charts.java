package org.convcl.cli.bench;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

/** PNG charts of a report, drawn with XChart: GFLOP/s per layer per device, seed-pair speedups, fused vs unfused blocks. */
public final class Charts {
    private static final int HEIGHT = 620;

    private Charts() {}

    /**
     * Writes {@code gflops-<suite>.png} for each suite with forward rows, {@code speedup-pairs.png}, {@code blocks.png} when
     * blocks ran and, when CLBlast ran, {@code ratio-clblast.png}; returns the files.
     */
    public static List<Path> write(Report report, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Path> files = new ArrayList<>();
        for (Suite suite : report.suites()) {
            List<BenchResult> rows = Report.forwardOnly(report.results()).stream()
                    .filter(r -> r.suite().equals(suite.name())).toList();
            if (rows.isEmpty()) continue;
            Path file = dir.resolve("gflops-" + suite.name() + ".png");
            save(gflopsChart(suite.name(), rows), file);
            files.add(file);
        }
        if (!report.pairs().isEmpty()) {
            Path file = dir.resolve("speedup-pairs.png");
            save(speedupChart(report.pairs()), file);
            files.add(file);
        }
        if (!report.blocks().isEmpty()) {
            Path file = dir.resolve("blocks.png");
            save(blocksChart(report.blocks()), file);
            files.add(file);
        }
        ClBlastComparison blast = report.clblast();
        if (blast.rows().stream().anyMatch(r -> r.ratio() != null)) {
            Path file = dir.resolve("ratio-clblast.png");
            save(clblastChart(blast), file);
            files.add(file);
        }
        return files;
    }

    /** convcl/CLBlast GFLOP/s ratio per case (n/a cases left out), one series per device, on a log axis. */
    static CategoryChart clblastChart(ClBlastComparison blast) {
        List<ClBlastComparison.Row> rows = blast.rows().stream().filter(r -> r.ratio() != null).toList();
        List<String> cases = distinct(rows.stream().map(r -> r.caseName() + " (" + r.group() + ")").toList());
        List<String> devices = distinct(rows.stream().map(ClBlastComparison.Row::device).toList());
        List<String> series = devices.stream().map(d -> "convcl/CLBlast " + d).toList();
        CategoryChart chart = base("convcl vs CLBlast on the same device: GFLOP/s ratio per layer (higher is better; "
                + "targets: pointwise 2x, full 3x3 3x)", "layer (group)", "convcl / CLBlast (x, log scale)",
                cases.size() * devices.size(), series);
        logMarkers(chart, rows.stream().mapToDouble(ClBlastComparison.Row::ratio).toArray());
        for (String d : devices) {
            List<Number> y = new ArrayList<>();
            for (String c : cases) {
                y.add(rows.stream().filter(r -> r.device().equals(d) && (r.caseName() + " (" + r.group() + ")").equals(c))
                        .map(r -> (Number) r.ratio()).findFirst().orElse(null));
            }
            chart.addSeries("convcl/CLBlast " + d, cases, y);
        }
        return chart;
    }

    /** GFLOP/s (kernel median) per case, one marker colour per backend:device, on a log axis. */
    static CategoryChart gflopsChart(String suite, List<BenchResult> rows) {
        List<String> cases = distinct(rows.stream().map(BenchResult::caseName).toList());
        List<String> series = distinct(rows.stream().map(BenchResult::series).toList());
        CategoryChart chart = base("GFLOP/s per layer, suite " + suite + " (2·MACs / median kernel time; higher is better)",
                "layer", "GFLOP/s (log scale)", cases.size() * series.size(), series);
        // Devices differ by orders of magnitude: markers on a log axis keep the slow ones readable.
        logMarkers(chart, rows.stream().mapToDouble(BenchResult::gflops).toArray());
        for (String s : series) {
            List<Number> y = new ArrayList<>();
            for (String c : cases) {
                y.add(rows.stream().filter(r -> r.series().equals(s) && r.caseName().equals(c))
                        .map(r -> (Number) r.gflops()).findFirst().orElse(null));
            }
            chart.addSeries(s, cases, y);
        }
        return chart;
    }

    /** Predicted speedup next to each series' achieved speedup, per seed pair (markers, log axis). */
    static CategoryChart speedupChart(List<PairResult> pairs) {
        List<String> names = distinct(pairs.stream().map(p -> p.pair().name()).toList());
        List<String> series = distinct(pairs.stream().map(PairResult::series).toList());
        CategoryChart chart = base("Seed pairs: predicted (MACs) vs achieved (kernel time) speedup of separable over standard",
                "pair", "speedup (x, log scale)", names.size() * (series.size() + 1), series);
        List<Number> predicted = new ArrayList<>();
        for (String n : names) {
            predicted.add(pairs.stream().filter(p -> p.pair().name().equals(n)).findFirst().orElseThrow().predicted());
        }
        chart.addSeries("predicted (Cost)", names, predicted).setMarkerColor(Color.DARK_GRAY);
        for (String s : series) {
            List<Number> y = new ArrayList<>();
            for (String n : names) {
                y.add(pairs.stream().filter(p -> p.series().equals(s) && p.pair().name().equals(n))
                        .map(p -> (Number) p.achievedKernel()).findFirst().orElse(null));
            }
            chart.addSeries("achieved " + s, names, y);
        }
        // Achieved speedups range from below 1 to far above the prediction: a log axis keeps both readable.
        double[] all = pairs.stream().flatMapToDouble(p -> java.util.stream.DoubleStream.of(p.predicted(), p.achievedKernel()))
                .toArray();
        logMarkers(chart, all);
        return chart;
    }

    /** Median time of each block's fused and unfused path, one series per (path, backend:device), on a log axis. */
    static CategoryChart blocksChart(List<BlockResult> blocks) {
        List<String> pairs = distinct(blocks.stream().map(BlockResult::pair).toList());
        List<String> series = distinct(blocks.stream().map(b -> b.modeName() + " " + b.series()).toList());
        CategoryChart chart = base("Fused vs unfused depthwise-separable blocks: time of one forward (lower is better)",
                "seed pair", "ms (log scale)", pairs.size() * series.size(), series);
        for (String s : series) {
            List<Number> y = new ArrayList<>();
            for (String p : pairs) {
                y.add(blocks.stream().filter(b -> b.pair().equals(p) && (b.modeName() + " " + b.series()).equals(s))
                        .map(b -> (Number) b.time().medianMs()).findFirst().orElse(null));
            }
            chart.addSeries(s, pairs, y);
        }
        logMarkers(chart, blocks.stream().mapToDouble(b -> b.time().medianMs()).toArray());
        return chart;
    }

    private static CategoryChart base(String title, String xTitle, String yTitle, int bars, List<String> series) {
        // Wide enough for the bars and for the legend on one line (about 9 px per character at 13 pt, with room for the extra series of the speedup chart).
        int legend = 200 + series.stream().mapToInt(s -> 70 + 9 * s.length()).sum();
        int width = Math.max(Math.max(1000, legend), Math.min(4000, 120 + 22 * bars));
        CategoryChart chart = new CategoryChartBuilder().width(width).height(HEIGHT).title(title)
                .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        var s = chart.getStyler();
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        chart.getStyler().setXAxisLabelRotation(45);
        s.setPlotGridVerticalLinesVisible(false);
        chart.getStyler().setYAxisDecimalPattern("#,##0.##");
        chart.getStyler().setLocale(Locale.ROOT);
        return chart;
    }

    /** Markers on a log y axis spanning whole decades, so at least two powers of ten are labelled. */
    private static void logMarkers(CategoryChart chart, double[] values) {
        var s = chart.getStyler();
        s.setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Scatter);
        s.setYAxisLogarithmic(true);
        s.setMarkerSize(11);
        s.setPlotGridVerticalLinesVisible(true);
        double lo = java.util.Arrays.stream(values).filter(v -> v > 0).min().orElse(1);
        double hi = java.util.Arrays.stream(values).max().orElse(10);
        double floor = Math.floor(Math.log10(lo));
        s.setYAxisMin(Math.pow(10, floor));
        s.setYAxisMax(Math.pow(10, Math.max(Math.ceil(Math.log10(hi)), floor + 1)));
    }

    private static void save(CategoryChart chart, Path file) throws IOException {
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static List<String> distinct(List<String> values) {
        Set<String> s = new LinkedHashSet<>(values);
        return new ArrayList<>(s);
    }
}
