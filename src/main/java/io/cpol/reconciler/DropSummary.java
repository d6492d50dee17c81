package io.cpol.reconciler;

import io.cpol.policy.DropRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One line about a pass's drops for events and logs, counting sessions and userids apart: "50
 * sessions of 38 userids (socketio: 50) by deny[0]: app-1, app-2, app-3, app-4, app-5 and 33 more
 * userids".
 */
final class DropSummary {
  private static final int NAMES = 5;

  private DropSummary() {}

  static String describe(List<DropRecord> drops) {
    Map<String, Long> byProtocol =
        drops.stream()
            .collect(
                Collectors.groupingBy(
                    d -> String.valueOf(d.getProtocol()),
                    LinkedHashMap::new,
                    Collectors.counting()));
    TreeSet<String> rules =
        drops.stream().map(DropRecord::getRule).collect(Collectors.toCollection(TreeSet::new));
    List<String> userids = drops.stream().map(DropRecord::getUserid).distinct().toList();
    int shown = Math.min(userids.size(), NAMES);
    String names = String.join(", ", userids.subList(0, shown));
    if (userids.size() > shown) {
      int more = userids.size() - shown;
      names += " and " + more + (more == 1 ? " more userid" : " more userids");
    }
    return plural(drops.size(), "session")
        + " of "
        + plural(userids.size(), "userid")
        + " ("
        + byProtocol.entrySet().stream()
            .map(e -> e.getKey() + ": " + e.getValue())
            .collect(Collectors.joining(", "))
        + ") by "
        + String.join(", ", rules)
        + ": "
        + names;
  }

  private static String plural(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
