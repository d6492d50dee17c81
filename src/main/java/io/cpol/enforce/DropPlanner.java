package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.DropTarget;
import io.cpol.beebotte.Protocol;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Turns denied connections into as few drop calls as possible without ever closing an observed
 * connection the policy does not deny, and within a budget of connections per sync.
 *
 * <p>Per userid: one whole-user call when every observed session of the userid is denied; otherwise
 * one call per protocol on which every observed session is denied; otherwise one call per denied
 * session. Denied connections are taken in (userid, sid) order; the budget cuts that order into the
 * first {@code budget} connections, dropped now, and the rest, deferred. A call that would cross
 * the cut is replaced by the narrower calls that stop exactly at it.
 */
public final class DropPlanner {
  private static final Comparator<String> NULLS_LAST =
      Comparator.nullsLast(Comparator.naturalOrder());

  private final List<Connection> universe;
  private final String[] ruleOf;
  private final List<PlannedDrop> calls = new ArrayList<>();
  private int remaining;
  private boolean exhausted;
  private int planned;
  private int deferred;
  private int undroppable;

  private DropPlanner(List<Connection> universe, String[] ruleOf, int budget) {
    this.universe = universe;
    this.ruleOf = ruleOf;
    this.remaining = budget;
  }

  /**
   * Plans the drops for an evaluated listing: denied connections are those with a denied verdict.
   */
  public static DropPlan plan(Evaluation evaluation, int budget) {
    List<Connection> observed = evaluation.observed();
    String[] ruleOf = new String[observed.size()];
    for (int i = 0; i < ruleOf.length; i++) {
      Verdict verdict = evaluation.verdicts().get(i);
      ruleOf[i] = verdict.denied() ? verdict.rule() : null;
    }
    return new DropPlanner(observed, ruleOf, checkBudget(budget)).run();
  }

  /**
   * Plans the drops for {@code denied} among {@code observed}; an observed connection equal to a
   * denied one counts as denied, every other one is spared.
   */
  public static DropPlan plan(
      List<Connection> observed, List<DeniedConnection> denied, int budget) {
    Map<Connection, String> deniedRules = new HashMap<>();
    for (DeniedConnection d : denied) {
      deniedRules.putIfAbsent(d.connection(), d.rule());
    }
    List<Connection> universe = new ArrayList<>(observed);
    List<String> rules = new ArrayList<>(observed.size());
    observed.forEach(c -> rules.add(deniedRules.get(c)));
    // Denied but not (or no longer) observed: still worth closing, and nothing observed to spare.
    Set<Connection> known = new HashSet<>(observed);
    for (DeniedConnection d : denied) {
      if (known.add(d.connection())) {
        universe.add(d.connection());
        rules.add(d.rule());
      }
    }
    return new DropPlanner(universe, rules.toArray(String[]::new), checkBudget(budget)).run();
  }

  private static int checkBudget(int budget) {
    if (budget < 0) {
      throw new IllegalArgumentException("budget must not be negative, got " + budget);
    }
    return budget;
  }

  private DropPlan run() {
    Map<String, UserGroup> groups = new HashMap<>();
    int deniedTotal = 0;
    for (int i = 0; i < ruleOf.length; i++) {
      if (ruleOf[i] == null) {
        continue;
      }
      deniedTotal++;
      String userid = universe.get(i).userid();
      if (userid == null) {
        undroppable++;
      } else {
        groups.computeIfAbsent(userid, UserGroup::new).denied.add(i);
      }
    }
    for (int i = 0; i < ruleOf.length; i++) {
      if (ruleOf[i] == null && universe.get(i).userid() != null) {
        UserGroup group = groups.get(universe.get(i).userid());
        if (group != null) {
          group.spared.add(i);
        }
      }
    }
    Queue<UserGroup> byUserid;
    if (remaining >= deniedTotal) {
      // Every user will be planned: one sort is cheaper than draining a heap.
      UserGroup[] sorted = groups.values().toArray(UserGroup[]::new);
      Arrays.sort(sorted);
      byUserid = new ArrayDeque<>(Arrays.asList(sorted));
    } else {
      // Only the users the budget reaches need to come out in order: building a heap is O(n), and
      // only the users polled from it pay for ordering.
      byUserid = new PriorityQueue<>(groups.values());
    }
    while (!byUserid.isEmpty() && remaining > 0 && !exhausted) {
      planUser(byUserid.poll());
    }
    for (UserGroup group : byUserid) {
      int blocked = countBlocked(group);
      undroppable += blocked;
      deferred += group.denied.size - blocked;
    }
    return new DropPlan(calls, planned, deferred, undroppable);
  }

