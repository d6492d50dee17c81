package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import java.util.Arrays;
import java.util.List;

/** Connections as Beebotte lists them, with only the fields a test cares about spelled out. */
final class TestConnections {
  private TestConnections() {}

  /** An MQTT connection: sid equals userid, no username, no subscriptions. */
  static Connection mqtt(String userid) {
    return mqtt(userid, "::ffff:198.51.100.20");
  }

  static Connection mqtt(String userid, String clientip) {
    return new Connection(userid, userid, "mqtt", userid, clientip, "acct", null, List.of());
  }

  static Connection socketio(String userid, String sid) {
    return socketio(userid, sid, "::ffff:203.0.113.7", null);
  }

  static Connection socketio(String userid, String sid, String clientip, String username) {
    return new Connection(userid, sid, "socketio", userid, clientip, "acct", username, List.of());
  }

  /** A Socket.IO session subscribed to the given channels. */
  static Connection subscribed(String userid, String sid, String... channels) {
    return new Connection(
        userid,
        sid,
        "socketio",
        userid,
        "::ffff:203.0.113.7",
        "acct",
        null,
        Arrays.stream(channels).map(ch -> new Subscription(ch, "res", true, false)).toList());
  }

  static Connection withClientip(String clientip) {
    return socketio("uid-ip", "sid-ip", clientip, null);
  }

  static Connection withProtocol(String protocol) {
    return new Connection("uid-p", "sid-p", protocol, "uid-p", null, "acct", null, List.of());
  }
}
