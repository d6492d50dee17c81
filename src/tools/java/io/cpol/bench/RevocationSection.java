package io.cpol.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.sim.ConnectionLog;
import io.cpol.sim.OfficialNodeMqttDevice;
import io.cpol.sim.ReconnectingMqttDevice;
import io.cpol.sim.RecordedCall;
import io.cpol.sim.SocketIoDevice;
import io.cpol.testing.OperatorHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Revocation that sticks: devices denied by one policy ({@code interval: 30s}) keep coming back,
 * over the simulator's MQTT and Socket.IO front doors, with the reconnect watch on and, side by
 * side on a second operator and simulator, off. The devices: Paho clients (one reconnecting 1 s
 * after every drop, one on Paho's automatic reconnect), Beebotte's official Node.js client (its
 * MQTT transport reconnects 1 s after every drop), a Socket.IO client. For each: exposure (time
 * connected ÷ time) over the first minute after the policy applied, when a leaked credential is
 * used, and after it; drops; calls the operator made about it per minute. A control device and an
 * allowed Socket.IO session of a denied userid must never be disconnected.
 */
final class RevocationSection {
  static final String POLICY =
      """
      apiVersion: beebotte.io/v1alpha1
      kind: ConnectionPolicy
      metadata: {name: revoke-devices}
      spec:
        credentialsRef: {name: beebotte-account}
        interval: 30s
        deny:
        - useridPatterns: ["device-*", "browser-*"]
        allow:
        - usernames: [admin]
      """;

  /** The watch's account budget in this run: the operator's default WATCH_CALLS_PER_SECOND. */
  static final double WATCH_CALLS_PER_SECOND = 5;

  /** The window a leaked credential is used in: exposure is judged over it and after it. */
  static final Duration FIRST = Duration.ofSeconds(60);

  static final double FIRST_GOAL = 0.05;
  static final double AFTER_GOAL = 0.02;

  private final BenchOptions options;
  private final Results results;

  RevocationSection(BenchOptions options, Results results) {
    this.options = options;
    this.results = results;
  }

  /** One device of a side: its connection log and the userid the operator's calls name. */
  private record Row(String name, ConnectionLog log, String userid, boolean denied) {}

  /** One side: an operator, its simulator with front doors, and the devices. */
  private static final class Side {
    final String name;
    final OperatorHarness h;
    final List<Row> rows = new ArrayList<>();
    final List<AutoCloseable> devices = new ArrayList<>();
    Instant applied;

    Side(String name, String... flags) {
      this.name = name;
      this.h = OperatorHarness.startLive(flags);
    }

    /** Connects the devices; each is closed with the others, whatever fails after it started. */
    void connectDevices(boolean withNode) throws Exception {
      h.createKeysSecret("beebotte-account", OperatorHarness.API_KEY, OperatorHarness.SECRET_KEY);
      String mqtt = h.live().mqttUri();
      String socketIo = h.live().socketIoUrl();
      ReconnectingMqttDevice fixed =
          add(paho(mqtt, "device-fixed", ReconnectingMqttDevice.Style.FIXED_DELAY));
      rows.add(new Row("Paho, back 1 s after a drop", fixed.log(), "device-fixed", true));
      ReconnectingMqttDevice automatic =
          add(paho(mqtt, "device-paho", ReconnectingMqttDevice.Style.PAHO_AUTOMATIC));
      rows.add(new Row("Paho automatic reconnect", automatic.log(), "device-paho", true));
      if (withNode) {
        OfficialNodeMqttDevice node =
            add(
                OfficialNodeMqttDevice.start(
                    OfficialNodeMqttDevice.DIR,
                    "127.0.0.1",
                    h.live().mqttPort(),
                    OperatorHarness.SECRET_KEY,
                    "device-node"));
        rows.add(new Row("official Node.js client", node.log(), "device-node", true));
      }
      SocketIoDevice browser =
          add(SocketIoDevice.open(socketIo, OperatorHarness.API_KEY, "visitor", "browser-1"));
      rows.add(new Row("Socket.IO client", browser.log(), "browser-1", true));
      ReconnectingMqttDevice control =
          add(paho(mqtt, "sensor-ok", ReconnectingMqttDevice.Style.FIXED_DELAY));
      rows.add(new Row("control device (allowed)", control.log(), "sensor-ok", false));
      // The fixed reconnector's own userid, in a browser the allow rule spares.
      SocketIoDevice allowed =
          add(SocketIoDevice.open(socketIo, OperatorHarness.API_KEY, "admin", "device-fixed"));
      rows.add(new Row("allowed session, denied id", allowed.log(), null, false));
    }

    private static ReconnectingMqttDevice paho(
        String uri, String clientId, ReconnectingMqttDevice.Style style) throws Exception {
      return ReconnectingMqttDevice.start(
          uri, clientId, OperatorHarness.SECRET_KEY, style, Duration.ofSeconds(1));
    }

    private <T extends AutoCloseable> T add(T device) {
      devices.add(device);
      return device;
    }

    void apply() {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (connectedDevices() < rows.size() && System.nanoTime() < deadline) {
        sleep(20);
      }
      applied = Instant.now();
      h.apply(POLICY);
    }

    private long connectedDevices() {
      return rows.stream().filter(r -> r.log().connected()).count();
    }

    /** Calls the operator made about one userid (listing it, dropping it), per minute. */
    double callsPerMinute(String userid, Instant from, Instant to) {
      long calls =
          h.simulator().requests().stream()
              .filter(c -> !c.time().isBefore(from) && c.time().isBefore(to))
              .filter(
                  c ->
                      c.rawTarget().startsWith("/v1/connections/" + userid + "?")
                          || c.rawTarget().startsWith("/v1/connections/drop/" + userid + "?"))
              .count();
      return calls / (Duration.between(from, to).toMillis() / 60_000.0);
    }

    /** When the watch looked at {@code userid}: at it alone, or at the whole account. */
    List<Instant> watchLooks(String userid) {
      return h.simulator().requests().stream()
          .filter(RecordedCall::byReconnectWatch)
          .filter(c -> c.endpoint() == RecordedCall.EndpointKind.LIST)
          .filter(
              c ->
                  c.rawTarget().equals("/v1/connections")
                      || (userid != null && c.rawTarget().startsWith("/v1/connections/" + userid)))
          .map(RecordedCall::time)
          .toList();
    }

    /**
     * Every call the reconnect watch made, per second: its looks (at one identity, or at the whole
     * account) and its drops, told apart from the passes' by the watch's User-Agent.
     */
    double watchCallsPerSecond(Instant from, Instant to) {
      long calls =
          h.simulator().requests().stream()
              .filter(c -> !c.time().isBefore(from) && c.time().isBefore(to))
              .filter(c -> c.endpoint() != RecordedCall.EndpointKind.ADMIN)
              .filter(RecordedCall::byReconnectWatch)
              .count();
      return calls / (Duration.between(from, to).toMillis() / 1000.0);
    }
  }

  void run() throws Exception {
    Duration length = options.quick() ? Duration.ofSeconds(40) : Duration.ofMinutes(5);
    // A quick run is too short for a whole first minute and an after; it keeps the proportions.
    Duration first = options.quick() ? length.dividedBy(2) : FIRST;
    results.heading(
        "Revocation: devices denied by one policy (interval 30s) keep coming back; "
            + length.toSeconds()
            + " s, reconnect watch on vs off (side by side); exposure over the first "
            + first.toSeconds()
            + " s and after");
    ObjectNode node = results.section("revocation");
    node.put("seconds", length.toSeconds());
    node.put("firstWindowSeconds", first.toSeconds());
    String nodeUnavailable = OfficialNodeMqttDevice.unavailable(OfficialNodeMqttDevice.DIR);
    if (nodeUnavailable != null) {
      results.print("official Node.js client left out: %s", nodeUnavailable);
      node.put("nodeClientUnavailable", nodeUnavailable);
    }
    List<Side> sides = new ArrayList<>();
    try {
      Side on = new Side("watch on");
      sides.add(on);
      Side off = new Side("watch off", "--watch-calls-per-second=0");
      sides.add(off);
      on.connectDevices(nodeUnavailable == null);
      off.connectDevices(nodeUnavailable == null);
      on.apply();
      off.apply();
      sleep(length.toMillis());
      report(node, on, off, first, Instant.now(), nodeUnavailable);
    } finally {
      close(sides);
    }
  }

  private void report(
      ObjectNode node, Side on, Side off, Duration first, Instant end, String nodeUnavailable) {
    results.print(
        "%-10s %-28s %9s %9s %9s %6s %10s %9s %6s %9s %6s %9s",
        "",
        "device",
        "first " + first.toSeconds() + "s",
        "after",
        "overall",
        "drops",
        "calls/min",
        "away ms",
        "p10-90",
        "back ms",
        "p90",
        "found ms");
    for (Side side : List.of(on, off)) {
      ObjectNode sideNode = node.putObject(side.name.replace(' ', '_'));
      Instant split = side.applied.plus(first);
      for (Row row : side.rows) {
        double early = row.log().exposure(side.applied, split);
        double late = row.log().exposure(split, end);
        double overall = row.log().exposure(side.applied, end);
        double calls =
            row.userid() == null ? 0 : side.callsPerMinute(row.userid(), side.applied, end);
        ObjectNode device = sideNode.putObject(row.name());
        List<ConnectionLog.Stretch> stretches = row.log().stretches();
        Samples awayTimes = stretchTimes(stretches, true);
        Samples backTimes = stretchTimes(stretches, false);
        long away = millis(awayTimes, 50);
        long awaySpread = millis(awayTimes, 90) - millis(awayTimes, 10);
        long back = millis(backTimes, 50);
        long backP90 = millis(backTimes, 90);
        long found = millis(foundTimes(stretches, side.watchLooks(row.userid())), 50);
        results.print(
            "%-10s %-28s %8.1f%% %8.1f%% %8.1f%% %6d %10.1f %9d %6d %9d %6d %9d",
            side.name,
            row.name(),
            early * 100,
            late * 100,
            overall * 100,
            row.log().losses(),
            calls,
            away,
            awaySpread,
            back,
            backP90,
            found);
        device.put("medianAwayMillis", away);
        device.put("awaySpreadMillis", awaySpread);
        device.put("medianBackMillis", back);
        device.put("p90BackMillis", backP90);
        device.put("medianFoundMillis", found);
        device.put("exposureFirstWindow", Samples.round(early));
        device.put("exposureAfter", Samples.round(late));
        device.put("exposure", Samples.round(overall));
        device.put("drops", row.log().losses());
        device.put("callsPerMinute", Samples.round(calls));
      }
      sideNode.put(
          "watchCallsPerSecond", Samples.round(side.watchCallsPerSecond(side.applied, end)));
    }
    Instant split = on.applied.plus(first);
    for (Row row : on.rows) {
      if (!row.denied()) {
        continue;
      }
      double early = row.log().exposure(on.applied, split);
      double late = row.log().exposure(split, end);
      Row offRow = off.rows.get(on.rows.indexOf(row));
      results.target(
          "revocation: exposure of the "
              + row.name()
              + ", watch on, first "
              + first.toSeconds()
              + " s / after",
          "≤ 5% / ≤ 2%",
          Results.fmt(
              "%.1f%% / %.1f%% (watch off %.0f%%)",
              early * 100, late * 100, offRow.log().exposure(off.applied, end) * 100),
          early <= FIRST_GOAL && late <= AFTER_GOAL);
    }
    if (nodeUnavailable != null) {
      results.target(
          "revocation: exposure of the official Node.js client, watch on",
          "≤ 5% / ≤ 2%",
          "not run: " + nodeUnavailable,
          false);
    }
    double perIdentity = 0;
    for (Row row : on.rows) {
      if (row.denied()) {
        perIdentity = Math.max(perIdentity, on.callsPerMinute(row.userid(), on.applied, end));
      }
    }
    double total = on.watchCallsPerSecond(on.applied, end);
    results.target(
        "revocation: watch calls per returning identity, and in total",
        "≤ 120 per minute each, ≤ "
            + Results.fmt("%.0f", WATCH_CALLS_PER_SECOND)
            + "/s (WATCH_CALLS_PER_SECOND) in all",
        Results.fmt("%.0f per minute at most; %.2f/s in all", perIdentity, total),
        perIdentity <= 120 && total <= WATCH_CALLS_PER_SECOND);
    int innocentLosses = 0;
    for (Side side : List.of(on, off)) {
      for (Row row : side.rows) {
        innocentLosses += row.denied() ? 0 : row.log().losses();
      }
    }
    results.target(
        "revocation: disconnects of the control device and of the allowed session",
        "0",
        Integer.toString(innocentLosses),
        innocentLosses == 0);
  }

  /**
   * How long a device stayed away after each loss until it was connected again ({@code away}), or
   * stayed connected once back, as its own callbacks saw it.
   */
  private static Samples stretchTimes(List<ConnectionLog.Stretch> stretches, boolean away) {
    Samples times = new Samples();
    for (int i = 1; i < stretches.size(); i++) {
      ConnectionLog.Stretch s = stretches.get(i);
      if (away) {
        times.add(Duration.between(stretches.get(i - 1).lost(), s.connected()).toNanos());
      } else if (s.lost() != null) {
        times.add(Duration.between(s.connected(), s.lost()).toNanos());
      }
    }
    return times;
  }

  /**
   * For each return that was dropped, the time from the device's return to the watch's first look
   * that could show it: how late the watch looked, against the time it stayed (which adds the
   * look's and the drop's calls).
   */
  private static Samples foundTimes(List<ConnectionLog.Stretch> stretches, List<Instant> looks) {
    Samples times = new Samples();
    for (int i = 1; i < stretches.size(); i++) {
      ConnectionLog.Stretch s = stretches.get(i);
      if (s.lost() == null) {
        continue;
      }
      looks.stream()
          .filter(t -> !t.isBefore(s.connected()) && t.isBefore(s.lost()))
          .findFirst()
          .ifPresent(t -> times.add(Duration.between(s.connected(), t).toNanos()));
    }
    return times;
  }

  /** The nearest-rank percentile {@code p} of {@code times}, in whole ms; 0 without any. */
  private static long millis(Samples times, double p) {
    return times.size() == 0 ? 0 : times.percentileNanos(p) / 1_000_000;
  }

  /**
   * Every device of both sides first, then each side's operator, API server and simulator (the
   * harness closes them in that order), so no operator sees its devices vanish mid-pass and no
   * device is mid-connect to a closed front door. Each close is attempted whatever the others did;
   * the first failure is rethrown at the end.
   */
  private static void close(List<Side> sides) throws Exception {
    Exception failure = null;
    for (Side side : sides) {
      for (AutoCloseable device : side.devices) {
        failure = closeQuietly(device, failure);
      }
    }
    for (Side side : sides) {
      failure = closeQuietly(side.h, failure);
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static Exception closeQuietly(AutoCloseable closeable, Exception failure) {
    try {
      closeable.close();
      return failure;
    } catch (Exception e) {
      if (failure == null) {
        return e;
      }
      failure.addSuppressed(e);
      return failure;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
