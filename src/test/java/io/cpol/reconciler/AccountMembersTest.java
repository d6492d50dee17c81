package io.cpol.reconciler;

import static io.cpol.reconciler.PassEndingsTest.CAP;
import static io.cpol.reconciler.PassEndingsTest.ENDPOINT;
import static io.cpol.reconciler.PassEndingsTest.KEYS;
import static io.cpol.reconciler.PassEndingsTest.T0;
import static io.cpol.reconciler.PassEndingsTest.TOKEN;
import static io.cpol.reconciler.PassEndingsTest.registration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cpol.beebotte.Credentials;
import io.cpol.live.AccountListing;
import io.cpol.live.ListedPolicy;
import io.cpol.live.ListingSink;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which lanes and policies an account has, and handing them over on a merge or a split. */
class AccountMembersTest {
  // Lanes whose clients the members never use: they keep lanes and hand them over, the engine
  // calls through them.
  private final Lane keys = new Lane(AccountKey.of(ENDPOINT, KEYS), KEYS, null, null, null);
  private final Lane token = new Lane(AccountKey.of(ENDPOINT, TOKEN), TOKEN, null, null, null);
  private final Credentials otherToken = new Credentials.Token("token_xyz");
  private final Lane other =
      new Lane(AccountKey.of(ENDPOINT, otherToken), otherToken, null, null, null);

  /** What the live sessions view was told, policy names per change. */
  private final List<List<String>> changes = new ArrayList<>();

  private final ListingSink sink =
      new ListingSink() {
        @Override
        public void listed(Object publisher, AccountListing listing) {
          throw new AssertionError("the members list nothing");
        }

        @Override
        public void policiesChanged(Object publisher, List<ListedPolicy> policies) {
          changes.add(policies.stream().map(ListedPolicy::name).toList());
        }

        @Override
        public void gone(Object publisher) {
          throw new AssertionError("the engine, not its members, leaves the live view");
        }
      };

  /** Members keeping their entries in {@code schedule} (the engine's, which its passes read). */
  private AccountMembers members(PassSchedule schedule) {
    return new AccountMembers(schedule, sink, "account");
  }

  private AccountMembers members() {
    return members(new PassSchedule(CAP));
  }

  /** Registers a policy on {@code lane} at T0, bringing the lane when the account lacks it. */
  private static AccountMembers.Registered register(
      AccountMembers members, String name, String interval, Lane lane) throws Exception {
    Lane brought = members.lane(lane.key()) == null ? lane : null;
    return members.register(registration(name, interval, lane.credentials()), brought, T0);
  }

  private static PassSchedule.Entry entry(PassSchedule schedule, String uid) {
    return schedule.entries().stream().filter(e -> e.ref().uid().equals(uid)).findFirst().get();
  }

  @Test
  void aPolicyOfANewLaneKeepsThatLaneAndIsDueAtOnce() throws Exception {
    AccountMembers members = members();

    AccountMembers.Registered first = register(members, "a", "1m", keys);

    assertThat(first.changed()).isTrue();
    assertThat(first.unused()).isEmpty();
    assertThat(members.lane(keys.key())).isSameAs(keys);
    assertThat(members.lister()).isSameAs(keys);
    assertThat(members.registration("uid-a").lane()).isEqualTo(keys.key());
    assertThat(members.isEmpty()).isFalse();
    assertThat(changes).containsExactly(List.of("a"));

    // The same generation again changes nothing and tells nobody.
    AccountMembers.Registered again =
        members.register(registration("a", "1m", KEYS), null, T0.plusSeconds(9));
    assertThat(again.changed()).isFalse();
    assertThat(again.unused()).isEmpty();
    assertThat(changes).hasSize(1);
  }

