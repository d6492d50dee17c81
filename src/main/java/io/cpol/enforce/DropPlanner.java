package io.cpol.enforce;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.DropTarget;
import io.cpol.beebotte.Protocol;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * Turns the connections that an account's dropping policies deny into drop calls that are safe
 * against a moving world, as few as that allows, within each policy's budget.
 *
 * <p>Safety: a call may close only sessions that a dropping policy denies, whatever else connects
 * before the call lands. So a userid-wide call is made only when one dropping policy denies every
 * session that userid could open ({@link CompiledPolicy#deniesEverySessionOf}: a deny rule that
 * constrains the userid alone, and no allow rule that could spare one of its sessions); a
 * userid+protocol call only when the same holds on that protocol; otherwise one call per session. A
 * Socket.IO sid names one connection for good. An MQTT sid is its userid, so a per-session call on
 * MQTT closes whatever MQTT session that userid has when it lands: such calls are marked {@link
 * PlannedDrop#verifyFirst()} unless a rule covers every MQTT session of the userid.
 *
 * <p>Budgets: users are taken in userid order; each call is made for one policy, which counts what
 * it closes. Wide calls go to the first policy (in account order) whose rules justify them and
 * whose budget covers every observed session they close; a per-session call goes to the first
 * policy that denies the session and has budget left. A policy that cannot pay for a session it
 * denies is exhausted for the rest of the pass, so what it drops is a prefix of its denied sessions
 * in userid order, and the rest is deferred.
 */
public final class DropPlanner {
  /** Rules of wide calls must still apply this long after planning: the calls land well within. */
  static final Duration COVERAGE_MARGIN = Duration.ofMinutes(1);

  private static final Comparator<String> NULLS_LAST =
      Comparator.nullsLast(Comparator.naturalOrder());

  /**
   * A policy that drops in this pass.
   *
   * @param policy its index in the account's {@link AccountPolicies}
   * @param budget how many connections it may close in this pass
   */
  public record Participant(int policy, int budget) {
    public Participant {
      if (budget < 0) {
        throw new IllegalArgumentException("budget must not be negative, got " + budget);
      }
    }
  }

  private final AccountEvaluation evaluation;
  private final List<Connection> observed;
  private final int[] participants;
  private final boolean[] participating;
  private final int[] remaining;
  private final boolean[] exhausted;
  private final Instant now;
  private final Instant coverageAt;
  private final List<PlannedDrop> calls = new ArrayList<>();
  private final int[] planned;
  private final int[] deferred;
  private final int[] undroppable;

  private DropPlanner(AccountEvaluation evaluation, List<Participant> participants, Instant now) {
    this.evaluation = evaluation;
    this.observed = evaluation.observed();
    int count = evaluation.policies().size();
    this.participating = new boolean[count];
    this.remaining = new int[count];
    this.exhausted = new boolean[count];
    this.planned = new int[count];
    this.deferred = new int[count];
    this.undroppable = new int[count];
    int[] order = new int[participants.size()];
    for (int k = 0; k < participants.size(); k++) {
      Participant participant = participants.get(k);
      if (participating[participant.policy()]) {
        throw new IllegalArgumentException("policy " + participant.policy() + " listed twice");
      }
      participating[participant.policy()] = true;
      remaining[participant.policy()] = participant.budget();
      order[k] = participant.policy();
    }
    Arrays.sort(order);
    this.participants = order;
    this.now = now;
    this.coverageAt = now.plus(COVERAGE_MARGIN);
  }

  /**
   * Plans the drop calls of one pass.
   *
   * @param participants the policies that drop in this pass (Enforce mode, due); the others'
   *     verdicts are ignored here
   * @param now the evaluation instant (rules' {@code until} is judged against it)
   */
  public static DropPlan plan(
      AccountEvaluation evaluation, List<Participant> participants, Instant now) {
    return new DropPlanner(evaluation, participants, now).run();
  }

  private DropPlan run() {
    Map<String, UserGroup> groups = new HashMap<>();
    boolean[] grouped = new boolean[observed.size()];
    for (int p : participants) {
      for (int i : evaluation.deniedUnsafe(p)) {
        if (grouped[i]) {
          continue;
        }
        String userid = observed.get(i).userid();
        if (userid == null) {
          // Every call names a userid: nothing can close this one.
          forEachDenier(i, q -> undroppable[q]++);
          grouped[i] = true;
          continue;
        }
        grouped[i] = true;
        groups.computeIfAbsent(userid, UserGroup::new).denied.add(i);
      }
    }
    if (groups.isEmpty()) {
      return result();
    }
    for (int i = 0; i < observed.size(); i++) {
      if (!grouped[i] && observed.get(i).userid() != null) {
        UserGroup group = groups.get(observed.get(i).userid());
        if (group != null) {
          group.spared.add(i);
        }
      }
    }
    UserGroup[] users = groups.values().toArray(UserGroup[]::new);
    Arrays.sort(users, (a, b) -> a.userid.compareTo(b.userid));
    for (UserGroup user : users) {
      planUser(user);
    }
    return result();
  }

  private DropPlan result() {
    return new DropPlan(calls, planned, deferred, undroppable);
  }

  private void planUser(UserGroup user) {
    int[] denied = inPlanOrder(user.denied);
    if (user.spared.isEmpty() && wideCall(user, null, denied)) {
      return;
    }
    boolean[] handled = new boolean[denied.length];
    for (Protocol protocol : Protocol.values()) {
      int[] onProtocol = onProtocol(denied, protocol);
      if (onProtocol.length == 0 || anyOnProtocol(user.spared, protocol)) {
        continue;
      }
      if (wideCall(user, protocol, onProtocol)) {
        for (int k = 0; k < denied.length; k++) {
          handled[k] |= protocol.wireName().equals(observed.get(denied[k]).protocol());
        }
      }
    }
    int k = 0;
    while (k < denied.length) {
      if (handled[k]) {
        k++;
        continue;
      }
      // Entries with the same sid and protocol are one session (listed twice): one call.
      int end = k + 1;
      while (end < denied.length && !handled[end] && sameSession(denied[k], denied[end])) {
        end++;
      }
      sessionCall(user, Arrays.copyOfRange(denied, k, end));
      k = end;
    }
  }

  /**
   * A userid-wide ({@code protocol} null) or userid+protocol call closing {@code entries} (every
   * observed session in that scope), made for the first participant whose rules justify it and
   * whose budget covers it; false when there is none.
   */
  private boolean wideCall(UserGroup user, Protocol protocol, int[] entries) {
    for (int p : participants) {
      // A policy that does not deny every entry cannot make the call (emit would refuse it):
      // asking first spares the rule check for the policies that have nothing to do with the user.
      if (exhausted[p]
          || remaining[p] < entries.length
          || !deniesAll(p, entries)
          || !evaluation
              .policies()
              .policy(p)
              .deniesEverySessionOf(user.userid, protocol, coverageAt)) {
        continue;
      }
      DropTarget target =
          protocol == null
              ? DropTarget.user(user.userid)
              : DropTarget.userOnProtocol(user.userid, protocol);
      emit(user, target, entries, p, coverageAt, false);
      return true;
    }
    return false;
  }

  /** One session's call, or why it cannot be made now (blocked or out of budget). */
  private void sessionCall(UserGroup user, int[] session) {
    Connection first = observed.get(session[0]);
    if (first.sid() == null || sharesHandleWithSpared(user, first)) {
      for (int entry : session) {
        forEachDenier(entry, q -> undroppable[q]++);
      }
      return;
    }
    for (int p : participants) {
      if (exhausted[p] || !deniesAll(p, session)) {
        continue;
      }
      if (remaining[p] < session.length) {
        exhausted[p] = true;
        continue;
      }
      Protocol protocol = Protocol.fromWire(first.protocol());
      DropTarget target =
          protocol == null
              ? DropTarget.session(user.userid, first.sid())
              : new DropTarget(user.userid, protocol, first.sid());
      boolean mqttSession = protocol == Protocol.mqtt && first.sid().equals(user.userid);
      boolean verify =
          mqttSession
              && !evaluation
                  .policies()
                  .policy(p)
                  .deniesEverySessionOf(user.userid, Protocol.mqtt, coverageAt);
      emit(user, target, session, p, validUntil(p, session), verify);
      return;
    }
    for (int entry : session) {
      forEachDenier(entry, q -> deferred[q]++);
    }
  }

  /** The earliest instant a rule that denies one of the entries for {@code policy} expires. */
  private Instant validUntil(int policy, int[] entries) {
    Instant earliest = null;
    for (int entry : entries) {
      Instant until =
          evaluation.policies().policy(policy).denyRuleUntil(evaluation.denyingRule(policy, entry));
      if (until != null && (earliest == null || until.isBefore(earliest))) {
        earliest = until;
      }
    }
    return earliest;
  }

  /**
   * Adds a call. Re-checks the promises that matter most at the last moment (a violation is a bug
   * here, so fail rather than drop): the call covers no observed connection that no participant
   * denies, the policy denies everything the call is said to close, and a wide call's scope is
   * covered by the policy's rules.
   */
  private void emit(
      UserGroup user,
      DropTarget target,
      int[] entries,
      int policy,
      Instant validUntil,
      boolean verifyFirst) {
    for (int k = 0; k < user.spared.size(); k++) {
      if (target.covers(observed.get(user.spared.get(k)))) {
        throw new IllegalStateException(target + " would close a connection that is not denied");
      }
    }
    if (!deniesAll(policy, entries)) {
      throw new IllegalStateException(target + " would close a connection its policy allows");
    }
    if (target.sid() == null
        && !evaluation
            .policies()
            .policy(policy)
            .deniesEverySessionOf(target.userid(), target.protocol(), coverageAt)) {
      throw new IllegalStateException(target + " is wider than its policy's rules");
    }
    Connection[] closes = new Connection[entries.length];
    String[] rules = new String[entries.length];
    for (int k = 0; k < entries.length; k++) {
      closes[k] = observed.get(entries[k]);
      rules[k] = evaluation.verdict(policy, entries[k]).rule();
    }
    calls.add(
        new PlannedDrop(target, List.of(closes), List.of(rules), policy, validUntil, verifyFirst));
    planned[policy] += entries.length;
    remaining[policy] -= entries.length;
  }

  private boolean deniesAll(int policy, int[] entries) {
    for (int entry : entries) {
      if (!evaluation.denies(policy, entry)) {
        return false;
      }
    }
    return true;
  }

  private void forEachDenier(int entry, IntConsumer action) {
    for (int p : participants) {
      if (evaluation.denies(p, entry)) {
        action.accept(p);
      }
    }
  }

  /** A spared entry with the same sid (and protocol) would be closed by this session's call. */
  private boolean sharesHandleWithSpared(UserGroup user, Connection session) {
    for (int k = 0; k < user.spared.size(); k++) {
      if (sameHandle(observed.get(user.spared.get(k)), session)) {
        return true;
      }
    }
    return false;
  }

  /** What a per-session call for {@code b} would close of {@code a}. */
  private static boolean sameHandle(Connection a, Connection b) {
    return Objects.equals(a.sid(), b.sid())
        && (Protocol.fromWire(b.protocol()) == null || Objects.equals(a.protocol(), b.protocol()));
  }

  private boolean sameSession(int a, int b) {
    Connection ca = observed.get(a);
    Connection cb = observed.get(b);
    return ca.sid() != null
        && ca.sid().equals(cb.sid())
        && Objects.equals(ca.protocol(), cb.protocol());
  }

  private int[] onProtocol(int[] entries, Protocol protocol) {
    String wire = protocol.wireName();
    int[] out = new int[entries.length];
    int n = 0;
    for (int entry : entries) {
      if (wire.equals(observed.get(entry).protocol())) {
        out[n++] = entry;
      }
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  private boolean anyOnProtocol(IntList entries, Protocol protocol) {
    for (int k = 0; k < entries.size(); k++) {
      if (protocol.wireName().equals(observed.get(entries.get(k)).protocol())) {
        return true;
      }
    }
    return false;
  }

  /** The entries sorted by sid (missing last), then protocol, then position in the listing. */
  private int[] inPlanOrder(IntList entries) {
    int[] sorted = entries.toArray();
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
    Connection ca = observed.get(a);
    Connection cb = observed.get(b);
    int bySid = NULLS_LAST.compare(ca.sid(), cb.sid());
    if (bySid != 0) {
      return bySid;
    }
    int byProtocol = NULLS_LAST.compare(ca.protocol(), cb.protocol());
    return byProtocol != 0 ? byProtocol : Integer.compare(a, b);
  }

  /** The denied (by a participant) and spared (by every participant) entries of one userid. */
  private static final class UserGroup {
    final String userid;
    final IntList denied = new IntList(2);
    final IntList spared = new IntList(2);

    UserGroup(String userid) {
      this.userid = userid;
    }
  }
}
