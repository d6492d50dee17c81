package io.cpol.beebotte;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.cpol.sim.WireFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** Generates large, deterministic listing bodies and the connections they must decode to. */
final class ConnectionListings {

  private ConnectionListings() {}

  /** Connection {@code i}: even ones Socket.IO with subscriptions, odd ones MQTT. */
  static Connection connection(int i) {
    if (i % 2 == 0) {
      String userid = "uid-" + i;
      return new Connection(
          userid,
          "sid-" + Integer.toHexString(i * 31),
          "socketio",
          userid,
          "::ffff:10.0." + (i % 250) + "." + (i % 7),
          "acme",
          i % 4 == 0 ? "user " + i : null,
          List.of(
              new Subscription("chan" + (i % 10), "*", true, false),
              new Subscription("private-c", "res" + i, true, true)));
    }
    String id = "mqtt-" + i;
    return new Connection(id, id, "mqtt", id, "::ffff:192.0.2." + (i % 250), "acme", null, null);
  }

  /** Writes a listing of {@code count} connections with an unknown field thrown in each. */
  static void write(int count, OutputStream out) {
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.writeStartArray();
      for (int i = 0; i < count; i++) {
        long connectedAt = 1_790_000_000_000L + i;
        WireFormat.writeConnection(
            g, connection(i), fields -> fields.writeNumberField("connectedAt", connectedAt));
      }
      g.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
