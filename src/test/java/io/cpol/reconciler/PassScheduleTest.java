package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.cpol.beebotte.Credentials;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.policy.ConnectionPolicySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure schedule of an account's passes: due, coalescing, next wake-up, back-off. */
class PassScheduleTest {
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
  private static final Credentials KEYS = new Credentials.Keys("k", "s");
  private static final Duration CAP = Duration.ofSeconds(30);

  private static PolicyRegistration registration(String name, String interval) throws Exception {
    ConnectionPolicySpec spec =
        new ObjectMapper(new YAMLFactory())
            .readValue(
                "credentialsRef: {name: s}\ninterval: " + interval + "\ndeny: [{userids: [x]}]",
                ConnectionPolicySpec.class);
    return new PolicyRegistration(
        new PolicyRef("uid-" + name, "default", name),
        1,
        CompiledPolicy.compile(spec),
        KEYS,
        AccountKey.of("http://b", KEYS));
  }

  @Test
  void aPolicyWithTheSameIntervalDueWithinHalfOfItJoinsThePass() throws Exception {
    PassSchedule schedule = new PassSchedule(CAP);
    schedule.put(registration("a", "10s"), T0);
    schedule.put(registration("b", "10s"), T0.plusSeconds(4));
    schedule.put(registration("c", "10s"), T0.plusSeconds(6));
    schedule.put(registration("d", "20s"), T0.plusSeconds(4));

    PassSchedule.Due due = schedule.due(T0);

    assertThat(due.order()).extracting(e -> e.ref().name()).containsExactly("a", "b", "c", "d");
    assertThat(due.due()).containsExactly(true, true, false, false);
    assertThat(due.allFresh()).isTrue();
  }

  @Test
  void nothingIsDueBeforeTheEarliestPolicyAndTheWakeUpIsThen() throws Exception {
    PassSchedule schedule = new PassSchedule(CAP);
    schedule.put(registration("a", "1m"), T0.plusSeconds(5));
    PassSchedule.Entry a = schedule.entries().iterator().next();
    PassSchedule.synced(a, T0.plusSeconds(60));

    assertThat(schedule.due(T0.plusSeconds(58))).isNull();
    assertThat(schedule.next()).isEqualTo(T0.plusSeconds(60));
    // Within a second of being due, a pass takes it (the slack keeps policies together).
    assertThat(schedule.due(T0.plusMillis(59_500)).due()).containsExactly(true);
  }

  @Test
  void failuresBackOffFromOneSecondDoublingToMinOfIntervalAndCapAndASyncResets() throws Exception {
    PassSchedule schedule = new PassSchedule(CAP);
    schedule.put(registration("a", "1m"), T0);
    PassSchedule.Entry a = schedule.entries().iterator().next();
    List<Long> waits = new ArrayList<>();
    Instant now = T0;
    for (int i = 0; i < 8; i++) {
      Instant at = schedule.failed(a, now, null);
      waits.add(Duration.between(now, at).toSeconds());
      now = at;
    }
    assertThat(waits).containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);

    PassSchedule.synced(a, now.plusSeconds(60));
    assertThat(Duration.between(now, schedule.failed(a, now, null))).hasSeconds(1);
    // A pause Beebotte asked for is kept when it is longer.
    assertThat(schedule.failed(a, now, now.plusSeconds(40))).isEqualTo(now.plusSeconds(40));
    assertThat(PassSchedule.backoff(10, Duration.ofSeconds(5), CAP)).hasSeconds(5);
  }

  @Test
  void afterAPassTheAccountWakesAtItsFirstDuePolicyOrItsRetryButNotWhilePaused() throws Exception {
    PassSchedule schedule = new PassSchedule(CAP);
    assertThat(schedule.wakeUp(null, Instant.MIN)).isNull();
    assertThat(schedule.wakeUp(T0.plusSeconds(5), Instant.MIN)).isEqualTo(T0.plusSeconds(5));

    schedule.put(registration("a", "1m"), T0.plusSeconds(60));
    assertThat(schedule.wakeUp(null, Instant.MIN)).isEqualTo(T0.plusSeconds(60));
    assertThat(schedule.wakeUp(T0.plusSeconds(20), Instant.MIN)).isEqualTo(T0.plusSeconds(20));
    assertThat(schedule.wakeUp(T0.plusSeconds(90), Instant.MIN)).isEqualTo(T0.plusSeconds(60));
    // While the account is paused nothing may start: it wakes when the pause ends.
    assertThat(schedule.wakeUp(T0.plusSeconds(20), T0.plusSeconds(75)))
        .isEqualTo(T0.plusSeconds(75));
    assertThat(schedule.wakeUp(null, T0.plusSeconds(30))).isEqualTo(T0.plusSeconds(60));
  }
}
