package org.convcl.cli.bench;

import java.io.PrintWriter;

/** A one-line progress bar redrawn in place with carriage returns; ends with a newline when complete. */
public final class ProgressBar implements BenchRunner.Progress {
    private static final int WIDTH = 28, LABEL = 60;
    private final PrintWriter err;
    private final long start = System.nanoTime();

    public ProgressBar(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void step(int done, int total, String label) {
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        String text = label.length() > LABEL ? label.substring(0, LABEL - 1) + "…" : label;
        double seconds = (System.nanoTime() - start) / 1e9;
        err.printf("\r[%s%s] %3d/%d %5.0fs %-" + LABEL + "s", "#".repeat(filled), ".".repeat(WIDTH - filled),
                done, total, seconds, text);
        if (done >= total) err.println();
        err.flush();
    }
}
