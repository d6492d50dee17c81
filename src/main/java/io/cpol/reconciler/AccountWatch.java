package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.DropTarget;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.AccountPass;
import io.cpol.enforce.AccountPolicies;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.DropPlanner;
import io.cpol.enforce.PlannedDrop;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.DropRecord;
import io.cpol.reconciler.PolicyLedger.Identity;
import io.cpol.reconciler.ReconnectWatch.Key;
import io.cpol.reconciler.ReconnectWatch.SharedLook;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconnect watch of one account: after a policy drops an identity, looks again on the
 * identity's own schedule ({@link ReconnectWatch} decides when) and drops it again as soon as it is
 * back, with the same safety rules as a pass ({@link DropPlanner}) and within the account's watch
 * budget. Also where every drop is counted for its policy, pass or watch, so reconnects, {@code
 * returning} and the Warning about a device whose credentials still work come from one place.
 */
final class AccountWatch {
  private static final Logger log = LoggerFactory.getLogger(AccountWatch.class);

  /** Said once per identity, once it has come back this many times. */
  static final int WARN_AFTER_RECONNECTS = 3;

  /** How long an identity waits after its check failed unexpectedly. */
  private static final Duration CHECK_BACKOFF = Duration.ofSeconds(5);

  /**
   * An account with at most this many connections at its last listing is looked at whole: one call
   * (about 250 bytes a connection, some 50 KB at most) shows every identity watched, where a look
   * at one identity shows only it. Beyond it, each identity is looked at on its own.
   */
  static final int SHARED_LOOK_MAX_CONNECTIONS = 200;

  /**
   * How long a look waits when another check holds an identity's turn (its drop being made and
   * stored): moments, not the pause of a pass.
   */
  private static final Duration TURN_RETRY = Duration.ofMillis(20);

  /** How long a check waits when the account is paused or a pass is dropping. */
  private static final Duration BUSY_RETRY = Duration.ofMillis(200);

  /** What the watch needs of its account's engine. */
  interface Account {
    /** The registration of a policy the account enforces, or null. */
    PolicyRegistration registration(String uid);

    /** A credential lane of the account, or null. */
    Lane lane(AccountKey key);

    /** Whether the watch must wait: the account is paused (a pass's drops: {@link #turns()}). */
    boolean busy(Instant now);

    /** The account's drop turns, shared with its passes. */
    DropTurns turns();

    /** Connections at the account's last listing, less those closed since; -1 before the first. */
    int listedConnections();
  }

  private final Account account;
  private final EngineRuntime runtime;
  private final PolicyDirectory directory;
  private final PassReports reports;
  private final ReconnectWatch watch;
  private final boolean enabled;
  private final RecentCloses closed = new RecentCloses();

  private final WakeUp wakeUp;

  // Guarded by this.
  private boolean stopped;

  AccountWatch(
      Account account,
      EngineRuntime runtime,
      EngineSettings settings,
      PolicyDirectory directory,
      PassReports reports) {
    this.account = account;
    this.runtime = runtime;
    this.directory = directory;
    this.reports = reports;
    double rate = settings.watchCallsPerSecond();
    this.enabled = rate > 0;
    this.wakeUp = new WakeUp(runtime, "reconnect watch: wake-up", this::tick);
    this.watch =
        new ReconnectWatch(
            ReconnectWatch.Settings.defaults(Math.max(rate, 0.1)), runtime.clock().instant());
  }

  /**
   * Counts one successful drop call for its policy: the ledger (dropped, reconnects, returning),
   * metrics, the Warning once an identity keeps coming back, and the watch of that identity.
   *
   * @param awaySince the latest instant the sessions are known not to have been connected (the
   *     listing that first showed them, or the watch's last look), for the exposure histogram
   */
  void counted(
      PolicyRegistration r,
      PlannedDrop call,
      List<DropRecord> drops,
      Instant landed,
      Instant awaySince) {
    DropTarget target = call.target();
    Identity identity =
        new Identity(
            target.userid(), target.protocol() == null ? null : target.protocol().wireName());
    PolicyLedger ledger = reports.ledger(r.ref());
    long times = ledger.recordDrops(drops, identity);
    // What each call added to dropped, to account for a count session by session (the soak test
    // matches these against the simulator's drop log).
    log.debug("policy {}: counted {} for the call {}", r.ref(), drops, target);
    for (DropRecord d : drops) {
      reports.metrics().drops(d.getProtocol(), "success", 1);
      reports.metrics().deniedSessionConnected(Duration.between(awaySince, landed));
    }
    for (Connection c : call.closes()) {
      closed.closed(c.userid() + "\n" + c.sid(), landed);
    }
    if (!r.dryRun() && enabled) {
      Key key = new Key(r.ref().uid(), target.userid(), target.protocol());
      synchronized (this) {
        watch.dropped(key, landed, r.interval());
        watch.delay(key).ifPresent(delay -> ledger.delay(identity, delay));
      }
      reschedule();
    }
    if (times > WARN_AFTER_RECONNECTS && ledger.firstWarning(identity)) {
      warn(r, identity, times - 1);
    }
  }

