package org.convcl.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.convcl.BlockCost;
import org.convcl.ConvSpec;
import org.convcl.Cost;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.cli.bench.BenchCase;
import org.convcl.cli.bench.SeedPair;
import org.convcl.cli.bench.Suite;
import org.convcl.cli.bench.TextTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code convcl cost}: the cost table (weights, MACs, bytes, ratios over the standard convolution) of one layer
 * given by flags, with its separable replacements, or of every case and seed pair of a suite file. Needs no
 * device.
 */
@Command(name = "cost", mixinStandardHelpOptions = true,
        description = {"Print weights, MACs, bytes and reduction ratios of a layer and its separable forms, "
                + "or of the cases and seed pairs of suites (built in, or files). Needs no device."})
final class CostCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private SuiteFlags suites;

    @Mixin
    private LayerFlags layer;

    @Option(names = "--gamma", defaultValue = "1", paramLabel = "G",
            description = "Depth multiplier of the separable block's depthwise step (default ${DEFAULT-VALUE}).")
    private int gamma;

    @Override
    public Integer call() {
        if (layer.batch <= 0) throw usage("--batch must be positive, got " + layer.batch);
        String table;
        try {
            table = suites.given() ? suiteTables() : layerTable();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        spec.commandLine().getOut().print(table);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private String suiteTables() {
        if (layer.anyLayerGiven()) throw usage("--suite cannot be combined with --cin, --cout or --size");
        return String.join("\n", suites.load().stream().map(this::suiteTable).toList());
    }

    private String suiteTable(Suite s) {
        TextTable cases = new TextTable("case", "kind", "input", ">weights", ">MACs", ">bytes");
        for (BenchCase c : s.cases()) {
            Cost cost = c.cost(layer.batch);
            cases.row(c.name(), c.kindName(), cost.input().toString(), count(cost.weights()), count(cost.macs()),
                    count(cost.bytes()));
        }
        StringBuilder out = new StringBuilder("suite " + s.name() + " (" + s.source() + "), batch " + layer.batch + "\n")
                .append(cases.plain());
        if (!s.pairs().isEmpty()) {
            TextTable pairs = new TextTable("pair", "formula", ">MACs standard", ">MACs separable", ">speedup (MACs)",
                    ">speedup (seed formula)");
            for (SeedPair p : s.pairs()) {
                long std = p.standard().stream().mapToLong(c -> c.cost(layer.batch).macs()).sum();
                long sep = p.separable().stream().mapToLong(c -> c.cost(layer.batch).macs()).sum();
                pairs.row(p.name(), p.formula().name().toLowerCase(Locale.ROOT), count(std), count(sep),
                        ratio(p.predictedSpeedup(layer.batch)), ratio(p.seedFormulaSpeedup()));
            }
            out.append('\n').append(pairs.plain());
        }
        return out.toString();
    }

    private String layerTable() {
        if (!layer.layerGiven()) throw usage("give --suite NAME|FILE, or a layer with --cin, --cout and --size");
        if (gamma <= 0) throw usage("--gamma must be positive, got " + gamma);
        ConvSpec standard = layer.spec();
        Shape input = layer.input();
        Cost std = Cost.of(standard, input);
        TextTable t = new TextTable("form", "spec", ">weights", ">MACs", ">bytes", ">fused bytes", ">MAC ratio",
                ">weight ratio");
        t.row("standard", standard.toString(), count(std.weights()), count(std.macs()), count(std.bytes()), "-", "1",
                "1");
        SeparableBlock block = blockFor(standard, gamma);
        addBlock(t, "separable (γ=" + gamma + ")", BlockCost.of(block, input));
        int root = (int) Math.round(Math.sqrt(gamma));
        if (gamma > 1 && root * root == gamma && standard.outChannels() == standard.inChannels() * gamma) {
            addBlock(t, "distributed (√γ=" + root + " each step)", BlockCost.of(blockFor(standard, root), input));
        }
        if (standard.kernelH() > 1 && standard.kernelW() > 1) {
            BlockCost spatial = BlockCost.spatial(standard, input);
            t.row("spatial " + standard.kernelH() + "x1 + 1x" + standard.kernelW(), spatial.first().spec() + " + " + spatial.second().spec(),
                    count(spatial.weights()), count(spatial.macs()), count(spatial.bytes()), "-", ratio(spatial.macRatio()),
                    ratio(spatial.weightRatio()));
        }
        return "layer " + standard + " on input " + input + "\n" + t.plain();
    }

    /** The depthwise-separable block with the standard layer's window and a depthwise multiplier. */
    private SeparableBlock blockFor(ConvSpec s, int multiplier) {
        return SeparableBlock.builder(s.inChannels(), s.outChannels()).depthMultiplier(multiplier)
                .kernel(s.kernelH(), s.kernelW()).stride(s.strideH(), s.strideW()).dilation(s.dilationH(), s.dilationW())
                .padding(s.padTop(), s.padLeft(), s.padBottom(), s.padRight()).build();
    }

    private static void addBlock(TextTable t, String name, BlockCost c) {
        t.row(name, "dw + pw", count(c.weights()), count(c.macs()), count(c.bytes()), count(c.fusedBytes()),
                ratio(c.macRatio()), ratio(c.weightRatio()));
        t.row("  depthwise step", c.first().spec().toString(), count(c.first().weights()), count(c.first().macs()),
                count(c.first().bytes()), "-", "-", "-");
        t.row("  pointwise step", c.second().spec().toString(), count(c.second().weights()), count(c.second().macs()),
                count(c.second().bytes()), "-", "-", "-");
    }

    private static String count(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private static String ratio(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
