package io.cpol.live;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A SessionSource over a sorted map, for the server's tests: continue tokens carry the version and
 * the last key; versions older than {@link #forgetBefore} are expired, as a store that keeps a
 * bounded change log does. Changes reach watchers on the calling thread (the "store thread").
 */
final class InMemorySessionSource implements SessionSource {
  private static final Comparator<String> ORDER = Comparator.naturalOrder();

  private record Change(SessionEvent event) {}

  private record Registration(SessionQuery query, Watcher watcher) {}

  private final TreeMap<String, Session> sessions = new TreeMap<>(ORDER);
  private final List<Change> log = new ArrayList<>();
  private final List<Registration> watchers = new CopyOnWriteArrayList<>();
  private long version = 1;
  private long oldestHeld = 0;

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  /** Adds or replaces a session; its resourceVersion becomes the store's next version. */
  synchronized Session put(Session session) {
    long rv = ++version;
    Session stored =
        new Session(
            session.namespace(),
            session.name(),
            rv,
            session.firstSeen(),
            session.connection(),
            session.account(),
            session.listedAt(),
            session.decision(),
            session.evaluations());
    Session before = sessions.put(key(stored.namespace(), stored.name()), stored);
    publish(
        new SessionEvent(
            before == null ? SessionEvent.Type.ADDED : SessionEvent.Type.MODIFIED, stored, rv));
    return stored;
  }

  /** Puts many without telling watchers each one: for the big lists. */
  synchronized void putQuietly(List<Session> many) {
    for (Session s : many) {
      sessions.put(key(s.namespace(), s.name()), s);
    }
    version++;
    oldestHeld = version;
  }

  synchronized void remove(String namespace, String name) {
    Session before = sessions.remove(key(namespace, name));
    if (before != null) {
      long rv = ++version;
      publish(new SessionEvent(SessionEvent.Type.DELETED, before, rv));
    }
  }

  /** Forgets the changes before the current version: older tokens and versions expire. */
  synchronized void forgetBefore() {
    oldestHeld = ++version;
    log.clear();
  }

  synchronized long version() {
    return version;
  }

  private void publish(SessionEvent event) {
    log.add(new Change(event));
    for (Registration r : watchers) {
      if (r.query().matches(event.session())) {
        r.watcher().event(event);
      }
    }
  }

  @Override
  public synchronized SessionPage list(SessionQuery query, int limit, String continueToken) {
    long rv = version;
    String after = null;
    if (continueToken != null) {
      String decoded;
      try {
        decoded = new String(Base64.getUrlDecoder().decode(continueToken), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("continue: not a token of this server");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("continue: not a token of this server");
      }
      rv = Long.parseLong(decoded.substring(0, colon));
      after = decoded.substring(colon + 1);
      if (rv < oldestHeld) {
        throw new ExpiredException(
            "The provided continue parameter is too old to display a consistent list result."
                + " You can start a new list without the continue parameter.");
      }
    }
    Map<String, Session> tail = after == null ? sessions : sessions.tailMap(after, false);
    List<Session> items = new ArrayList<>();
    String last = null;
    long remaining = 0;
    for (Map.Entry<String, Session> e : tail.entrySet()) {
      if (!query.matches(e.getValue())) {
        continue;
      }
      if (limit > 0 && items.size() == limit) {
        remaining++;
        continue;
      }
      items.add(e.getValue());
      last = e.getKey();
    }
    String next =
        remaining > 0
            ? Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString((rv + ":" + last).getBytes(StandardCharsets.UTF_8))
            : null;
    return new SessionPage(items, Long.toString(rv), next, remaining);
  }

  @Override
  public synchronized Optional<Session> get(String namespace, String name) {
    return Optional.ofNullable(sessions.get(key(namespace, name)));
  }

  @Override
  public synchronized AutoCloseable watch(
      SessionQuery query, String resourceVersion, Watcher watcher) {
    if (resourceVersion == null || resourceVersion.equals("0")) {
      for (Session s : sessions.values()) {
        if (query.matches(s)) {
          watcher.event(new SessionEvent(SessionEvent.Type.ADDED, s, s.resourceVersion()));
        }
      }
    } else {
      long from = Long.parseLong(resourceVersion);
      if (from < oldestHeld) {
        throw new ExpiredException("too old resource version: " + from + " (" + oldestHeld + ")");
      }
      for (Change c : log) {
        if (c.event().resourceVersion() > from && query.matches(c.event().session())) {
          watcher.event(c.event());
        }
      }
    }
    Registration registration = new Registration(query, watcher);
    watchers.add(registration);
    return () -> watchers.remove(registration);
  }
}
