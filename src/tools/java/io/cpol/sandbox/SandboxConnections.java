package io.cpol.sandbox;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import io.cpol.sim.ConnectionGenerator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The live connections the sandbox starts with: {@link ConnectionGenerator}'s realistic mix, plus
 * the sessions the sample policies are about, so each sample has something to do.
 */
final class SandboxConnections {
  /** Revoked by {@code revoke-device}. */
  static final String REVOKED_DEVICE = "device-0042";

  /** The one Socket.IO user {@code block-socketio} allows. */
  static final String ADMIN = "ops-admin";

  private SandboxConnections() {}

  /** The hand-picked sessions first, then {@code count} generated ones. */
  static List<Connection> all(int count, long seed) {
    Map<String, Connection> byKey = new LinkedHashMap<>();
    for (Connection c : handPicked()) {
      byKey.put(c.userid() + "/" + c.sid(), c);
    }
    for (Connection c : ConnectionGenerator.generate(count, seed, null)) {
      byKey.putIfAbsent(c.userid() + "/" + c.sid(), c);
    }
    return new ArrayList<>(byKey.values());
  }

  static List<Connection> handPicked() {
    return List.of(
        revokedDevice(),
        mqtt("contractor-initech-dev042", "::ffff:203.0.113.42"),
        mqtt("contractor-acme-dev007", "::ffff:203.0.113.7"),
        socketio(
            ADMIN,
            "ops-admin-console-7Qx2",
            "::ffff:10.0.0.5",
            "root",
            new Subscription("private-ops", "commands", true, true),
            new Subscription("alerts", "*", true, false)),
        socketio(
            "contractor-jane",
            "contractor-jane-Zk81",
            "::ffff:203.0.113.99",
            "jane",
            new Subscription("billing", "invoices", true, false)),
        socketio(
            "dashboard-lobby",
            "dashboard-lobby-Yt4c",
            "::ffff:198.51.100.10",
            "alice",
            new Subscription("telemetry", "*", true, false)));
  }

  /** The revoked device's MQTT session, as it looks each time the device reconnects. */
  static Connection revokedDevice() {
    return mqtt(REVOKED_DEVICE, "::ffff:198.51.100.42");
  }

  /** An MQTT device's session (the sid is the userid, as on Beebotte). */
  static Connection mqttDevice(String userid, String ip) {
    return mqtt(userid, ip);
  }

  private static Connection mqtt(String userid, String ip) {
    return new Connection(userid, userid, "mqtt", userid, ip, null, null, List.of());
  }

  private static Connection socketio(
      String userid, String sid, String ip, String username, Subscription... subscriptions) {
    return new Connection(
        userid, sid, "socketio", userid, ip, null, username, List.of(subscriptions));
  }
}
