package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.DropTarget;
import java.util.List;
import java.util.Objects;

/**
 * One drop call and the observed, denied connections it closes.
 *
 * @param closes the observed connections the call closes, in plan order (userid, sid)
 * @param rules the rule that denied each connection in {@code closes}, same order and size
 */
public record PlannedDrop(DropTarget target, List<Connection> closes, List<String> rules) {
  public PlannedDrop {
    Objects.requireNonNull(target, "target");
    closes = List.copyOf(closes);
    rules = List.copyOf(rules);
    if (closes.isEmpty() || closes.size() != rules.size()) {
      throw new IllegalArgumentException(
          "a drop closes at least one connection and names one rule per connection");
    }
  }
}
