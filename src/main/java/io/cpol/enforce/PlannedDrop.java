package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.DropTarget;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One drop call, the observed denied connections it closes, and the policy it is made for.
 *
 * @param closes the observed connections the call closes, in plan order (userid, sid)
 * @param rules the rule of {@code policy} that denied each connection in {@code closes}, same order
 *     and size
 * @param policy the policy the call is made for (its index in the account): its rules justify the
 *     call, the connections count as its drops, and its credentials make the call
 * @param validUntil the call must not start at or after this instant (a deciding rule expires
 *     then); null when no rule expires
 * @param verifyFirst the target addresses more than the listed session can prove (an MQTT session,
 *     whose sid is its userid, denied for its address): re-list that one session right before the
 *     call and make it only if {@code policy} still denies what is there
 */
public record PlannedDrop(
    DropTarget target,
    List<Connection> closes,
    List<String> rules,
    int policy,
    Instant validUntil,
    boolean verifyFirst) {
  public PlannedDrop {
    Objects.requireNonNull(target, "target");
    closes = List.copyOf(closes);
    rules = List.copyOf(rules);
    if (closes.isEmpty() || closes.size() != rules.size()) {
      throw new IllegalArgumentException(
          "a drop closes at least one connection and names one rule per connection");
    }
  }

  /** Whether the call is a whole-userid or userid+protocol call (one made blind, by rule). */
  public boolean wide() {
    return target.sid() == null;
  }
}
