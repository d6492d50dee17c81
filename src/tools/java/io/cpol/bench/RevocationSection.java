package io.cpol.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.sim.ReconnectingMqttDevice;
import io.cpol.sim.RecordedCall;
import io.cpol.sim.SocketIoDevice;
import io.cpol.testing.OperatorHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Revocation that sticks: devices denied by one policy ({@code interval: 30s}) keep coming back,
 * over the simulator's MQTT and Socket.IO front doors, with the reconnect watch on and, side by
 * side on a second operator and simulator, off. For each device: exposure (time connected ÷ time
 * since the policy applied), drops, and calls the operator made about it per minute; a control
 * device and an allowed Socket.IO session of a denied userid must never be disconnected.
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

  private final BenchOptions options;
  private final Results results;

  RevocationSection(BenchOptions options, Results results) {
    this.options = options;
    this.results = results;
  }

  /** One side: an operator, its simulator with front doors, and the devices. */
  private static final class Side implements AutoCloseable {
    final String name;
    final OperatorHarness h;
    final ReconnectingMqttDevice fixed;
    final ReconnectingMqttDevice paho;
    final SocketIoDevice browser;
    final ReconnectingMqttDevice control;
    final SocketIoDevice allowed;
    Instant applied;

    Side(String name, String... flags) throws Exception {
      this.name = name;
      this.h = OperatorHarness.startLive(flags);
      h.createKeysSecret("beebotte-account", OperatorHarness.API_KEY, OperatorHarness.SECRET_KEY);
      String mqtt = h.live().mqttUri();
      String socketIo = h.live().socketIoUrl();
      fixed =
          ReconnectingMqttDevice.start(
              mqtt,
              "device-fixed",
              OperatorHarness.SECRET_KEY,
              ReconnectingMqttDevice.Style.FIXED_DELAY,
              Duration.ofSeconds(1));
      paho =
          ReconnectingMqttDevice.start(
              mqtt,
              "device-paho",
              OperatorHarness.SECRET_KEY,
              ReconnectingMqttDevice.Style.PAHO_AUTOMATIC,
              Duration.ZERO);
      browser = SocketIoDevice.open(socketIo, OperatorHarness.API_KEY, "visitor", "browser-1");
      control =
          ReconnectingMqttDevice.start(
              mqtt,
              "sensor-ok",
              OperatorHarness.SECRET_KEY,
              ReconnectingMqttDevice.Style.FIXED_DELAY,
              Duration.ofSeconds(1));
      // The fixed reconnector's own userid, in a browser the allow rule spares.
      allowed = SocketIoDevice.open(socketIo, OperatorHarness.API_KEY, "admin", "device-fixed");
    }

    void apply() {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (h.simulator().connections().size() < 5 && System.nanoTime() < deadline) {
        sleep(20);
      }
      applied = Instant.now();
      h.apply(POLICY);
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

    /** Every call the reconnect watch made (its own endpoint labels), per second. */
    double watchCallsPerSecond(Instant from, Instant to) {
      long calls =
          h.simulator().requests().stream()
              .filter(c -> !c.time().isBefore(from) && c.time().isBefore(to))
              .filter(c -> c.endpoint() != RecordedCall.EndpointKind.ADMIN)
              .filter(c -> !c.rawTarget().equals("/v1/connections"))
              .count();
      return calls / (Duration.between(from, to).toMillis() / 1000.0);
    }

    @Override
    public void close() throws Exception {
      fixed.close();
      paho.close();
      browser.close();
      control.close();
      allowed.close();
      h.close();
    }
  }

  void run() throws Exception {
    Duration length = options.quick() ? Duration.ofSeconds(40) : Duration.ofMinutes(5);
    results.heading(
        "Revocation: devices denied by one policy (interval 30s) keep coming back; "
            + length.toSeconds()
            + " s, reconnect watch on vs off (side by side)");
    ObjectNode node = results.section("revocation");
    node.put("seconds", length.toSeconds());
    try (Side on = new Side("watch on");
        Side off = new Side("watch off", "--watch-calls-per-second=0")) {
      on.apply();
      off.apply();
      sleep(length.toMillis());
      Instant end = Instant.now();
      results.print("%-11s %-26s %9s %7s %12s", "", "device", "exposure", "drops", "calls/min");
      Map<String, Double> exposureOn = new LinkedHashMap<>();
      for (Side side : List.of(on, off)) {
        ObjectNode sideNode = node.putObject(side.name.replace(' ', '_'));
        Object[][] rows = {
          {
            "1 s reconnector (MQTT)",
            side.fixed.exposure(side.applied, end),
            side.fixed.losses(),
            "device-fixed"
          },
          {
            "Paho automatic reconnect",
            side.paho.exposure(side.applied, end),
            side.paho.losses(),
            "device-paho"
          },
          {
            "Socket.IO client",
            side.browser.exposure(side.applied, end),
            side.browser.losses(),
            "browser-1"
          },
          {
            "control device (allowed)",
            side.control.exposure(side.applied, end),
            side.control.losses(),
            "sensor-ok"
          },
          {
            "allowed session, denied id",
            side.allowed.exposure(side.applied, end),
            side.allowed.losses(),
            null
          },
        };
        for (Object[] row : rows) {
          double calls =
              row[3] == null ? 0 : side.callsPerMinute((String) row[3], side.applied, end);
          results.print(
              "%-11s %-26s %8.1f%% %7d %12.1f",
              side.name, row[0], (Double) row[1] * 100, (Integer) row[2], calls);
          ObjectNode device = sideNode.putObject((String) row[0]);
          device.put("exposure", Samples.round((Double) row[1]));
          device.put("drops", (Integer) row[2]);
          device.put("callsPerMinute", Samples.round(calls));
          if (side == on) {
            exposureOn.put((String) row[0], (Double) row[1]);
          }
        }
        sideNode.put(
            "watchCallsPerSecond", Samples.round(side.watchCallsPerSecond(side.applied, end)));
      }
      double fixedOn = on.fixed.exposure(on.applied, end);
      double fixedOff = off.fixed.exposure(off.applied, end);
      results.target(
          "revocation: exposure of a 1 s reconnector, watch on (off: "
              + Results.fmt("%.0f%%", fixedOff * 100)
              + ")",
          "≤ 5%",
          Results.fmt("%.1f%% (watch off %.1f%%)", fixedOn * 100, fixedOff * 100),
          fixedOn <= 0.05);
      double perIdentity =
          Math.max(
              on.callsPerMinute("device-fixed", on.applied, end),
              on.callsPerMinute("device-paho", on.applied, end));
      double total = on.watchCallsPerSecond(on.applied, end);
      results.target(
          "revocation: watch calls per returning identity, and in total",
          "≤ 120 per minute each, ≤ 5/s (the account budget) in all",
          Results.fmt("%.0f per minute at most; %.2f/s in all", perIdentity, total),
          perIdentity <= 120 && total <= 5);
      int innocentLosses =
          on.control.losses() + on.allowed.losses() + off.control.losses() + off.allowed.losses();
      results.target(
          "revocation: disconnects of the control device and of the allowed session",
          "0",
          Integer.toString(innocentLosses),
          innocentLosses == 0);
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
