package io.cpol.beebotte;

/**
 * Which live connections to list: all, one userid, one session of a userid, optionally narrowed to
 * one protocol. A sid always comes with its userid, as the API addresses sessions that way.
 */
public record ConnectionFilter(String userid, String sid, Protocol protocol) {
  public ConnectionFilter {
    if (sid != null && userid == null) {
      throw new IllegalArgumentException("a sid filter needs the userid");
    }
  }

  public static ConnectionFilter all() {
    return new ConnectionFilter(null, null, null);
  }

  public static ConnectionFilter protocol(Protocol protocol) {
    return new ConnectionFilter(null, null, protocol);
  }

  public static ConnectionFilter user(String userid) {
    return new ConnectionFilter(userid, null, null);
  }

  public static ConnectionFilter session(String userid, String sid) {
    return new ConnectionFilter(userid, sid, null);
  }

  public ConnectionFilter withProtocol(Protocol protocol) {
    return new ConnectionFilter(userid, sid, protocol);
  }
}
