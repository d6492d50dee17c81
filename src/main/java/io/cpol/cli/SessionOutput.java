package io.cpol.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/**
 * Prints sessions as kubectl prints objects: a table (column widths from a first pass over the
 * rows, then one line per session, nothing held but the widths), {@code wide}, or a JSON/YAML
 * document with an {@code items} list written one item at a time.
 */
final class SessionOutput {
  private static final String NONE = "<none>";

  /** What {@code -o} takes. */
  enum Format {
    table,
    wide,
    json,
    yaml
  }

  private static final List<String> HEADERS =
      List.of(
          "USERID",
          "PROTOCOL",
          "SID",
          "CLIENT IP",
          "USERNAME",
          "SUBSCRIPTIONS",
          "VERDICT",
          "POLICY",
          "RULE");
  private static final List<String> WIDE_HEADERS = List.of("CLIENT ID", "ACCOUNT", "ALSO MATCHED");

  private final Format format;
  private final boolean qualified;

  /**
   * @param qualified policies as {@code ns/name} (sessions of several namespaces)
   */
  SessionOutput(Format format, boolean qualified) {
    this.format = format;
    this.qualified = qualified;
  }

  /**
   * Prints the rows; {@code rows} is iterated twice for a table and must give the same rows both
   * times.
   *
   * @return how many rows were printed
   */
  long print(Iterable<SessionRow> rows, OutputStream out) throws IOException {
    return switch (format) {
      case table, wide -> table(rows, out);
      case json -> json(rows, out);
      case yaml -> yaml(rows, out);
    };
  }

  private List<String> headers() {
    List<String> headers = new ArrayList<>(HEADERS);
    if (format == Format.wide) {
      headers.addAll(WIDE_HEADERS);
    }
    return headers;
  }

  private String[] cells(SessionRow row) {
    Connection c = row.connection();
    AccountView.Decision d = row.decision();
    String[] cells = new String[headers().size()];
    cells[0] = orNone(c.userid());
    cells[1] = orNone(c.protocol());
    cells[2] = orNone(c.sid());
    cells[3] = orNone(c.clientip());
    cells[4] = orNone(c.username());
    cells[5] = orNone(SessionRow.subscriptions(c.subscriptions()));
    cells[6] = d.verdict().name();
    cells[7] = orNone(SessionRow.policyName(d.policy(), qualified));
    cells[8] = orNone(d.rule());
    if (format == Format.wide) {
      cells[9] = orNone(c.clientid());
      cells[10] = orNone(row.account());
      cells[11] =
          orNone(
              row.matched().stream()
                  .filter(m -> m.policy() != d.policy())
                  .map(
                      m ->
                          SessionRow.policyName(m.policy(), qualified)
                              + ":"
                              + m.verdict().name()
                              + "("
                              + m.rule()
                              + ")")
                  .collect(Collectors.joining(",")));
    }
    return cells;
  }

  private long table(Iterable<SessionRow> rows, OutputStream out) throws IOException {
    List<String> headers = headers();
    int[] widths = headers.stream().mapToInt(String::length).toArray();
    long count = 0;
    for (SessionRow row : rows) {
      String[] cells = cells(row);
      for (int k = 0; k < cells.length; k++) {
        widths[k] = Math.max(widths[k], cells[k].length());
      }
      count++;
    }
    if (count == 0) {
      return 0;
    }
    Writer w = Output.writer(out);
    line(w, headers.toArray(String[]::new), widths);
    for (SessionRow row : rows) {
      line(w, cells(row), widths);
    }
    w.flush();
    return count;
  }

  /** A small table held in memory, each line after {@code indent}. */
  static void printTable(Writer w, String indent, String[] headers, List<String[]> rows)
      throws IOException {
    int[] widths = new int[headers.length];
    for (int k = 0; k < headers.length; k++) {
      widths[k] = headers[k].length();
      for (String[] row : rows) {
        widths[k] = Math.max(widths[k], row[k].length());
      }
    }
    w.write(indent);
    line(w, headers, widths);
    for (String[] row : rows) {
      w.write(indent);
      line(w, row, widths);
    }
  }

  /** Left-aligned columns three spaces apart, as kubectl prints them. */
  static void line(Writer w, String[] cells, int[] widths) throws IOException {
    for (int k = 0; k < cells.length; k++) {
      w.write(cells[k]);
      if (k < cells.length - 1) {
        for (int pad = widths[k] - cells[k].length() + 3; pad > 0; pad--) {
          w.write(' ');
        }
      }
    }
    w.write('\n');
  }

