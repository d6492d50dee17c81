package io.cpol.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;

/**
 * The yardstick for {@code ConnectionListDecoder}: the least a Jackson streaming loop can do and
 * still get what the operator needs from a listing. It materializes exactly the strings the decoder
 * keeps (userid, sid, protocol, clientid, clientip, owner, userinfo.username, each subscription's
 * channel and resource) and reads the subscription flags, but builds no objects: every string goes
 * into one reused slot array. It relies on the wire shape instead of dispatching on field names (a
 * top-level array is the subscriptions, a top-level object the userinfo) and uses Jackson's {@code
 * nextTextValue()} fast path. Not thread-safe; one per thread.
 */
final class PlainJacksonLoop {
  private final JsonFactory factory = new JsonFactory();
  private final String[] slots = new String[16];
  private int next;
  private int flags;

  /** Reads a connection array and returns how many connection objects it held. */
  long decode(InputStream in) throws IOException {
    long connections = 0;
    try (JsonParser p = factory.createParser(in)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new IOException("expected a JSON array");
      }
      while (p.nextToken() == JsonToken.START_OBJECT) {
        while (p.nextFieldName() != null) {
          String value = p.nextTextValue();
          if (value != null) {
            keep(value);
          } else if (p.currentToken() == JsonToken.START_ARRAY) {
            subscriptions(p);
          } else if (p.currentToken() == JsonToken.START_OBJECT) {
            userinfo(p);
          }
        }
        connections++;
      }
    }
    return connections;
  }

  private void subscriptions(JsonParser p) throws IOException {
    while (p.nextToken() == JsonToken.START_OBJECT) {
      while (p.nextFieldName() != null) {
        String value = p.nextTextValue();
        if (value != null) {
          keep(value);
        } else if (p.currentToken() == JsonToken.VALUE_TRUE) {
          flags++;
        }
      }
    }
  }

  private void userinfo(JsonParser p) throws IOException {
    String name;
    while ((name = p.nextFieldName()) != null) {
      if (name.equals("username")) {
        keep(p.nextTextValue());
      } else {
        p.nextToken();
        p.skipChildren();
      }
    }
  }

  private void keep(String value) {
    slots[next++ & (slots.length - 1)] = value;
  }

  /** Subscription flags that were true, so the reads cannot be optimized away. */
  int flagsSeen() {
    return flags;
  }
}
