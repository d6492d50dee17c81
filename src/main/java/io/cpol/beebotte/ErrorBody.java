package io.cpol.beebotte;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;

/**
 * Beebotte's error body {@code {"error": {"message": "...", "code": N}}}, read leniently: proxies
 * answer with HTML or nothing, so an unreadable body yields {@link #ABSENT} rather than failing.
 *
 * @param message Beebotte's message, or null
 * @param code Beebotte's code, or 0
 */
record ErrorBody(String message, int code) {

  static final ErrorBody ABSENT = new ErrorBody(null, 0);

  /** Reads at most {@code limit} bytes, so an endless error page cannot stall the caller. */
  static ErrorBody parse(JsonFactory factory, InputStream in, long limit) {
    try (JsonParser p = factory.createParser(new BoundedInputStream(in, limit))) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return ABSENT;
      }
      String field;
      while ((field = p.nextFieldName()) != null) {
        JsonToken value = p.nextToken();
        if (field.equals("error") && value == JsonToken.START_OBJECT) {
          return readError(p);
        }
        p.skipChildren();
      }
      return ABSENT;
    } catch (IOException e) {
      return ABSENT;
    }
  }

  private static ErrorBody readError(JsonParser p) throws IOException {
    String message = null;
    int code = 0;
    String field;
    while ((field = p.nextFieldName()) != null) {
      JsonToken value = p.nextToken();
      if (field.equals("message") && value != null && value.isScalarValue()) {
        message = p.getValueAsString();
      } else if (field.equals("code") && value != null && value.isScalarValue()) {
        code = p.getValueAsInt(0);
      } else {
        p.skipChildren();
      }
    }
    return new ErrorBody(message, code);
  }

  /** Ends the stream after {@code limit} bytes. */
  private static final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private long remaining;

    BoundedInputStream(InputStream in, long limit) {
      this.in = in;
      this.remaining = limit;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = in.read(buf, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }

    @Override
    public void close() {
      // The response owns the underlying stream.
    }
  }
}
