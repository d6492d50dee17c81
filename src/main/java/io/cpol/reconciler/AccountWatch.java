package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.DropTarget;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.AccountPolicies;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.DropPlanner;
import io.cpol.enforce.PlannedDrop;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.DropRecord;
import io.cpol.reconciler.AccountEngine.CallResult;
import io.cpol.reconciler.AccountEngine.CallStatus;
import io.cpol.reconciler.PolicyLedger.Identity;
import io.cpol.reconciler.ReconnectWatch.Key;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
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

  /** How long a check waits when the account is paused or a pass is dropping. */
  private static final Duration BUSY_RETRY = Duration.ofMillis(200);

  private final AccountEngines registry;
  private final AccountEngine engine;
  private final ReconnectWatch watch;
  private final boolean enabled;
  private final Map<String, Instant> closed = new ConcurrentHashMap<>();

  // Guarded by this.
  private ScheduledFuture<?> timer;
  private Instant timerAt;
  private boolean stopped;

  AccountWatch(AccountEngines registry, AccountEngine engine) {
    this.registry = registry;
    this.engine = engine;
    double rate = registry.settings().watchCallsPerSecond();
    this.enabled = rate > 0;
    this.watch =
        new ReconnectWatch(
            ReconnectWatch.Settings.defaults(Math.max(rate, 0.1)), registry.clock().instant());
  }

  // ---- Counting drops ----

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
    PolicyLedger ledger = registry.ledger(r.ref());
    long times = ledger.recordDrops(drops, identity);
    for (DropRecord d : drops) {
      registry.metrics().drops(d.getProtocol(), "success", 1);
      registry.metrics().deniedSessionConnected(Duration.between(awaySince, landed));
    }
    for (Connection c : call.closes()) {
      closed.put(c.userid() + "\n" + c.sid(), landed);
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
    Optional<ConnectionPolicy> live = registry.directory().current(r.ref(), r.generation());
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
    registry.events().warning(live.get(), "Reconnecting", message);
  }

  /** Sessions the watch closed since {@code since}: a pass listed before must not count them. */
  Set<String> closedSince(Instant since) {
    Instant horizon = registry.clock().instant().minus(Duration.ofMinutes(1));
    closed.values().removeIf(at -> at.isBefore(horizon));
    Set<String> out = new HashSet<>();
    closed.forEach(
        (session, at) -> {
          if (!at.isBefore(since)) {
            out.add(session);
          }
        });
    return out;
  }

  /** Ends the watch of a policy's identities (deleted, suspended, DryRun or changed). */
  synchronized void forgetPolicy(String policyUid) {
    watch.forgetPolicy(policyUid);
  }

  synchronized void close() {
    stopped = true;
    if (timer != null) {
      timer.cancel(false);
    }
  }

  // ---- Checking ----

  private void reschedule() {
    synchronized (this) {
      if (stopped) {
        return;
      }
      Instant next = watch.nextWakeup(registry.clock().instant());
      if (next == null || (timer != null && timerAt != null && !timerAt.isAfter(next))) {
        return;
      }
      if (timer != null) {
        timer.cancel(false);
      }
      timerAt = next;
      timer = registry.schedule(this::tick, next);
    }
  }

  private void tick() {
    List<Key> due;
    synchronized (this) {
      timer = null;
      timerAt = null;
      if (stopped) {
        return;
      }
      due = watch.due(registry.clock().instant());
    }
    for (Key key : due) {
      registry.runCall(() -> check(key));
    }
    reschedule();
  }

  private void check(Key key) {
    try {
      checkOnce(key);
    } catch (RuntimeException e) {
      log.error("reconnect watch of {} failed unexpectedly", key.userid(), e);
      synchronized (this) {
        watch.postpone(key, registry.clock().instant().plus(Duration.ofSeconds(5)));
      }
    } finally {
      reschedule();
    }
  }

  private void checkOnce(Key key) {
    PolicyRegistration r = engine.registration(key.policyUid());
    if (r == null
        || r.dryRun()
        || registry.directory().current(r.ref(), r.generation()).isEmpty()) {
      forgetPolicy(key.policyUid());
      return;
    }
    Instant now = registry.clock().instant();
    if (engine.busy(now)) {
      synchronized (this) {
        watch.postpone(key, now.plus(BUSY_RETRY));
      }
      return;
    }
    BeebotteClient client = engine.lane(r.lane()).watcher();
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
      failed(key, e);
      return;
    }
    Instant seen = registry.clock().instant();
    AccountEvaluation evaluation = new AccountPolicies(List.of(r.rules())).evaluate(there, seen);
    boolean present = evaluation.deniedCount(0) > 0;
    synchronized (this) {
      watch.checked(key, seen, present);
    }
    if (!present) {
      return;
    }
    DropPlan plan =
        DropPlanner.plan(
            evaluation, List.of(new DropPlanner.Participant(0, r.rules().maxDropsPerSync())), seen);
    for (PlannedDrop call : plan.calls()) {
      if (registry.directory().current(r.ref(), r.generation()).isEmpty()) {
        return;
      }
      synchronized (this) {
        watch.charge(key, registry.clock().instant());
      }
      try {
        // The listing just made is the re-listing a verify-first call asks for.
        client.drop(call.target());
      } catch (BeebotteException e) {
        failed(key, e);
        registry
            .metrics()
            .drops(
                String.valueOf(call.closes().get(0).protocol()),
                e.kind() == BeebotteException.Kind.TRANSIENT ? "unknown" : "failure",
                call.closes().size());
        return;
      }
      Instant landed = registry.clock().instant();
      List<DropRecord> drops =
          PassOutcomes.dropRecords(call, new CallResult(CallStatus.DROPPED, null, null), landed);
      log.info(
          "policy {}: dropped {} again ({} sessions), {} ms after it was seen back",
          r.ref(),
          key.userid(),
          drops.size(),
          Duration.between(seen, landed).toMillis());
      counted(r, call, drops, landed, awaySince);
    }
    registry.progress(r.ref());
  }

  /** A watch call failed: a 429 or 5xx slows the watch (before any regular pass). */
  private void failed(Key key, BeebotteException e) {
    Instant now = registry.clock().instant();
    synchronized (this) {
      if (AccountThrottle.slowsDown(e)) {
        watch.slowDown(now, e.retryAfter() != null ? e.retryAfter() : Duration.ofSeconds(1));
      }
      watch.postpone(key, now.plus(Duration.ofSeconds(1)));
    }
    log.debug("reconnect watch of {}: {}", key.userid(), e.getMessage());
  }
}