  @Test
  void aPolicyWhoseLaneTheAccountLacksIsRefused() throws Exception {
    AccountMembers members = members();
    register(members, "a", "1m", keys);

    assertThatThrownBy(() -> members.register(registration("b", "1m", TOKEN), null, T0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no lane " + token.key() + " in account");
    assertThat(members.registration("uid-b")).isNull();
  }

  @Test
  void unregisteringTheLastPolicyOfALaneReturnsThatLaneForClosing() throws Exception {
    AccountMembers members = members();
    register(members, "a", "1m", keys);
    register(members, "b", "1m", keys);
    register(members, "c", "1m", token);

    assertThat(members.unregister("uid-a")).isEmpty();
    assertThat(members.unregister("uid-c")).containsExactly(token);
    assertThat(members.lane(token.key())).isNull();
    assertThat(members.lanes()).containsOnlyKeys(keys.key());
    assertThat(changes.get(changes.size() - 1)).containsExactly("b");

    // An unknown policy changes nothing; the last one leaves the account empty.
    int told = changes.size();
    assertThat(members.unregister("uid-gone")).isEmpty();
    assertThat(changes).hasSize(told);
    assertThat(members.unregister("uid-b")).containsExactly(keys);
    assertThat(members.isEmpty()).isTrue();
    assertThat(members.lanes()).isEmpty();
  }

  @Test
  void aPolicyMovingToAnotherLaneOfTheAccountReleasesItsOldLane() throws Exception {
    AccountMembers members = members();
    register(members, "a", "1m", keys);
    register(members, "b", "1m", token);

    AccountMembers.Registered moved = register(members, "b", "1m", keys);

    assertThat(moved.changed()).isTrue();
    assertThat(moved.unused()).containsExactly(token);
    assertThat(members.registration("uid-b").lane()).isEqualTo(keys.key());
  }

  @Test
  void aHandoverOnAMergeCarriesTheLanesAndTheScheduleEntries() throws Exception {
    PassSchedule mergedSchedule = new PassSchedule(CAP);
    AccountMembers merged = members(mergedSchedule);
    register(merged, "b", "1m", token);
    register(merged, "c", "1h", token);
    PassSchedule.Entry b = entry(mergedSchedule, "uid-b");
    PassSchedule.synced(b, T0.plusSeconds(60));
    PassSchedule.Entry c = entry(mergedSchedule, "uid-c");
    PassSchedule.synced(c, T0.plus(Duration.ofHours(1)));

    AccountMembers.Handover handover = merged.retireForMerge();

    assertThat(handover.lanes()).containsExactly(token);
    assertThat(handover.entries()).containsExactlyInAnyOrder(b, c);
    assertThat(handover.policies()).extracting(PolicyRef::name).containsExactlyInAnyOrder("b", "c");
    assertThat(merged.retired()).isTrue();
    assertThat(merged.isEmpty()).isTrue();
    assertThat(merged.lane(token.key())).isNull();
    // Handed over once: a second merge of the same engine brings nothing.
    assertThat(merged.retireForMerge()).isNull();

    PassSchedule ownerSchedule = new PassSchedule(CAP);
    AccountMembers owner = members(ownerSchedule);
    register(owner, "a", "2h", keys);
    PassSchedule.synced(entry(ownerSchedule, "uid-a"), T0.plus(Duration.ofHours(2)));

    // The first policy due in the merged account: b, when it was due before (not now).
    assertThat(owner.adopt(handover)).isEqualTo(T0.plusSeconds(60));
    assertThat(owner.lanes()).containsOnlyKeys(keys.key(), token.key());
    assertThat(entry(ownerSchedule, "uid-b")).isSameAs(b);
    assertThat(b.nextDueAt()).isEqualTo(T0.plusSeconds(60));
    assertThat(owner.registration("uid-c").lane()).isEqualTo(token.key());
    // Account order: a lists for all.
    assertThat(owner.lister()).isSameAs(keys);
    assertThat(changes.get(changes.size() - 1)).containsExactly("a", "b", "c");
  }

  @Test
  void aSplitReturnsEveryLaneButTheListersEachWithItsPoliciesDueNow() throws Exception {
    PassSchedule schedule = new PassSchedule(CAP);
    AccountMembers members = members(schedule);
    register(members, "a", "1m", keys);
    register(members, "b", "1m", token);
    register(members, "c", "1m", keys);
    register(members, "d", "1h", other);
    register(members, "e", "1m", other);
    PassSchedule.synced(entry(schedule, "uid-d"), T0.plus(Duration.ofHours(1)));
    members.owner("alice");
    Instant now = T0.plusSeconds(20);

    List<AccountMembers.Handover> split = members.splitOffOtherLanes(now);

    assertThat(split).hasSize(2);
    assertThat(split.get(0).lanes()).containsExactly(token);
    assertThat(split.get(0).policies()).extracting(PolicyRef::name).containsExactly("b");
    assertThat(split.get(1).lanes()).containsExactly(other);
    assertThat(split.get(1).policies())
        .extracting(PolicyRef::name)
        .containsExactlyInAnyOrder("d", "e");
    // They list with their own credentials at once, wherever they go.
    assertThat(split)
        .flatExtracting(AccountMembers.Handover::entries)
        .extracting(PassSchedule.Entry::nextDueAt)
        .containsOnly(now);
    assertThat(members.lanes()).containsOnlyKeys(keys.key());
    assertThat(members.registration("uid-b")).isNull();
    assertThat(members.registration("uid-c")).isNotNull();
    assertThat(members.owner()).isNull();
    assertThat(members.retired()).isFalse();
    assertThat(changes.get(changes.size() - 1)).containsExactly("a", "c");
  }

  @Test
  void closingReturnsEveryLaneAndRetires() throws Exception {
    AccountMembers members = members();
    register(members, "a", "1m", keys);
    register(members, "b", "1m", token);

    assertThat(members.close()).containsExactly(keys, token);
    assertThat(members.retired()).isTrue();
    assertThat(members.isEmpty()).isTrue();
    assertThat(members.lanes()).isEmpty();
    assertThat(members.retireForMerge()).isNull();
  }
}
