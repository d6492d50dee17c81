package io.cpol.reconciler;

import static io.cpol.testing.OperatorHarness.API_KEY;
import static io.cpol.testing.OperatorHarness.SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cpol.beebotte.Connection;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.testing.OperatorHarness;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Devices that come back a moment after every drop, so the reconnect watch and the regular passes
 * both find them again and again, on a wire slow enough (every call 40 ms) that a watch check and a
 * pass overlap often. No device leaves by itself, so every drop call that closes nothing (a missed
 * drop in the simulator) was made for a session another call had closed: counted again, it would
 * count one session twice. The policy's {@code dropped} must equal the sessions the simulator
 * closed, exactly.
 */
class CountedOnceTest {
  private static final int DEVICES = 12;

  @Test
  void aSessionDroppedByTheWatchAndAPassIsCountedOnce() throws Exception {
    try (OperatorHarness h = OperatorHarness.start()) {
      h.createKeysSecret("beebotte-account", API_KEY, SECRET_KEY);
      Random random = new Random(20261207L);
      ScheduledExecutorService devices = Executors.newSingleThreadScheduledExecutor();
      AtomicBoolean reconnecting = new AtomicBoolean(true);
      AtomicInteger sids = new AtomicInteger();
      try {
        h.simulator()
            .onDrop(
                dropped -> {
                  if (!reconnecting.get()) {
                    return;
                  }
                  long delay;
                  synchronized (random) {
                    delay = 150 + random.nextInt(300);
                  }
                  devices.schedule(
                      () -> {
                        if (reconnecting.get()) {
                          h.simulator().addConnection(next(dropped, sids));
                        }
                      },
                      delay,
                      TimeUnit.MILLISECONDS);
                });
        for (int i = 0; i < DEVICES; i++) {
          String userid = "dev-" + i;
          h.simulator()
              .addConnection(
                  i % 2 == 0
                      ? new Connection(
                          userid,
                          userid,
                          "mqtt",
                          userid,
                          "::ffff:203.0.113.9",
                          null,
                          null,
                          List.of())
                      : new Connection(
                          userid,
                          "sio-" + sids.incrementAndGet(),
                          "socketio",
                          userid,
                          "::ffff:203.0.113.9",
                          null,
                          null,
                          List.of()));
        }
        h.simulator().faults().latency(Duration.ofMillis(40));
        h.apply(
            """
            apiVersion: beebotte.io/v1alpha1
            kind: ConnectionPolicy
            metadata: {name: devices}
            spec:
              credentialsRef: {name: beebotte-account}
              interval: 1s
              deny:
              - useridPatterns: ["dev-*"]
            """);
        Thread.sleep(Duration.ofSeconds(15).toMillis());
        reconnecting.set(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.simulator().connections().isEmpty());
        long closed = h.simulator().drops().size();
        long missed = h.simulator().missedDrops().size();
        try {
          await().atMost(Duration.ofSeconds(5)).until(() -> dropped(h) == closed);
        } finally {
          System.out.printf(
              "counted once: %d sessions closed, %d drop calls closed nothing, dropped %d%n",
              closed, missed, dropped(h));
        }
        assertThat(closed).as("sessions closed").isGreaterThan(100);
        Thread.sleep(1500);
        assertThat(dropped(h)).as("dropped, once everything is quiet").isEqualTo(closed);
      } finally {
        reconnecting.set(false);
        devices.shutdownNow();
      }
    }
  }

  /**
   * The session a device opens when it comes back: MQTT reuses its sid, Socket.IO gets a new one.
   */
  private static Connection next(Connection dropped, AtomicInteger sids) {
    String sid =
        "mqtt".equals(dropped.protocol()) ? dropped.sid() : "sio-" + sids.incrementAndGet();
    return new Connection(
        dropped.userid(),
        sid,
        dropped.protocol(),
        dropped.clientid(),
        dropped.clientip(),
        null,
        dropped.username(),
        List.of());
  }

  private static long dropped(OperatorHarness h) {
    ConnectionPolicy p = h.policy("devices");
    return p == null || p.getStatus() == null || p.getStatus().getDropped() == null
        ? 0
        : p.getStatus().getDropped();
  }
}
