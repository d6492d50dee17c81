package io.cpol.sim;

import io.cpol.beebotte.Connection;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One account's credentials and live connections, indexed userid → sid so a filtered lookup or drop
 * costs what it matches, not the account's size. Listings copy references under a read lock and
 * serialise outside it, so a slow reader never holds up drops.
 */
final class AccountStore {
  final String owner;
  final String apiKey;
  final String secretKey;

  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  // Insertion-ordered so listings are stable from one call to the next.
  private final Map<String, Map<String, Connection>> byUser = new LinkedHashMap<>();
  private int size;

  AccountStore(String owner, String apiKey, String secretKey) {
    this.owner = owner;
    this.apiKey = apiKey;
    this.secretKey = secretKey;
  }

  /** Adds or replaces (same userid and sid) a connection already normalised for this account. */
  void put(Connection c) {
    lock.writeLock().lock();
    try {
      if (byUser.computeIfAbsent(c.userid(), u -> new LinkedHashMap<>(4)).put(c.sid(), c) == null) {
        size++;
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Connections matching every non-null argument. */
  List<Connection> select(String userid, String sid, String protocol) {
    lock.readLock().lock();
    try {
      if (userid == null) {
        List<Connection> out = new ArrayList<>(sid == null && protocol == null ? size : 16);
        for (Map<String, Connection> sessions : byUser.values()) {
          collect(sessions, sid, protocol, out);
        }
        return out;
      }
      Map<String, Connection> sessions = byUser.get(userid);
      List<Connection> out = new ArrayList<>(sessions == null ? 0 : sessions.size());
      if (sessions != null) {
        collect(sessions, sid, protocol, out);
      }
      return out;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Removes and returns the userid's connections matching sid and protocol (when non-null). */
  List<Connection> removeMatching(String userid, String sid, String protocol) {
    lock.writeLock().lock();
    try {
      Map<String, Connection> sessions = byUser.get(userid);
      if (sessions == null) {
        return List.of();
      }
      List<Connection> removed = new ArrayList<>(2);
      if (sid != null) {
        Connection c = sessions.get(sid);
        if (c != null && (protocol == null || protocol.equals(c.protocol()))) {
          sessions.remove(sid);
          removed.add(c);
        }
      } else {
        for (Iterator<Connection> it = sessions.values().iterator(); it.hasNext(); ) {
          Connection c = it.next();
          if (protocol == null || protocol.equals(c.protocol())) {
            it.remove();
            removed.add(c);
          }
        }
      }
      size -= removed.size();
      if (sessions.isEmpty()) {
        byUser.remove(userid);
      }
      return removed;
    } finally {
      lock.writeLock().unlock();
    }
  }

  int size() {
    lock.readLock().lock();
    try {
      return size;
    } finally {
      lock.readLock().unlock();
    }
  }

  int clear() {
    lock.writeLock().lock();
    try {
      int n = size;
      byUser.clear();
      size = 0;
      return n;
    } finally {
      lock.writeLock().unlock();
    }
  }

  private static void collect(
      Map<String, Connection> sessions, String sid, String protocol, List<Connection> out) {
    if (sid != null) {
      Connection c = sessions.get(sid);
      if (c != null && (protocol == null || protocol.equals(c.protocol()))) {
        out.add(c);
      }
      return;
    }
    for (Connection c : sessions.values()) {
      if (protocol == null || protocol.equals(c.protocol())) {
        out.add(c);
      }
    }
  }
}
