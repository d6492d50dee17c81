package io.cpol.sim;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Protocol;
import io.cpol.beebotte.Subscription;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Connection objects and error bodies in Beebotte's JSON shape: MQTT objects carry the six common
 * fields only; Socket.IO (and unknown protocols) add {@code subscriptions} and {@code userinfo}.
 */
final class WireFormat {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final JsonFactory JSON = MAPPER.getFactory();

  private WireFormat() {}

  static void writeConnections(List<Connection> connections, OutputStream out) throws IOException {
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.writeStartArray();
      for (Connection c : connections) {
        writeConnection(g, c);
      }
      g.writeEndArray();
    }
  }

  static void writeConnection(JsonGenerator g, Connection c) throws IOException {
    g.writeStartObject();
    g.writeStringField("clientid", c.clientid());
    g.writeStringField("clientip", c.clientip());
    g.writeStringField("owner", c.owner());
    g.writeStringField("protocol", c.protocol());
    g.writeStringField("sid", c.sid());
    g.writeStringField("userid", c.userid());
    if (!Protocol.mqtt.wireName().equals(c.protocol())) {
      g.writeArrayFieldStart("subscriptions");
      for (Subscription s : c.subscriptions()) {
        g.writeStartObject();
        g.writeStringField("channel", s.channel());
        g.writeStringField("resource", s.resource());
        g.writeBooleanField("read", s.read());
        g.writeBooleanField("write", s.write());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeObjectFieldStart("userinfo");
      g.writeStringField("userid", c.userid());
      if (c.username() != null) {
        g.writeStringField("username", c.username());
      }
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  /** {@code {"error":{"message":..,"code":..}}}, the body of every Beebotte error. */
  static byte[] error(String message, int code) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(96);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeObjectFieldStart("error");
      g.writeStringField("message", message);
      g.writeNumberField("code", code);
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static SimResponse errorResponse(int status, String message, int code) {
    return SimResponse.bytes(status, SimResponse.JSON, error(message, code));
  }

  /**
   * Reads a JSON array (or one object) of connections in the wire format; fields the API does not
   * serve are ignored, missing optional ones stay null for the simulator to fill in.
   *
   * @throws IllegalArgumentException when the JSON is not connection objects
   */
  static List<Connection> readConnections(JsonNode node) {
    List<Connection> out = new ArrayList<>();
    if (node.isObject()) {
      out.add(readConnection(node));
    } else if (node.isArray()) {
      for (JsonNode n : node) {
        out.add(readConnection(n));
      }
    } else {
      throw new IllegalArgumentException("expected a JSON array of connection objects");
    }
    return out;
  }

  static Connection readConnection(JsonNode n) {
    if (!n.isObject()) {
      throw new IllegalArgumentException("expected a connection object, got " + n);
    }
    String userid = text(n, "userid");
    if (userid == null) {
      throw new IllegalArgumentException("connection without userid: " + n);
    }
    String protocol = text(n, "protocol");
    if (protocol == null) {
      throw new IllegalArgumentException("connection without protocol: " + n);
    }
    List<Subscription> subscriptions = new ArrayList<>();
    JsonNode subs = n.get("subscriptions");
    if (subs != null && subs.isArray()) {
      for (JsonNode s : subs) {
        subscriptions.add(
            new Subscription(
                text(s, "channel"),
                text(s, "resource"),
                s.path("read").asBoolean(false),
                s.path("write").asBoolean(false)));
      }
    }
    JsonNode userinfo = n.get("userinfo");
    String username = userinfo == null ? null : text(userinfo, "username");
    return new Connection(
        userid,
        text(n, "sid"),
        protocol,
        text(n, "clientid"),
        text(n, "clientip"),
        text(n, "owner"),
        username,
        subscriptions);
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