  private void planUser(UserGroup group) {
    int[] denied = inPlanOrder(group.denied);
    if (group.spared.size == 0 && denied.length <= remaining) {
      emit(group, DropTarget.user(group.userid), denied);
      return;
    }
    int[] droppable = new int[denied.length];
    int droppableCount = 0;
    for (int entry : denied) {
      if (isBlocked(universe.get(entry), group)) {
        undroppable++;
      } else {
        droppable[droppableCount++] = entry;
      }
    }
    int taken = takeWholeSessions(droppable, droppableCount);
    deferred += droppableCount - taken;
    // Strictly a prefix of the plan order: later users wait even if a call of theirs would fit.
    exhausted = taken < droppableCount;
    int[] selected = Arrays.copyOf(droppable, taken);
    List<int[]> sessions = splitBySid(selected);
    Set<String> protocolWide = protocolsFullyDenied(group, denied, selected, sessions);
    Set<String> emittedProtocols = new HashSet<>();
    for (int[] session : sessions) {
      String protocol = universe.get(session[0]).protocol();
      if (protocolWide.contains(protocol)) {
        if (emittedProtocols.add(protocol)) {
          emit(
              group,
              DropTarget.userOnProtocol(group.userid, Protocol.fromWire(protocol)),
              onProtocol(selected, protocol));
        }
      } else {
        emit(group, DropTarget.session(group.userid, universe.get(session[0]).sid()), session);
      }
    }
  }

  /** Consecutive entries with the same sid: what one session call closes. */
  private List<int[]> splitBySid(int[] selected) {
    List<int[]> sessions = new ArrayList<>();
    int start = 0;
    for (int end = 1; end <= selected.length; end++) {
      if (end == selected.length
          || !universe.get(selected[end]).sid().equals(universe.get(selected[start]).sid())) {
        sessions.add(Arrays.copyOfRange(selected, start, end));
        start = end;
      }
    }
    return sessions;
  }

  /**
   * How many of the first droppable entries fit the budget, never splitting the entries of one sid
   * (a session call closes them all) and stopping at an entry without a sid.
   */
  private int takeWholeSessions(int[] droppable, int count) {
    int taken = 0;
    while (taken < count) {
      String sid = universe.get(droppable[taken]).sid();
      if (sid == null) {
        return taken;
      }
      int end = taken;
      while (end < count && sid.equals(universe.get(droppable[end]).sid())) {
        end++;
      }
      if (end > remaining) {
        return taken;
      }
      taken = end;
    }
    return taken;
  }

  /**
   * The protocols for which a user-on-protocol call closes exactly the selected entries on it: all
   * denied entries on it are selected, no spared entry is on it, and no selected session shares its
   * sid with another protocol (which would need a session call covering both anyway).
   */
  private Set<String> protocolsFullyDenied(
      UserGroup group, int[] denied, int[] selected, List<int[]> sessions) {
    Set<String> wide = new HashSet<>();
    for (Protocol protocol : Protocol.values()) {
      String wire = protocol.wireName();
      int selectedOn = onProtocol(selected, wire).length;
      if (selectedOn > 0
          && selectedOn == onProtocol(denied, wire).length
          && !group.spared.anyMatch(i -> wire.equals(universe.get(i).protocol()))) {
        wide.add(wire);
      }
    }
    for (int[] session : sessions) {
      String protocol = universe.get(session[0]).protocol();
      for (int entry : session) {
        if (!Objects.equals(protocol, universe.get(entry).protocol())) {
          wide.remove(protocol);
          wide.remove(universe.get(entry).protocol());
        }
      }
    }
    return wide;
  }

