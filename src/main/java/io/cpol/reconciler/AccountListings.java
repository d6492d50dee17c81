package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.Credentials;
import io.cpol.beebotte.DropTarget;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listing per Beebotte account per interval, shared by every policy on that account.
 *
 * <p>Policies ask for a snapshot no older than their interval; the first to ask after it expired
 * lists (holding the account's lock, so concurrent askers wait for that one call instead of making
 * their own) and the rest reuse it. A failed listing is shared the same way, so an outage does not
 * multiply calls by the number of policies. Drops remove the connections they closed from the
 * shared snapshot, so another policy reusing it does not drop or count them again.
 */
final class AccountListings implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AccountListings.class);
  private static final Duration IDLE_CLIENT_TTL = Duration.ofMinutes(15);

  private final BeebotteClientFactory clients;
  private final Clock clock;
  private final OperatorMetrics metrics;
  private final Map<AccountKey, Account> accounts = new ConcurrentHashMap<>();

  AccountListings(BeebotteClientFactory clients, Clock clock, OperatorMetrics metrics) {
    this.clients = clients;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** The account's connections, listed at most {@code maxAge} ago. */
  ConnectionSnapshot snapshot(AccountKey key, Credentials credentials, Duration maxAge) {
    Account account = account(key, credentials);
    account.lock.lock();
    try {
      Instant now = clock.instant();
      account.lastUsed = now;
      if (account.listedAt != null && now.isBefore(account.listedAt.plus(maxAge))) {
        if (account.failure != null) {
          metrics.listing("failed_shared");
          throw account.failure;
        }
        metrics.listing("shared");
        return new ConnectionSnapshot(account.connections, account.listedAt, true);
      }
      account.listedAt = now;
      try {
        List<Connection> listed = account.client.listConnections(ConnectionFilter.all());
        account.connections = List.copyOf(listed);
        account.failure = null;
        metrics.listing("fetched");
        log.debug("listed {} connections of account {}", listed.size(), key);
        return new ConnectionSnapshot(account.connections, now, false);
      } catch (BeebotteException e) {
        account.connections = List.of();
        account.failure = e;
        metrics.listing("failed");
        throw e;
      }
    } finally {
      account.lock.unlock();
      closeIdleClients();
    }
  }

  /** The client for an account; created on first use. */
  BeebotteClient client(AccountKey key, Credentials credentials) {
    return account(key, credentials).client;
  }

  /** Removes what a drop closed from the shared snapshot. */
  void dropped(AccountKey key, Collection<DropTarget> targets) {
    Account account = accounts.get(key);
    if (account == null || targets.isEmpty()) {
      return;
    }
    account.lock.lock();
    try {
      Map<String, List<DropTarget>> byUser = new HashMap<>();
      targets.forEach(t -> byUser.computeIfAbsent(t.userid(), u -> new ArrayList<>()).add(t));
      List<Connection> remaining = new ArrayList<>(account.connections.size());
      for (Connection c : account.connections) {
        List<DropTarget> candidates = byUser.get(c.userid());
        if (candidates == null || candidates.stream().noneMatch(t -> t.covers(c))) {
          remaining.add(c);
        }
      }
      // Copy-on-write: snapshots already handed out stay as they were.
      account.connections = List.copyOf(remaining);
    } finally {
      account.lock.unlock();
    }
  }

  /** Forgets any shared listing, so the next sync of every policy lists afresh. */
  void invalidate(AccountKey key) {
    Account account = accounts.get(key);
    if (account != null) {
      account.lock.lock();
      try {
        account.listedAt = null;
      } finally {
        account.lock.unlock();
      }
    }
  }

  private Account account(AccountKey key, Credentials credentials) {
    return accounts.computeIfAbsent(
        key, k -> new Account(clients.create(k.endpoint(), credentials), clock.instant()));
  }

  private void closeIdleClients() {
    Instant cutoff = clock.instant().minus(IDLE_CLIENT_TTL);
    Set<AccountKey> idle = new HashSet<>();
    accounts.forEach(
        (key, account) -> {
          if (account.lastUsed.isBefore(cutoff)) {
            idle.add(key);
          }
        });
    for (AccountKey key : idle) {
      Account account = accounts.remove(key);
      if (account != null) {
        log.debug("closing the idle client of account {}", key);
        account.client.close();
      }
    }
  }

  @Override
  public void close() {
    accounts.values().forEach(a -> a.client.close());
    accounts.clear();
  }

  private static final class Account {
    final ReentrantLock lock = new ReentrantLock();
    final BeebotteClient client;
    volatile Instant lastUsed;
    Instant listedAt;
    List<Connection> connections = List.of();
    BeebotteException failure;

    Account(BeebotteClient client, Instant created) {
      this.client = client;
      this.lastUsed = created;
    }
  }
}
