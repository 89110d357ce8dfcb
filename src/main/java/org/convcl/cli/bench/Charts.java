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

/** PNG charts of a report, drawn with XChart: GFLOP/s per layer per device, and seed-pair speedups. */
public final class Charts {
    private static final int HEIGHT = 620;

    private Charts() {}

    /** Writes {@code gflops-<suite>.png} for each suite with rows and {@code speedup-pairs.png}; returns the files. */
    public static List<Path> write(Report report, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Path> files = new ArrayList<>();
        for (Suite suite : report.suites()) {
            List<BenchResult> rows = report.results().stream().filter(r -> r.suite().equals(suite.name())).toList();
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
        return files;
    }

    /** Bars of GFLOP/s (kernel median) per case, one colour per backend:device. */
    static CategoryChart gflopsChart(String suite, List<BenchResult> rows) {
        List<String> cases = distinct(rows.stream().map(BenchResult::caseName).toList());
        List<String> series = distinct(rows.stream().map(BenchResult::series).toList());
        CategoryChart chart = base("GFLOP/s per layer, suite " + suite + " (2·MACs / median kernel time; higher is better)",
                "layer", "GFLOP/s (log scale)", cases.size() * series.size(), series);
        // Devices differ by orders of magnitude: markers on a log axis keep the slow ones readable.
        chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Scatter);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(11);
        chart.getStyler().setPlotGridVerticalLinesVisible(true);
        // Whole decades, so the log axis labels at least two powers of ten.
        double lo = rows.stream().mapToDouble(BenchResult::gflops).min().orElse(1);
        double hi = rows.stream().mapToDouble(BenchResult::gflops).max().orElse(10);
        chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(lo))));
        chart.getStyler().setYAxisMax(Math.pow(10, Math.max(Math.ceil(Math.log10(hi)), Math.floor(Math.log10(lo)) + 1)));
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

    /** Bars of predicted speedup next to each series' achieved speedup, per seed pair. */
    static CategoryChart speedupChart(List<PairResult> pairs) {
        List<String> names = distinct(pairs.stream().map(p -> p.pair().name()).toList());
        List<String> series = distinct(pairs.stream().map(PairResult::series).toList());
        CategoryChart chart = base("Seed pairs: predicted (MACs) vs achieved (kernel time) speedup of separable over standard",
                "pair", "speedup (x)", names.size() * (series.size() + 1), series);
        List<Number> predicted = new ArrayList<>();
        for (String n : names) {
            predicted.add(pairs.stream().filter(p -> p.pair().name().equals(n)).findFirst().orElseThrow().predicted());
        }
        chart.addSeries("predicted (Cost)", names, predicted).setFillColor(Color.GRAY);
        for (String s : series) {
            List<Number> y = new ArrayList<>();
            for (String n : names) {
                y.add(pairs.stream().filter(p -> p.series().equals(s) && p.pair().name().equals(n))
                        .map(p -> (Number) p.achievedKernel()).findFirst().orElse(null));
            }
            chart.addSeries("achieved " + s, names, y);
        }
        return chart;
    }

    private static CategoryChart base(String title, String xTitle, String yTitle, int bars, List<String> series) {
        // Wide enough for the bars and for the legend on one line (about 8 px per character at 13 pt).
        int legend = 160 + series.stream().mapToInt(s -> 60 + 8 * s.length()).sum();
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

    private static void save(CategoryChart chart, Path file) throws IOException {
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static List<String> distinct(List<String> values) {
        Set<String> s = new LinkedHashSet<>(values);
        return new ArrayList<>(s);
    }
}
