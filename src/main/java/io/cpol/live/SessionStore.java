package io.cpol.live;

import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.AccountPolicies;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live sessions the operator serves, made from what the account engines hand over ({@link
 * ListingSink}): each listing is evaluated against every policy of its account on the store's own
 * thread (never the engine's), turned into each namespace's compact view ({@link
 * NamespaceSessions}) and compared with the last one, so watches get ADDED, MODIFIED and DELETED.
 *
 * <p>Memory: the views share the engine's listing (the connections themselves) and add per session
 * a name and a few numbers (about 100 bytes per session and namespace); the last {@link
 * #CHANGES_KEPT} changes are kept for watches that resume from a resourceVersion.
 *
 * <p>Paging: a continue token holds the position (namespace and name) it stopped at; the next page
 * continues from there on the newest listings, so a list whose pages span a new listing shows no
 * session twice and every session present throughout.
 */
public final class SessionStore implements SessionSource, ListingSink, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SessionStore.class);

  /** How many changes a watch can resume across; older resourceVersions get 410 Expired. */
  static final int CHANGES_KEPT = 10_000;

  private final Clock clock;
  private final ExecutorService worker;
  private final Object lock = new Object();

  // Guarded by lock.
  private final Map<Object, Pending> pending = new LinkedHashMap<>();
  private final Map<String, Account> accounts = new HashMap<>();
  private final Map<Object, String> keyOf = new IdentityHashMap<>();
  private final ArrayDeque<NamespaceSessions.Change> recent = new ArrayDeque<>();
  private long version;
  private long forgottenUpTo;

  private final List<Watch> watches = new CopyOnWriteArrayList<>();
  private volatile View view = new View(0, new TreeMap<>());

  /** What one publisher asked last and the store has not applied yet. */
  private record Pending(AccountListing listing, List<ListedPolicy> policies, boolean gone) {}

  /** One account's last listing and each namespace's view of it. */
  private record Account(
      Object publisher, AccountListing listing, Map<String, NamespaceSessions> byNamespace) {}

  /** Every namespace's views, by namespace name; immutable. */
  private record View(long version, NavigableMap<String, List<NamespaceSessions>> byNamespace) {}

  private record Watch(SessionQuery query, Watcher watcher) {}

  public SessionStore(Clock clock) {
    this(
        clock,
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "live-sessions");
              t.setDaemon(true);
              return t;
            }));
  }

  /**
   * @param worker runs the updates, one at a time (an inline executor in tests)
   */
  SessionStore(Clock clock, ExecutorService worker) {
    this.clock = clock;
    this.worker = worker;
  }

  @Override
  public void listed(Object publisher, AccountListing listing) {
    offer(publisher, new Pending(listing, null, false));
  }

  @Override
  public void policiesChanged(Object publisher, List<ListedPolicy> policies) {
    offer(publisher, new Pending(null, List.copyOf(policies), false));
  }

  @Override
  public void gone(Object publisher) {
    offer(publisher, new Pending(null, null, true));
  }

  /** Keeps only each publisher's latest news (a new listing carries its policies). */
  private void offer(Object publisher, Pending news) {
    synchronized (lock) {
      Pending before = pending.get(publisher);
      if (news.policies() != null && before != null && before.listing() != null) {
        AccountListing l = before.listing();
        news =
            new Pending(
                new AccountListing(
                    l.endpoint(), l.owner(), l.connections(), l.listedAt(), news.policies()),
                null,
                false);
      }
      boolean idle = pending.isEmpty();
      pending.put(publisher, news);
      if (!idle) {
        return;
      }
    }
    try {
      worker.execute(this::drain);
    } catch (RejectedExecutionException closed) {
      // Closing: nothing is served any more.
    }
  }

  private void drain() {
    while (true) {
      Map.Entry<Object, Pending> next;
      synchronized (lock) {
        var it = pending.entrySet().iterator();
        if (!it.hasNext()) {
          return;
        }
        next = it.next();
        it.remove();
      }
      try {
        apply(next.getKey(), next.getValue());
      } catch (RuntimeException e) {
        // One account's view failing must not stop the others': it stays as it was.
        log.warn("live sessions: could not update the view of an account", e);
      }
    }
  }

  private void apply(Object publisher, Pending news) {
    synchronized (lock) {
      List<NamespaceSessions.Change> changes = new ArrayList<>();
      String key = keyOf.get(publisher);
      if (news.gone() || (news.policies() != null && news.policies().isEmpty())) {
        if (key != null) {
          keyOf.remove(publisher);
          remove(key, publisher, changes);
        }
      } else {
        AccountListing listing = news.listing();
        if (listing == null) {
          Account held = key == null ? null : accounts.get(key);
          if (held == null) {
            return; // no listing yet: the first pass will bring one
          }
          AccountListing l = held.listing();
          listing =
              new AccountListing(
                  l.endpoint(), l.owner(), l.connections(), l.listedAt(), news.policies());
        }
        String newKey =
            listing.endpoint()
                + "\n"
                + (listing.owner() != null
                    ? listing.owner()
                    : "#" + System.identityHashCode(publisher));
        if (key != null && !key.equals(newKey)) {
          remove(key, publisher, changes);
        }
        keyOf.put(publisher, newKey);
        accounts.put(newKey, build(newKey, publisher, listing, accounts.get(newKey), changes));
      }
      publish(changes);
    }
  }

  private void remove(String key, Object publisher, List<NamespaceSessions.Change> changes) {
    Account account = accounts.get(key);
    if (account != null && account.publisher() == publisher) {
      accounts.remove(key);
      account
          .byNamespace()
          .values()
          .forEach(s -> NamespaceSessions.allGone(s, this::next, changes));
    }
  }

  private Account build(
      String key,
      Object publisher,
      AccountListing listing,
      Account previous,
      List<NamespaceSessions.Change> changes) {
    AccountEvaluation evaluation =
        new AccountPolicies(listing.policies().stream().map(ListedPolicy::compiled).toList())
            .evaluate(listing.connections(), clock.instant());
    Map<String, List<Integer>> policiesOf = new TreeMap<>();
    for (int p = 0; p < listing.policies().size(); p++) {
      policiesOf
          .computeIfAbsent(listing.policies().get(p).namespace(), ns -> new ArrayList<>())
          .add(p);
    }
    Map<String, NamespaceSessions> byNamespace = new TreeMap<>();
    for (Map.Entry<String, List<Integer>> e : policiesOf.entrySet()) {
      NamespaceSessions before = previous == null ? null : previous.byNamespace().get(e.getKey());
      byNamespace.put(
          e.getKey(),
          NamespaceSessions.of(
              key,
              e.getKey(),
              listing,
              evaluation,
              e.getValue().stream().mapToInt(Integer::intValue).toArray(),
              before,
              this::next,
              changes));
    }
    if (previous != null) {
      previous
          .byNamespace()
          .forEach(
              (ns, before) -> {
                if (!byNamespace.containsKey(ns)) {
                  NamespaceSessions.allGone(before, this::next, changes);
                }
              });
    }
    return new Account(publisher, listing, Map.copyOf(byNamespace));
  }

  private long next() {
    return ++version;
  }

  /** Makes the new view current, keeps the changes for resuming watches and tells the watches. */
  private void publish(List<NamespaceSessions.Change> changes) {
    NavigableMap<String, List<NamespaceSessions>> byNamespace = new TreeMap<>();
    for (Account account : accounts.values()) {
      account
          .byNamespace()
          .forEach((ns, s) -> byNamespace.computeIfAbsent(ns, k -> new ArrayList<>()).add(s));
    }
    view = new View(version, byNamespace);
    for (NamespaceSessions.Change change : changes) {
      recent.addLast(change);
      if (recent.size() > CHANGES_KEPT) {
        forgottenUpTo = recent.removeFirst().resourceVersion();
      }
      for (Watch w : watches) {
        tell(w, change);
      }
    }
  }

  /**
   * What a watch with {@code w}'s query sees of a change: a session that enters its selection is
   * ADDED, one that leaves it DELETED (as Kubernetes does for label selectors).
   */
  private void tell(Watch w, NamespaceSessions.Change change) {
    boolean before = change.before() != null && w.query().matches(change.before());
    boolean after = change.after() != null && w.query().matches(change.after());
    SessionEvent event;
    if (before && after) {
      event =
          new SessionEvent(SessionEvent.Type.MODIFIED, change.after(), change.resourceVersion());
    } else if (after) {
      event = new SessionEvent(SessionEvent.Type.ADDED, change.after(), change.resourceVersion());
    } else if (before) {
      Session last = change.after() != null ? change.after() : change.before();
      event = new SessionEvent(SessionEvent.Type.DELETED, last, change.resourceVersion());
    } else {
      return;
    }
    try {
      w.watcher().event(event);
    } catch (RuntimeException e) {
      watches.remove(w);
      log.debug("live sessions: a watch failed and was ended", e);
    }
  }

  @Override
  public SessionPage list(SessionQuery query, int limit, String continueToken) {
    View v = view;
    String[] from = continueToken == null || continueToken.isEmpty() ? null : decode(continueToken);
    List<Session> items = new ArrayList<>();
    boolean everything =
        query.labels() == LabelSelector.EVERYTHING && query.fields() == FieldSelector.EVERYTHING;
    long remaining = 0;
    boolean more = false;
    NavigableMap<String, List<NamespaceSessions>> namespaces =
        query.namespace() != null
            ? v.byNamespace().subMap(query.namespace(), true, query.namespace(), true)
            : from != null ? v.byNamespace().tailMap(from[0], true) : v.byNamespace();
    for (Map.Entry<String, List<NamespaceSessions>> e : namespaces.entrySet()) {
      String after = from != null && from[0].equals(e.getKey()) ? from[1] : null;
      Merged merged = new Merged(e.getValue(), after);
      while (merged.hasNext()) {
        Session s = merged.next();
        if (!everything && !query.matches(s)) {
          continue;
        }
        if (limit <= 0 || items.size() < limit) {
          items.add(s);
        } else if (everything) {
          remaining += 1 + merged.left();
          merged.skipRest();
        } else {
          more = true;
          break;
        }
      }
      if (more) {
        break;
      }
    }
    more |= remaining > 0;
    String token = null;
    if (more) {
      Session last = items.get(items.size() - 1);
      token = encode(v.version(), last.namespace(), last.name());
    }
    return new SessionPage(
        List.copyOf(items), Long.toString(v.version()), token, everything ? remaining : -1);
  }

  @Override
  public Optional<Session> get(String namespace, String name) {
    List<NamespaceSessions> parts = view.byNamespace().get(namespace);
    if (parts != null) {
      for (NamespaceSessions part : parts) {
        int k = part.indexOf(name);
        if (k >= 0) {
          return Optional.of(part.session(k));
        }
      }
    }
    return Optional.empty();
  }

  @Override
  public AutoCloseable watch(SessionQuery query, String resourceVersion, Watcher watcher) {
    Watch w = new Watch(query, watcher);
    synchronized (lock) {
      if (resourceVersion == null || resourceVersion.isEmpty() || resourceVersion.equals("0")) {
        SessionPage all = list(query, 0, null);
        for (Session s : all.items()) {
          watcher.event(new SessionEvent(SessionEvent.Type.ADDED, s, s.resourceVersion()));
        }
      } else {
        long from;
        try {
          from = Long.parseLong(resourceVersion);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("resourceVersion is not a number: " + resourceVersion);
        }
        if (from < forgottenUpTo) {
          throw new ExpiredException(
              "too old resource version: " + from + " (" + forgottenUpTo + ")");
        }
        for (NamespaceSessions.Change change : recent) {
          if (change.resourceVersion() > from) {
            tell(w, change);
          }
        }
      }
      watches.add(w);
    }
    return () -> watches.remove(w);
  }

  /** The store's current resourceVersion. */
  public long version() {
    return view.version();
  }

  private static String encode(long version, String namespace, String name) {
    String raw = "v1\n" + version + "\n" + namespace + "\n" + name;
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** Namespace and name a token continues after. */
  private static String[] decode(String token) {
    String raw;
    try {
      raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("continue key is not valid: not base64");
    }
    String[] parts = raw.split("\n", -1);
    if (parts.length != 4 || !parts[0].equals("v1")) {
      throw new IllegalArgumentException("continue key is not valid: not one of this server's");
    }
    return new String[] {parts[2], parts[3]};
  }

  /** One namespace's sessions of several accounts, in name order. */
  private static final class Merged {
    private final List<NamespaceSessions> parts;
    private final int[] at;

    Merged(List<NamespaceSessions> parts, String after) {
      this.parts = parts;
      this.at = new int[parts.size()];
      for (int i = 0; i < at.length; i++) {
        at[i] = parts.get(i).after(after);
      }
    }

    boolean hasNext() {
      return lowest() >= 0;
    }

    Session next() {
      int p = lowest();
      Session s = parts.get(p).session(at[p]);
      String name = parts.get(p).name(at[p]);
      for (int i = 0; i < at.length; i++) {
        // The same name in two accounts' views is one object to Kubernetes: shown once.
        if (at[i] < parts.get(i).size() && parts.get(i).name(at[i]).equals(name)) {
          at[i]++;
        }
      }
      return s;
    }

    /** How many sessions are left (an upper bound when accounts share names). */
    long left() {
      long n = 0;
      for (int i = 0; i < at.length; i++) {
        n += parts.get(i).size() - at[i];
      }
      return n;
    }

    void skipRest() {
      for (int i = 0; i < at.length; i++) {
        at[i] = parts.get(i).size();
      }
    }

    private int lowest() {
      int best = -1;
      for (int i = 0; i < at.length; i++) {
        if (at[i] < parts.get(i).size()
            && (best < 0
                || parts.get(i).name(at[i]).compareTo(parts.get(best).name(at[best])) < 0)) {
          best = i;
        }
      }
      return best;
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
    watches.clear();
  }
}