  private void warn(PolicyRegistration r, Identity identity, long reconnects) {
    Optional<ConnectionPolicy> live = directory.current(r.ref(), r.generation());
    if (live.isEmpty()) {
      return;
    }
    String who =
        identity.userid() + (identity.protocol() == null ? "" : " (" + identity.protocol() + ")");
    String message =
        who
            + " reconnected "
            + reconnects
            + " times after being dropped; its credentials still work — rotate them in Beebotte"
            + " to revoke it for good";
    log.warn("policy {}: {}", r.ref(), message);
    reports.events().warning(live.get(), "Reconnecting", message);
  }

  /** Sessions the watch closed since {@code since}: a pass listed before must not count them. */
  Set<String> closedSince(Instant since) {
    return closed.since(since, runtime.clock().instant());
  }

  /** Ends the watch of a policy's identities (deleted, suspended, DryRun or changed). */
  synchronized void forgetPolicy(String policyUid) {
    watch.forgetPolicy(policyUid);
  }

  synchronized void close() {
    stopped = true;
    wakeUp.stop();
  }

  /** Wakes up when the next identity is due. */
  private void reschedule() {
    synchronized (this) {
      Instant next = watch.nextWakeup(runtime.clock().instant());
      if (next != null) {
        wakeUp.at(next);
      }
    }
  }

  private void tick() {
    int listed = account.listedConnections();
    boolean whole = listed >= 0 && listed <= SHARED_LOOK_MAX_CONNECTIONS;
    List<Key> due = List.of();
    SharedLook look = null;
    synchronized (this) {
      if (stopped) {
        return;
      }
      Instant now = runtime.clock().instant();
      if (whole) {
        look = watch.dueShared(now);
      } else {
        due = watch.due(now);
      }
    }
    try {
      for (Key key : due) {
        runtime.calls().execute(() -> check(key));
      }
      if (look != null) {
        SharedLook shared = look;
        runtime.calls().execute(() -> checkShared(shared));
      }
    } catch (RejectedExecutionException closing) {
      // The operator is closing: the checks not started stay undone.
    }
    reschedule();
  }

  private void checkShared(SharedLook look) {
    TaskGuard.run(
        "reconnect watch of the account",
        () -> lookAtAccount(look),
        t -> notLooked(look.all(), look, runtime.clock().instant().plus(CHECK_BACKOFF)));
    reschedule();
  }

  /**
   * One look at the whole account for the identities of {@code look}, on their turns (DropTurns),
   * and the drops it calls for, side by side.
   */
  private void lookAtAccount(SharedLook look) {
    Instant now = runtime.clock().instant();
    Map<Key, PolicyRegistration> looked = new LinkedHashMap<>();
    HeldTurns turns = new HeldTurns();
    Set<Key> handedOver = new HashSet<>();
    try {
      boolean busy = account.busy(now);
      for (Key key : look.all()) {
        PolicyRegistration r = account.registration(key.policyUid());
        if (r == null || r.dryRun() || directory.current(r.ref(), r.generation()).isEmpty()) {
          forgetPolicy(key.policyUid());
        } else if (!busy && turns.take(key)) {
          looked.put(key, r);
        } else {
          notLooked(List.of(key), look, now.plus(busy ? BUSY_RETRY : TURN_RETRY));
        }
      }
      if (!looked.isEmpty()) {
        lookAndDrop(look, looked, turns, handedOver);
      }
    } finally {
      for (Key key : looked.keySet()) {
        if (!handedOver.contains(key)) {
          turns.giveBack(key);
        }
      }
    }
  }

