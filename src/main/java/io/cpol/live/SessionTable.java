package io.cpol.live;

import com.fasterxml.jackson.core.JsonGenerator;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The columns {@code kubectl get sessions} prints (a {@code meta.k8s.io} Table): those of {@code
 * kubectl beebotte sessions}, the wide ones at priority 1 (shown by {@code -o wide}).
 */
final class SessionTable {
  private record Column(
      String name, String type, String format, String description, int priority) {}

  private static final List<Column> COLUMNS =
      List.of(
          new Column("Name", "string", "name", "The session's name.", 0),
          new Column("Userid", "string", "", "The session's user id.", 0),
          new Column("Protocol", "string", "", "mqtt or socketio.", 0),
          new Column("Client IP", "string", "", "The client's IP address.", 0),
          new Column("Verdict", "string", "", "Allowed, Denied or WouldDrop.", 0),
          new Column("Policy", "string", "", "The policy whose verdict is shown.", 0),
          new Column("Rule", "string", "", "The deciding rule.", 0),
          new Column("Listed", "string", "", "How long ago the listing was made.", 0),
          new Column("SID", "string", "", "Beebotte's session id.", 1),
          new Column("Username", "string", "", "userinfo.username (Socket.IO).", 1),
          new Column("Subscriptions", "string", "", "channel.resource, (w) write-only.", 1),
          new Column("Client ID", "string", "", "The MQTT client id.", 1),
          new Column("Account", "string", "", "The Beebotte account.", 1),
          new Column(
              "Also Matched",
              "string",
              "",
              "The other policies whose rules matched: policy:verdict(rule).",
              1));

  private SessionTable() {}

  static void columnDefinitions(JsonGenerator g) throws IOException {
    g.writeArrayFieldStart("columnDefinitions");
    for (Column c : COLUMNS) {
      g.writeStartObject();
      g.writeStringField("name", c.name());
      g.writeStringField("type", c.type());
      g.writeStringField("format", c.format());
      g.writeStringField("description", c.description());
      g.writeNumberField("priority", c.priority());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /** One row: cells, then the object as {@code includeObject} asks. */
  static void row(JsonGenerator g, Session s, IncludeObject include, Instant now)
      throws IOException {
    Connection c = s.connection();
    g.writeStartObject();
    g.writeArrayFieldStart("cells");
    g.writeString(s.name());
    g.writeString(orEmpty(c.userid()));
    g.writeString(orEmpty(c.protocol()));
    g.writeString(orEmpty(c.clientip()));
    g.writeString(s.decision().verdict());
    g.writeString(orEmpty(s.decision().policy()));
    g.writeString(orEmpty(s.decision().rule()));
    g.writeString(
        s.listedAt() == null ? "<unknown>" : HumanDuration.of(Duration.between(s.listedAt(), now)));
    g.writeString(orEmpty(c.sid()));
    g.writeString(orEmpty(c.username()));
    g.writeString(Subscription.columnText(c.subscriptions()));
    g.writeString(orEmpty(c.clientid()));
    g.writeString(orEmpty(s.account()));
    g.writeString(alsoMatched(s));
    g.writeEndArray();
    switch (include) {
      case NONE -> {}
      case METADATA -> {
        g.writeFieldName("object");
        SessionJson.partialObjectMetadata(g, s);
      }
      case OBJECT -> {
        g.writeFieldName("object");
        SessionJson.object(g, s);
      }
    }
    g.writeEndObject();
  }

  /** What a Table row carries besides its cells ({@code ?includeObject=}). */
  enum IncludeObject {
    NONE,
    METADATA,
    OBJECT;

    /**
     * @throws IllegalArgumentException for a value kube-apiserver refuses too
     */
    static IncludeObject parse(String value) {
      if (value == null || value.isEmpty() || value.equals("Metadata")) {
        return METADATA;
      }
      return switch (value) {
        case "None" -> NONE;
        case "Object" -> OBJECT;
        default ->
            throw new IllegalArgumentException(
                "includeObject must be None, Metadata or Object, not " + value);
      };
    }
  }

  private static String alsoMatched(Session s) {
    return s.evaluations().stream()
        // As the plugin's column: only policies a rule of which matched (deny or allow).
        .filter(v -> v.policy() != null && v.rule() != null && !v.equals(s.decision()))
        .map(v -> v.policy() + ":" + v.verdict() + (v.rule() == null ? "" : "(" + v.rule() + ")"))
        .collect(Collectors.joining(","));
  }

  private static String orEmpty(String value) {
    return value == null ? "" : value;
  }
}
