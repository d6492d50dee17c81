package io.cpol.beebotte;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Streams a {@code GET /v1/connections} body into {@link Connection}s token by token, so a listing
 * of a large account never exists in memory as text or as a JSON tree. Thread-safe.
 */
public final class ConnectionListDecoder {

  private final JsonFactory factory;

  public ConnectionListDecoder() {
    this(new JsonFactory());
  }

  /** Uses the given factory; it is shared across calls, which is what makes parsers cheap. */
  public ConnectionListDecoder(JsonFactory factory) {
    this.factory = factory;
  }

  /**
   * Decodes a JSON array of connection objects, the connections alone; see {@link #listing}.
   *
   * @return an unmodifiable list
   * @throws IOException when reading fails or the body is not a JSON array
   */
  public List<Connection> decode(InputStream in) throws IOException {
    return listing(in).connections();
  }

  /**
   * Decodes a JSON array of connection objects. Unknown fields are skipped and absent fields are
   * null (false for subscription flags), so Beebotte can add fields without breaking the operator.
   * An element that is not an object, or an object without a usable userid (absent, null, empty, an
   * object or a list), can be neither told apart nor dropped: it is skipped and counted, and the
   * rest of the account is still listed. Does not close {@code in}.
   *
   * @throws IOException when reading fails or the body is not one JSON array (truncated, another
   *     value, or followed by more content)
   */
  public ConnectionListing listing(InputStream in) throws IOException {
    try (JsonParser p = factory.createParser(in)) {
      // The caller owns the stream (e.g. an HTTP response that must be closed its own way).
      p.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new JsonParseException(p, "expected a JSON array of connections");
      }
      List<Connection> out = new ArrayList<>();
      int skipped = 0;
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == JsonToken.START_OBJECT) {
          Connection c = readConnection(p);
          if (c.userid() != null && !c.userid().isEmpty()) {
            out.add(c);
            continue;
          }
        } else {
          skipChildren(p, t);
        }
        skipped++;
      }
      // Anything after the array means the body is not what we think it is.
      if (p.nextToken() != null) {
        throw new JsonParseException(p, "unexpected content after the connection array");
      }
      return new ConnectionListing(out, skipped);
    }
  }

  private static Connection readConnection(JsonParser p) throws IOException {
    String userid = null;
    String sid = null;
    String protocol = null;
    String clientid = null;
    String clientip = null;
    String owner = null;
    String username = null;
    List<Subscription> subscriptions = List.of();
    String field;
    while ((field = p.nextFieldName()) != null) {
      switch (field) {
        case "userid" -> userid = readString(p);
        case "sid" -> sid = readString(p);
        case "protocol" -> protocol = readString(p);
        case "clientid" -> clientid = readString(p);
        case "clientip" -> clientip = readString(p);
        case "owner" -> owner = readString(p);
        case "userinfo" -> username = readUsername(p);
        case "subscriptions" -> subscriptions = readSubscriptions(p);
        default -> skipValue(p);
      }
    }
    expectEndObject(p);
    return new Connection(
        userid, sid, protocol, clientid, clientip, owner, username, subscriptions);
  }

  private static String readUsername(JsonParser p) throws IOException {
    JsonToken t = p.nextToken();
    if (t != JsonToken.START_OBJECT) {
      skipChildren(p, t);
      return null;
    }
    String username = null;
    String field;
    while ((field = p.nextFieldName()) != null) {
      if (field.equals("username")) {
        username = readString(p);
      } else {
        skipValue(p);
      }
    }
    expectEndObject(p);
    return username;
  }

  private static List<Subscription> readSubscriptions(JsonParser p) throws IOException {
    JsonToken t = p.nextToken();
    if (t != JsonToken.START_ARRAY) {
      skipChildren(p, t);
      return List.of();
    }
    List<Subscription> subs = new ArrayList<>(4);
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t == JsonToken.START_OBJECT) {
        subs.add(readSubscription(p));
      } else {
        skipChildren(p, t);
      }
    }
    return subs;
  }

  private static Subscription readSubscription(JsonParser p) throws IOException {
    String channel = null;
    String resource = null;
    boolean read = false;
    boolean write = false;
    String field;
    while ((field = p.nextFieldName()) != null) {
      switch (field) {
        case "channel" -> channel = readString(p);
        case "resource" -> resource = readString(p);
        case "read" -> read = readBoolean(p);
        case "write" -> write = readBoolean(p);
        default -> skipValue(p);
      }
    }
    expectEndObject(p);
    return new Subscription(channel, resource, read, write);
  }

  /** A string field's value; numbers and booleans as their text, structures skipped as null. */
  private static String readString(JsonParser p) throws IOException {
    JsonToken t = p.nextToken();
    if (t == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    if (t != null && t.isScalarValue()) {
      return p.getText();
    }
    skipChildren(p, t);
    return null;
  }

  private static boolean readBoolean(JsonParser p) throws IOException {
    JsonToken t = p.nextToken();
    if (t == JsonToken.VALUE_TRUE) {
      return true;
    }
    if (t != null && t.isScalarValue()) {
      return p.getValueAsBoolean(false);
    }
    skipChildren(p, t);
    return false;
  }

  private static void skipValue(JsonParser p) throws IOException {
    skipChildren(p, p.nextToken());
  }

  private static void skipChildren(JsonParser p, JsonToken current) throws IOException {
    if (current == null) {
      throw new JsonParseException(p, "unexpected end of input");
    }
    if (current.isStructStart()) {
      p.skipChildren();
    }
  }

  private static void expectEndObject(JsonParser p) throws IOException {
    // nextFieldName() returns null both at END_OBJECT and at end of input; only one is valid.
    if (p.currentToken() != JsonToken.END_OBJECT) {
      throw new JsonParseException(p, "expected the end of an object");
    }
  }
}
