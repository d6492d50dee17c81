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

  private static final String DEVICES_POLICY =
      """
      apiVersion: beebotte.io/v1alpha1
      kind: ConnectionPolicy
      metadata: {name: devices}
      spec:
        credentialsRef: {name: beebotte-account}
        interval: 1s
        deny:
        - useridPatterns: ["dev-*"]
      """;

  @Test
  void aSessionDroppedByTheWatchAndAPassIsCountedOnce() throws Exception {
    reconnectAndCount(List.of(DEVICES_POLICY));
  }

  /**
   * Two policies deny the even devices; the first in name order may drop one session a pass, the
   * other drops the rest, so over time both have dropped each even device and both watch it. One
   * look at the (small) account shows it to both; a session is still dropped once and counted by
   * one policy.
   */
  @Test
  void aSessionTwoPoliciesDenyIsDroppedAndCountedOnce() throws Exception {
    reconnectAndCount(
        List.of(
            DEVICES_POLICY,
            """
            apiVersion: beebotte.io/v1alpha1
            kind: ConnectionPolicy
            metadata: {name: a-evens}
            spec:
              credentialsRef: {name: beebotte-account}
              interval: 1s
              maxDropsPerSync: 1
              deny:
              - userids: [dev-0, dev-2, dev-4, dev-6, dev-8, dev-10]
            """));
  }

  private void reconnectAndCount(List<String> policies) throws Exception {
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
        policies.forEach(h::apply);
        Thread.sleep(Duration.ofSeconds(15).toMillis());
        reconnecting.set(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.simulator().connections().isEmpty());
        long closed = h.simulator().drops().size();
        long missed = h.simulator().missedDrops().size();
        long wholeLooks =
            h.simulator().requests().stream()
                .filter(c -> c.byReconnectWatch() && c.rawTarget().equals("/v1/connections"))
                .count();
        try {
          await().atMost(Duration.ofSeconds(5)).until(() -> dropped(h) == closed);
        } finally {
          System.out.printf(
              "counted once (%d policies): %d sessions closed, %d drop calls closed nothing,"
                  + " dropped %d, %d looks of the watch at the whole account%n",
              policies.size(), closed, missed, dropped(h), wholeLooks);
        }
        assertThat(closed).as("sessions closed").isGreaterThan(100);
        assertThat(wholeLooks).as("looks at the whole (small) account").isPositive();
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

  /** What every policy counted, summed. */
  private static long dropped(OperatorHarness h) {
    long sum = 0;
    for (String name : List.of("devices", "a-evens")) {
      ConnectionPolicy p = h.policy(name);
      sum +=
          p == null || p.getStatus() == null || p.getStatus().getDropped() == null
              ? 0
              : p.getStatus().getDropped();
    }
    return sum;
  }
}
