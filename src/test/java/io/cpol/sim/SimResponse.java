package io.cpol.sim;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What to send back and how: either a finished body or a writer that streams it, plus the way it is
 * delivered (normally, slowly, cut off, or not at all).
 */
record SimResponse(
    int status,
    String contentType,
    Map<String, String> headers,
    byte[] body,
    BodyWriter writer,
    Delivery delivery,
    Duration perChunk) {

  static final String JSON = "application/json; charset=utf-8";

  /** Writes a body straight to the connection. */
  @FunctionalInterface
  interface BodyWriter {
    void writeTo(OutputStream out) throws IOException;
  }

  /** How the server puts the response on the wire. */
  enum Delivery {
    NORMAL,
    /** The body in up to 16 pieces with a pause before each. */
    SLOW,
    /** Headers and half the body, then a TCP reset. */
    PARTIAL_THEN_RESET,
    /** No response at all: a TCP reset. */
    RESET
  }

  static SimResponse bytes(int status, String contentType, byte[] body) {
    return new SimResponse(status, contentType, Map.of(), body, null, Delivery.NORMAL, null);
  }

  static SimResponse text(int status, String contentType, String body) {
    return bytes(status, contentType, body.getBytes(StandardCharsets.UTF_8));
  }

  static SimResponse json(int status, String body) {
    return text(status, JSON, body);
  }

  static SimResponse streamedJson(int status, BodyWriter writer) {
    return new SimResponse(status, JSON, Map.of(), null, writer, Delivery.NORMAL, null);
  }

  static SimResponse reset() {
    return new SimResponse(0, null, Map.of(), new byte[0], null, Delivery.RESET, null);
  }

  SimResponse withHeader(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(name, value);
    return new SimResponse(status, contentType, Map.copyOf(h), body, writer, delivery, perChunk);
  }

  SimResponse withDelivery(Delivery newDelivery, Duration newPerChunk) {
    return new SimResponse(
        status, contentType, headers, materialize(), null, newDelivery, newPerChunk);
  }

  SimResponse withBody(byte[] newBody) {
    return new SimResponse(status, contentType, headers, newBody, null, delivery, perChunk);
  }

  /** The whole body in memory; streamed bodies are rendered here (only faults need this). */
  byte[] materialize() {
    if (body != null) {
      return body;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writer.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
