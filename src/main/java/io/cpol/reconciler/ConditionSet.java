package io.cpol.reconciler;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Kubernetes-style conditions: setting one keeps its {@code lastTransitionTime} unless its status
 * flips, so an unchanged observation yields an equal list and no status patch.
 */
final class ConditionSet {
  static final String READY = "Ready";
  static final String ENFORCED = "Enforced";

  private final List<Condition> conditions;

  ConditionSet(List<Condition> old) {
    this.conditions = new ArrayList<>();
    if (old != null) {
      old.forEach(c -> conditions.add(new ConditionBuilder(c).build()));
    }
  }

  ConditionSet set(
      String type, String status, Reason reason, String message, long generation, Instant now) {
    Condition previous =
        conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    String transition =
        previous != null
                && Objects.equals(previous.getStatus(), status)
                && previous.getLastTransitionTime() != null
            ? previous.getLastTransitionTime()
            : StatusTime.format(now);
    Condition next =
        new ConditionBuilder()
            .withType(type)
            .withStatus(status)
            .withReason(reason.name())
            .withMessage(message)
            .withObservedGeneration(generation)
            .withLastTransitionTime(transition)
            .build();
    if (previous == null) {
      conditions.add(next);
    } else {
      conditions.set(conditions.indexOf(previous), next);
    }
    return this;
  }

  Condition get(String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }

  /** Ready first, Enforced second, anything else after, so the order never causes a diff. */
  List<Condition> toList() {
    List<Condition> out = new ArrayList<>(conditions);
    out.sort((a, b) -> Integer.compare(rank(a.getType()), rank(b.getType())));
    return out;
  }

  private static int rank(String type) {
    return READY.equals(type) ? 0 : ENFORCED.equals(type) ? 1 : 2;
  }
}
