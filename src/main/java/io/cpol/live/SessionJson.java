package io.cpol.live;

import com.fasterxml.jackson.core.JsonGenerator;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;

/** Writes a Session as the API serves it, straight onto a JSON stream (nothing built in memory). */
final class SessionJson {
  private SessionJson() {}

  /** The whole object: metadata, then Beebotte's fields, then the verdicts. */
  static void object(JsonGenerator g, Session s) throws IOException {
    Connection c = s.connection();
    g.writeStartObject();
    g.writeStringField("apiVersion", SessionsApi.GROUP_VERSION);
    g.writeStringField("kind", SessionsApi.KIND);
    metadata(g, s);
    field(g, "userid", c.userid());
    field(g, "sid", c.sid());
    field(g, "protocol", c.protocol());
    field(g, "clientid", c.clientid());
    field(g, "clientip", c.clientip());
    field(g, "owner", c.owner());
    field(g, "username", c.username());
    if (!c.subscriptions().isEmpty()) {
      g.writeArrayFieldStart("subscriptions");
      for (Subscription sub : c.subscriptions()) {
        g.writeStartObject();
        field(g, "channel", sub.channel());
        field(g, "resource", sub.resource());
        g.writeBooleanField("read", sub.read());
        g.writeBooleanField("write", sub.write());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    field(g, "account", s.account());
    field(g, "listedAt", timestamp(s.listedAt()));
    field(g, "verdict", s.decision().verdict());
    field(g, "policy", s.decision().policy());
    field(g, "rule", s.decision().rule());
    if (!s.evaluations().isEmpty()) {
      g.writeArrayFieldStart("evaluations");
      for (PolicyVerdict v : s.evaluations()) {
        g.writeStartObject();
        field(g, "policy", v.policy());
        field(g, "verdict", v.verdict());
        field(g, "rule", v.rule());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    g.writeEndObject();
  }

  /** What a Table row carries by default ({@code includeObject=Metadata}). */
  static void partialObjectMetadata(JsonGenerator g, Session s) throws IOException {
    g.writeStartObject();
    g.writeStringField("kind", "PartialObjectMetadata");
    g.writeStringField("apiVersion", "meta.k8s.io/v1");
    metadata(g, s);
    g.writeEndObject();
  }

  private static void metadata(JsonGenerator g, Session s) throws IOException {
    g.writeObjectFieldStart("metadata");
    g.writeStringField("name", s.name());
    g.writeStringField("namespace", s.namespace());
    g.writeStringField("uid", uid(s.namespace(), s.name()));
    g.writeStringField("resourceVersion", Long.toString(s.resourceVersion()));
    field(g, "creationTimestamp", timestamp(s.firstSeen()));
    g.writeObjectFieldStart("labels");
    for (Map.Entry<String, String> label : s.labels().entrySet()) {
      field(g, label.getKey(), label.getValue());
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  /** A name-derived (version 3) UUID of {@code namespace/name}: the same for the same session. */
  static String uid(String namespace, String name) {
    return UUID.nameUUIDFromBytes((namespace + "/" + name).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  /** RFC 3339 to the second, as metav1.Time is written. */
  static String timestamp(Instant instant) {
    return instant == null ? null : instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static void field(JsonGenerator g, String name, String value) throws IOException {
    if (value != null) {
      g.writeStringField(name, value);
    }
  }
}