  /**
   * The turns one look at the whole account holds (DropTurns), a share per identity looked at: an
   * identity the look did not find back gives its share back at once, one it found when its drops
   * are made and stored, so another look at the account need not wait for drops it has no part in.
   */
  private final class HeldTurns {
    private final Map<String, Integer> shares = new HashMap<>();
    private final Set<Key> given = new HashSet<>();

    /** Takes a share of the turn of {@code key}'s userid; false when another check holds it. */
    synchronized boolean take(Key key) {
      Integer held = shares.get(key.userid());
      if (held == null && !account.turns().tryCheck(key.userid())) {
        return false;
      }
      shares.put(key.userid(), held == null ? 1 : held + 1);
      return true;
    }

    /** Gives back the share of {@code key} (once); the last share ends the userid's turn. */
    synchronized void giveBack(Key key) {
      if (!given.add(key)) {
        return;
      }
      int left = shares.get(key.userid()) - 1;
      if (left == 0) {
        shares.remove(key.userid());
        account.turns().checkEnded(key.userid());
      } else {
        shares.put(key.userid(), left);
      }
    }
  }

  private void lookAndDrop(
      SharedLook look, Map<Key, PolicyRegistration> looked, HeldTurns turns, Set<Key> handedOver) {
    Map<Key, Instant> awaySince = new HashMap<>();
    Instant now = runtime.clock().instant();
    synchronized (this) {
      looked.keySet().forEach(k -> awaySince.put(k, watch.awaySince(k).orElse(now)));
    }
    PolicyRegistration first = looked.values().iterator().next();
    BeebotteClient client = account.lane(first.lane()).watcher();
    List<Connection> all;
    try {
      all = client.list(ConnectionFilter.all()).connections();
    } catch (BeebotteException e) {
      failed(List.copyOf(looked.keySet()), look, e);
      return;
    }
    Instant seen = runtime.clock().instant();
    // A session two identities both cover (one userid under two policies) is dropped once.
    Set<String> dropping = new HashSet<>();
    for (Map.Entry<Key, PolicyRegistration> e : looked.entrySet()) {
      Key key = e.getKey();
      PolicyRegistration r = e.getValue();
      List<Connection> there =
          all.stream()
              .filter(c -> c.userid().equals(key.userid()))
              .filter(c -> key.protocol() == null || key.protocol().wireName().equals(c.protocol()))
              .filter(c -> !dropping.contains(c.userid() + "\n" + c.sid()))
              .toList();
      Optional<DropPlan> plan = seen(key, look.due().contains(key), r, there, seen);
      if (plan.isEmpty()) {
        turns.giveBack(key);
        continue;
      }
      plan.get().calls().stream()
          .flatMap(call -> call.closes().stream())
          .forEach(c -> dropping.add(c.userid() + "\n" + c.sid()));
      BeebotteClient dropper = account.lane(r.lane()).watcher();
      // Side by side: devices dropped together come back together, and one look finds them all.
      // Each drop gives its turn back once made and stored.
      runtime
          .calls()
          .execute(
              () -> {
                try {
                  TaskGuard.run(
                      "reconnect watch of " + key.userid(),
                      () -> {
                        drop(key, r, plan.get(), dropper, seen, awaySince.get(key));
                        reports.progress(r.ref());
                      },
                      t -> notLooked(List.of(key), look, seen.plus(CHECK_BACKOFF)));
                } finally {
                  turns.giveBack(key);
                  reschedule();
                }
              });
      handedOver.add(key);
    }
  }

  /**
   * The look made for {@code look} did not reach {@code keys}: those due look again at {@code at}.
   */
  private void notLooked(List<Key> keys, SharedLook look, Instant at) {
    synchronized (this) {
      for (Key key : keys) {
        if (look.due().contains(key)) {
          watch.postpone(key, at);
        } else {
          watch.release(key);
        }
      }
    }
  }

  private void check(Key key) {
    TaskGuard.run(
        "reconnect watch of " + key.userid(),
        () -> checkOnce(key),
        t -> {
          // Whatever it was (an Error too), the identity leaves flight and is looked at later.
          synchronized (this) {
            watch.postpone(key, runtime.clock().instant().plus(CHECK_BACKOFF));
          }
        });
    reschedule();
  }

  private void checkOnce(Key key) {
    PolicyRegistration r = account.registration(key.policyUid());
    if (r == null || r.dryRun() || directory.current(r.ref(), r.generation()).isEmpty()) {
      forgetPolicy(key.policyUid());
      return;
    }
    Instant now = runtime.clock().instant();
    if (account.busy(now) || !account.turns().tryCheck(key.userid())) {
      synchronized (this) {
        watch.postpone(key, now.plus(BUSY_RETRY));
      }
      return;
    }
    try {
      lookAndDrop(key, r, now);
    } finally {
      account.turns().checkEnded(key.userid());
    }
  }