  private int[] onProtocol(int[] entries, String protocol) {
    return Arrays.stream(entries)
        .filter(i -> protocol.equals(universe.get(i).protocol()))
        .toArray();
  }

  /**
   * Adds a call closing the given denied entries. Re-checks the one promise that matters most: the
   * call covers no spared connection (a violation is a bug here, so fail rather than drop).
   */
  private void emit(UserGroup group, DropTarget target, int[] entries) {
    for (int k = 0; k < group.spared.size; k++) {
      if (target.covers(universe.get(group.spared.values[k]))) {
        throw new IllegalStateException(target + " would close a connection that is not denied");
      }
    }
    Connection[] closes = new Connection[entries.length];
    String[] rules = new String[entries.length];
    for (int k = 0; k < entries.length; k++) {
      closes[k] = universe.get(entries[k]);
      rules[k] = ruleOf[entries[k]];
    }
    calls.add(new PlannedDrop(target, List.of(closes), List.of(rules)));
    planned += entries.length;
    remaining -= entries.length;
  }

  /** Denied entries no call may close because a spared entry shares the only handle on them. */
  private boolean isBlocked(Connection c, UserGroup group) {
    return group.spared.size > 0 && (c.sid() == null || sharesSidWithSpared(c.sid(), group));
  }

  private boolean sharesSidWithSpared(String sid, UserGroup group) {
    // Most users have a handful of sessions: a scan beats building a set.
    if (group.spared.size <= 8) {
      return group.spared.anyMatch(i -> sid.equals(universe.get(i).sid()));
    }
    if (group.sparedSids == null) {
      group.sparedSids = new HashSet<>();
      for (int k = 0; k < group.spared.size; k++) {
        group.sparedSids.add(universe.get(group.spared.values[k]).sid());
      }
    }
    return group.sparedSids.contains(sid);
  }

  private int countBlocked(UserGroup group) {
    if (group.spared.size == 0) {
      return 0;
    }
    int blocked = 0;
    for (int k = 0; k < group.denied.size; k++) {
      if (isBlocked(universe.get(group.denied.values[k]), group)) {
        blocked++;
      }
    }
    return blocked;
  }

  /** The entries sorted by sid (missing last), then protocol, then position in the listing. */
  private int[] inPlanOrder(Entries entries) {
    int[] sorted = Arrays.copyOf(entries.values, entries.size);
    if (sorted.length > 16) {
      return Arrays.stream(sorted)
          .boxed()
          .sorted(this::comparePlanOrder)
          .mapToInt(Integer::intValue)
          .toArray();
    }
    // Most users have a handful of sessions: an insertion sort beats boxing them to sort.
    for (int k = 1; k < sorted.length; k++) {
      int entry = sorted[k];
      int at = k;
      while (at > 0 && comparePlanOrder(sorted[at - 1], entry) > 0) {
        sorted[at] = sorted[at - 1];
        at--;
      }
      sorted[at] = entry;
    }
    return sorted;
  }

  private int comparePlanOrder(int a, int b) {
    Connection ca = universe.get(a);
    Connection cb = universe.get(b);
    int bySid = NULLS_LAST.compare(ca.sid(), cb.sid());
    if (bySid != 0) {
      return bySid;
    }
    int byProtocol = NULLS_LAST.compare(ca.protocol(), cb.protocol());
    return byProtocol != 0 ? byProtocol : Integer.compare(a, b);
  }

  /** The denied and spared (observed, not denied) entries of one userid. */
  private static final class UserGroup implements Comparable<UserGroup> {
    final String userid;
    final Entries denied = new Entries();
    final Entries spared = new Entries();

    /** Sids of the spared entries, built only for users with many sessions. */
    Set<String> sparedSids;

    UserGroup(String userid) {
      this.userid = userid;
    }

    @Override
    public int compareTo(UserGroup other) {
      return userid.compareTo(other.userid);
    }
  }

  /** A growable list of indexes into the universe, without boxing. */
  private static final class Entries {
    int[] values = new int[1];
    int size;

    void add(int value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
    }

    boolean anyMatch(IntPredicate predicate) {
      for (int k = 0; k < size; k++) {
        if (predicate.test(values[k])) {
          return true;
        }
      }
      return false;
    }
  }
}