  private long json(Iterable<SessionRow> rows, OutputStream out) throws IOException {
    long count = 0;
    try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeArrayFieldStart("items");
      for (SessionRow row : rows) {
        writeJson(g, item(row));
        count++;
      }
      g.writeEndArray();
      g.writeEndObject();
      g.writeRaw('\n');
    }
    out.flush();
    return count;
  }

  static void writeJson(JsonGenerator g, Object value) throws IOException {
    if (value instanceof Map<?, ?> map) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        g.writeFieldName(String.valueOf(e.getKey()));
        writeJson(g, e.getValue());
      }
      g.writeEndObject();
    } else if (value instanceof List<?> list) {
      g.writeStartArray();
      for (Object o : list) {
        writeJson(g, o);
      }
      g.writeEndArray();
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (value instanceof Number n) {
      g.writeNumber(n.longValue());
    } else if (value == null) {
      g.writeNull();
    } else {
      g.writeString(value.toString());
    }
  }

  private long yaml(Iterable<SessionRow> rows, OutputStream out) throws IOException {
    Dump dump = yamlDump();
    Writer w = Output.writer(out);
    w.write("items:");
    long count = 0;
    for (SessionRow row : rows) {
      w.write('\n');
      writeYamlItem(w, dump, item(row));
      count++;
    }
    w.write(count == 0 ? " []\n" : "\n");
    w.flush();
    return count;
  }

  /** One document (a map of maps, lists and scalars) as pretty JSON or block YAML. */
  static void printDocument(Format format, Map<String, Object> document, OutputStream out)
      throws IOException {
    if (format == Format.json) {
      try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
        g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        g.useDefaultPrettyPrinter();
        writeJson(g, document);
        g.writeRaw('\n');
      }
    } else {
      Writer w = Output.writer(out);
      w.write(yamlDump().dumpToString(document));
      w.flush();
    }
    out.flush();
  }

  static Dump yamlDump() {
    return new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build());
  }

  /** One list entry: {@code - key: value} with the rest indented under it. */
  static void writeYamlItem(Writer w, Dump dump, Map<String, Object> item) throws IOException {
    String text = dump.dumpToString(item).stripTrailing();
    String[] lines = text.split("\n", -1);
    for (int k = 0; k < lines.length; k++) {
      w.write(k == 0 ? "- " : "\n  ");
      w.write(lines[k]);
    }
  }

  /** A session as a JSON/YAML object: the listing's fields, then the verdicts. */
  Map<String, Object> item(SessionRow row) {
    Connection c = row.connection();
    Map<String, Object> item = new LinkedHashMap<>();
    putIfSet(item, "userid", c.userid());
    putIfSet(item, "sid", c.sid());
    putIfSet(item, "protocol", c.protocol());
    putIfSet(item, "clientid", c.clientid());
    putIfSet(item, "clientip", c.clientip());
    putIfSet(item, "username", c.username());
    if (!c.subscriptions().isEmpty()) {
      List<Object> subs = new ArrayList<>();
      for (Subscription s : c.subscriptions()) {
        Map<String, Object> sub = new LinkedHashMap<>();
        putIfSet(sub, "channel", s.channel());
        putIfSet(sub, "resource", s.resource());
        sub.put("read", s.read());
        sub.put("write", s.write());
        subs.add(sub);
      }
      item.put("subscriptions", subs);
    }
    putIfSet(item, "account", row.account());
    item.put("verdict", row.decision().verdict().name());
    putIfSet(item, "policy", SessionRow.policyName(row.decision().policy(), qualified));
    putIfSet(item, "rule", row.decision().rule());
    if (!row.matched().isEmpty()) {
      List<Object> matched = new ArrayList<>();
      for (AccountView.Decision m : row.matched()) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("policy", SessionRow.policyName(m.policy(), qualified));
        v.put("verdict", m.verdict().name());
        v.put("rule", m.rule());
        matched.add(v);
      }
      item.put("matched", matched);
    }
    return item;
  }

  static void putIfSet(Map<String, Object> map, String key, Object value) {
    if (value != null) {
      map.put(key, value);
    }
  }

  private static String orNone(String s) {
    return s == null || s.isEmpty() ? NONE : s;
  }
}
