package io.cpol.sandbox;

import java.util.ArrayList;
import java.util.List;

/** Left-aligned columns three spaces apart, upper-case headers: how kubectl prints tables. */
final class TextTable {
  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  TextTable(List<String> headers) {
    this.headers = List.copyOf(headers);
  }

  TextTable(String... headers) {
    this(List.of(headers));
  }

  TextTable row(Object... cells) {
    List<String> row = new ArrayList<>();
    for (Object cell : cells) {
      row.add(cell == null ? "" : String.valueOf(cell));
    }
    if (row.size() != headers.size()) {
      throw new IllegalArgumentException(
          headers.size() + " columns, a row of " + row.size() + ": " + row);
    }
    rows.add(row);
    return this;
  }

  int size() {
    return rows.size();
  }

  /** The table, each line prefixed with {@code indent} and ended with a newline. */
  String render(String indent) {
    int[] widths = new int[headers.size()];
    for (int c = 0; c < widths.length; c++) {
      widths[c] = headers.get(c).length();
      for (List<String> row : rows) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    StringBuilder out = new StringBuilder();
    line(out, indent, headers.stream().map(String::toUpperCase).toList(), widths);
    for (List<String> row : rows) {
      line(out, indent, row, widths);
    }
    return out.toString();
  }

  private static void line(StringBuilder out, String indent, List<String> cells, int[] widths) {
    StringBuilder line = new StringBuilder(indent);
    for (int c = 0; c < cells.size(); c++) {
      line.append(cells.get(c));
      if (c < cells.size() - 1) {
        line.append(" ".repeat(widths[c] - cells.get(c).length() + 3));
      }
    }
    out.append(line.toString().stripTrailing()).append('\n');
  }
}
