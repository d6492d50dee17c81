package io.cpol.sim.socketio;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The {@code data} of a Socket.IO {@code control/subscribe} message, as the official clients send
 * it: {@code {channel, resource, ttl, read, write, userinfo, sid, sig | token, userid}}.
 *
 * @param ttl as the client wrote it (a number in JSON; signed as JavaScript prints it)
 * @param sid the sid the client signed, or null
 * @param sig {@code apiKey:base64(HMAC-SHA1(secretKey, stringToSign))}, or null
 * @param token a token that grants the subscription instead of a signature, or null
 * @param userid the userid the client signed ({@code userid}, else {@code userinfo.userid}), or
 *     null
 */
public record SubscribeRequest(
    String channel,
    String resource,
    String ttl,
    boolean read,
    boolean write,
    String sid,
    String sig,
    String token,
    String userid) {

  /** The wildcard resource: the whole channel. */
  public static final String ANY_RESOURCE = "*";

  /**
   * Reads a subscribe request; {@code resource} defaults to {@code *}, {@code ttl} to 0, {@code
   * read} to true and {@code write} to false.
   *
   * @throws IllegalArgumentException without a channel
   */
  public static SubscribeRequest from(JsonNode data) {
    if (data == null || !data.isObject()) {
      throw new IllegalArgumentException("subscribe needs a data object");
    }
    String channel = text(data, "channel");
    if (channel == null || channel.isEmpty()) {
      throw new IllegalArgumentException("subscribe needs a channel");
    }
    String resource = text(data, "resource");
    String userid = text(data, "userid");
    if (userid == null || userid.isEmpty()) {
      userid = text(data.path("userinfo"), "userid");
    }
    String ttl = text(data, "ttl");
    return new SubscribeRequest(
        channel,
        resource == null || resource.isEmpty() ? ANY_RESOURCE : resource,
        ttl == null ? "0" : ttl,
        bool(data.get("read"), true),
        bool(data.get("write"), false),
        text(data, "sid"),
        text(data, "sig"),
        text(data, "token"),
        userid == null || userid.isEmpty() ? null : userid);
  }

  /** Write access and private or presence channels need a signature (or a token). */
  public boolean needsAuthentication() {
    return write || channel.startsWith("private-") || channel.startsWith("presence-");
  }

  /**
   * {@code {sid}:{channel}.{resource}:ttl={ttl}:read={read}:write={write}[:userid={userid}]}, the
   * string the official clients sign ({@code signSubscription} in the Node client).
   */
  public String stringToSign(String sessionSid) {
    String s =
        sessionSid
            + ":"
            + channel
            + "."
            + resource
            + ":ttl="
            + ttl
            + ":read="
            + read
            + ":write="
            + write;
    return userid == null ? s : s + ":userid=" + userid;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() || v.isMissingNode() ? null : v.asText();
  }

  private static boolean bool(JsonNode v, boolean absent) {
    if (v == null || v.isNull()) {
      return absent;
    }
    return v.isBoolean() ? v.booleanValue() : "true".equals(v.asText());
  }
}
