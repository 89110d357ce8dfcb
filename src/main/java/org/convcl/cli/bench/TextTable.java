package org.convcl.cli.bench;

import java.util.ArrayList;
import java.util.List;

/** A table of strings rendered as aligned plain text (for the terminal) or as Markdown. */
public final class TextTable {
    private final List<String> header;
    private final boolean[] rightAligned;
    private final List<List<String>> rows = new ArrayList<>();

    /** Columns whose header starts with {@code >} are right-aligned (the marker is not printed). */
    public TextTable(String... header) {
        this.header = new ArrayList<>();
        this.rightAligned = new boolean[header.length];
        for (int i = 0; i < header.length; i++) {
            rightAligned[i] = header[i].startsWith(">");
            this.header.add(rightAligned[i] ? header[i].substring(1) : header[i]);
        }
    }

    /** Adds a row; its length must match the header. */
    public TextTable row(String... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, header has " + header.size());
        }
        rows.add(List.of(cells));
        return this;
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** Plain text with columns padded to their widest cell and a dashed rule under the header. */
    public String plain() {
        int[] width = new int[header.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = header.get(i).length();
            for (List<String> r : rows) width[i] = Math.max(width[i], r.get(i).length());
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, width);
        List<String> rule = new ArrayList<>();
        for (int w : width) rule.add("-".repeat(w));
        line(sb, rule, width);
        for (List<String> r : rows) line(sb, r, width);
        return sb.toString();
    }

    private void line(StringBuilder sb, List<String> cells, int[] width) {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) sb.append("  ");
            String c = cells.get(i);
            String pad = " ".repeat(width[i] - c.length());
            sb.append(rightAligned[i] ? pad + c : (i == cells.size() - 1 ? c : c + pad));
        }
        sb.append('\n');
    }

    /** A GitHub-flavoured Markdown table. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| ").append(String.join(" | ", header.stream().map(TextTable::escape).toList())).append(" |\n|");
        for (boolean right : rightAligned) sb.append(right ? "---:|" : "---|");
        sb.append('\n');
        for (List<String> r : rows) {
            sb.append("| ").append(String.join(" | ", r.stream().map(TextTable::escape).toList())).append(" |\n");
        }
        return sb.toString();
    }

    private static String escape(String cell) {
        return cell.replace("|", "\\|");
    }
}
