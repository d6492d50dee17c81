package io.cpol.sim;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Percent-decoding as Beebotte's Node.js server does it: path segments like {@code
 * decodeURIComponent} ({@code +} stays a plus), query values like {@code querystring} ({@code +} is
 * a space); malformed escapes or UTF-8 are errors, not guesses.
 */
final class PercentDecoding {

  private PercentDecoding() {}

  /** Decodes a path segment; throws IllegalArgumentException on a malformed escape. */
  static String pathSegment(String s) {
    return decode(s, false);
  }

  /** Decodes a query name or value; throws IllegalArgumentException on a malformed escape. */
  static String queryComponent(String s) {
    return decode(s, true);
  }

  /**
   * The query's parameters in order; repeated names are rejected because the API takes single
   * values and guessing which one wins would hide client bugs.
   */
  static Map<String, String> query(String rawQuery) {
    Map<String, String> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = queryComponent(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : queryComponent(pair.substring(eq + 1));
      if (params.put(name, value) != null) {
        throw new IllegalArgumentException("parameter " + name + " given more than once");
      }
    }
    return params;
  }

  private static String decode(String s, boolean plusIsSpace) {
    if (s.indexOf('%') < 0 && !(plusIsSpace && s.indexOf('+') >= 0)) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new IllegalArgumentException("malformed percent-escape in " + s);
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("malformed percent-escape in " + s);
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else if (c == '+' && plusIsSpace) {
        bytes.write(' ');
      } else {
        int cp = s.codePointAt(i);
        bytes.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp) - 1;
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("percent-escapes are not UTF-8 in " + s, e);
    }
  }
}