  /** One look at the identity and the drops it calls for, on this check's turn (DropTurns). */
  private void lookAndDrop(Key key, PolicyRegistration r, Instant now) {
    BeebotteClient client = account.lane(r.lane()).watcher();
    Instant awaySince;
    synchronized (this) {
      awaySince = watch.awaySince(key).orElse(now);
    }
    ConnectionFilter filter =
        key.protocol() == null
            ? ConnectionFilter.user(key.userid())
            : ConnectionFilter.user(key.userid()).withProtocol(key.protocol());
    List<Connection> there;
    try {
      there = client.list(filter).connections();
    } catch (BeebotteException e) {
      failed(List.of(key), null, e);
      return;
    }
    Instant seen = runtime.clock().instant();
    Optional<DropPlan> plan = seen(key, true, r, there, seen);
    if (plan.isPresent()) {
      drop(key, r, plan.get(), client, seen, awaySince);
      reports.progress(r.ref());
    }
  }

  /**
   * What a look at {@code seen} showed of the identity ({@code there}: its sessions): the watch
   * learns from it (as its own look, or a glimpse of a look made for others), and the drops it
   * calls for, planned with the same safety rules as a pass's.
   */
  private Optional<DropPlan> seen(
      Key key, boolean ownLook, PolicyRegistration r, List<Connection> there, Instant seen) {
    AccountEvaluation evaluation = new AccountPolicies(List.of(r.rules())).evaluate(there, seen);
    boolean present = evaluation.deniedCount(0) > 0;
    synchronized (this) {
      if (ownLook) {
        watch.checked(key, seen, present);
      } else {
        watch.glimpsed(key, seen, present);
      }
    }
    if (!present) {
      return Optional.empty();
    }
    return Optional.of(
        AccountPass.plan(
            evaluation, p -> true, AccountPass.ownBudget(evaluation.policies()), seen));
  }

  /** Makes the calls of {@code plan}, each counted and stored before the next. */
  private void drop(
      Key key,
      PolicyRegistration r,
      DropPlan plan,
      BeebotteClient client,
      Instant seen,
      Instant awaySince) {
    for (PlannedDrop call : plan.calls()) {
      if (directory.current(r.ref(), r.generation()).isEmpty()) {
        return;
      }
      synchronized (this) {
        watch.charge(key, runtime.clock().instant());
      }
      try {
        // The listing just made is the re-listing a verify-first call asks for.
        client.drop(call.target());
      } catch (BeebotteException e) {
        failed(List.of(key), null, e);
        reports
            .metrics()
            .drops(
                String.valueOf(call.closes().get(0).protocol()),
                e.kind() == BeebotteException.Kind.TRANSIENT ? "unknown" : "failure",
                call.closes().size());
        return;
      }
      Instant landed = runtime.clock().instant();
      List<DropRecord> drops = PassOutcomes.dropRecords(call, CallResult.DROPPED, landed);
      log.info(
          "policy {}: dropped {} again ({} sessions), {} ms after it was seen back",
          r.ref(),
          key.userid(),
          drops.size(),
          Duration.between(seen, landed).toMillis());
      counted(r, call, drops, landed, awaySince);
      // Stored before the next call, as a pass's drops are: a crash loses at most this one.
      reports.awaitStored(r.ref());
    }
  }

  /**
   * A watch call failed: a 429 or 5xx slows the watch (before any regular pass); the identities
   * look again in a second ({@code look}: those it only glimpsed keep their own schedule).
   */
  private void failed(List<Key> keys, SharedLook look, BeebotteException e) {
    Instant now = runtime.clock().instant();
    synchronized (this) {
      if (AccountThrottle.slowsDown(e)) {
        watch.slowDown(now, AccountThrottle.serverPause(e).orElse(Duration.ofSeconds(1)));
      }
    }
    if (look == null) {
      synchronized (this) {
        keys.forEach(key -> watch.postpone(key, now.plus(Duration.ofSeconds(1))));
      }
    } else {
      notLooked(keys, look, now.plus(Duration.ofSeconds(1)));
    }
    log.debug("reconnect watch: {}", e.getMessage());
  }
}
