package io.cpol.beebotte;

import java.util.Objects;

/**
 * What one drop call closes: every connection of a userid, those on one protocol, or one session.
 */
public record DropTarget(String userid, Protocol protocol, String sid) {
  public DropTarget {
    Objects.requireNonNull(userid, "userid");
  }

  public static DropTarget user(String userid) {
    return new DropTarget(userid, null, null);
  }

  public static DropTarget userOnProtocol(String userid, Protocol protocol) {
    return new DropTarget(userid, Objects.requireNonNull(protocol, "protocol"), null);
  }

  public static DropTarget session(String userid, String sid) {
    return new DropTarget(userid, null, Objects.requireNonNull(sid, "sid"));
  }

  /** True when a drop of this target would close the given connection. */
  public boolean covers(Connection c) {
    return userid.equals(c.userid())
        && (protocol == null || protocol.wireName().equals(c.protocol()))
        && (sid == null || sid.equals(c.sid()));
  }
}
