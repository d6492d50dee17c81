package io.cpol.live;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.DecidingPolicy;
import io.cpol.enforce.Verdict;
import io.cpol.policy.Enforcement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The sessions of one account as one namespace sees them, sorted by name: immutable, and compact —
 * per session a name, an index into the account's listing, the index of its verdicts (sessions
 * share a few distinct verdict lists), its resourceVersion and when it was first seen. Session
 * objects are made only when a request or a watch needs them.
 */
final class NamespaceSessions {
  /** A session that came, left or changed verdicts between two listings. */
  record Change(SessionEvent.Type type, Session before, Session after, long resourceVersion) {}

  final String namespace;
  private final AccountListing listing;
  private final String[] names;
  private final int[] connection;
  private final int[] verdicts;
  private final List<List<PolicyVerdict>> distinct;
  private final PolicyVerdict[] decision;
  private final long[] resourceVersion;
  private final long[] firstSeen;

  private NamespaceSessions(
      String namespace,
      AccountListing listing,
      String[] names,
      int[] connection,
      int[] verdicts,
      List<List<PolicyVerdict>> distinct,
      long[] resourceVersion,
      long[] firstSeen) {
    this.namespace = namespace;
    this.listing = listing;
    this.names = names;
    this.connection = connection;
    this.verdicts = verdicts;
    this.distinct = distinct;
    this.resourceVersion = resourceVersion;
    this.firstSeen = firstSeen;
    this.decision = new PolicyVerdict[distinct.size()];
    for (int d = 0; d < distinct.size(); d++) {
      decision[d] = decide(distinct.get(d));
    }
  }

  /**
   * The namespace's view of {@code listing}, and the changes since {@code previous} (its view of
   * the account's last listing, or null), each change numbered by {@code nextVersion}.
   *
   * @param account the store's key of the account, part of every session's name
   * @param policies the indexes (in {@code evaluation}) of the namespace's policies, account order
   */
  static NamespaceSessions of(
      String account,
      String namespace,
      AccountListing listing,
      AccountEvaluation evaluation,
      int[] policies,
      NamespaceSessions previous,
      LongSupplier nextVersion,
      List<Change> changes) {
    List<Connection> connections = listing.connections();
    int n = connections.size();
    Named[] named = new Named[n];
    for (int i = 0; i < n; i++) {
      named[i] = new Named(SessionNames.of(account, connections.get(i)), i);
    }
    Arrays.sort(named);
    Map<List<PolicyVerdict>, Integer> interned = new HashMap<>();
    List<List<PolicyVerdict>> distinct = new ArrayList<>();
    List<PolicyVerdict> unmatched = new ArrayList<>();
    for (int p : policies) {
      unmatched.add(
          new PolicyVerdict(PolicyVerdict.ALLOWED, listing.policies().get(p).name(), null));
    }
    interned.put(List.copyOf(unmatched), 0);
    distinct.add(List.copyOf(unmatched));

    int kept = 0;
    String[] names = new String[n];
    int[] connection = new int[n];
    int[] verdicts = new int[n];
    for (int k = 0; k < n; k++) {
      if (kept > 0 && names[kept - 1].equals(named[k].name)) {
        continue; // the same session twice in one listing: shown once
      }
      names[kept] = named[k].name;
      connection[kept] = named[k].index;
      verdicts[kept] = intern(evaluation, policies, listing, named[k].index, interned, distinct);
      kept++;
    }
    names = Arrays.copyOf(names, kept);
    connection = Arrays.copyOf(connection, kept);
    verdicts = Arrays.copyOf(verdicts, kept);
    long[] versions = new long[kept];
    long[] seen = new long[kept];
    NamespaceSessions next =
        new NamespaceSessions(
            namespace, listing, names, connection, verdicts, List.copyOf(distinct), versions, seen);
    next.numberAgainst(previous, nextVersion, changes);
    return next;
  }

  /** Every session of {@code previous} gone, as changes. */
  static void allGone(NamespaceSessions previous, LongSupplier nextVersion, List<Change> changes) {
    for (int j = 0; j < previous.size(); j++) {
      long v = nextVersion.getAsLong();
      changes.add(new Change(SessionEvent.Type.DELETED, previous.session(j), null, v));
    }
  }

  /** Gives each session its version and first-seen time: kept when unchanged, else new. */
  private void numberAgainst(
      NamespaceSessions previous, LongSupplier nextVersion, List<Change> changes) {
    long listedAt = listing.listedAt().toEpochMilli();
    int j = 0;
    int oldSize = previous == null ? 0 : previous.size();
    for (int k = 0; k < names.length; k++) {
      while (j < oldSize && previous.names[j].compareTo(names[k]) < 0) {
        changes.add(
            new Change(
                SessionEvent.Type.DELETED, previous.session(j), null, nextVersion.getAsLong()));
        j++;
      }
      if (j < oldSize && previous.names[j].equals(names[k])) {
        firstSeen[k] = previous.firstSeen[j];
        if (previous.distinct.get(previous.verdicts[j]).equals(distinct.get(verdicts[k]))
            && previous.connectionAt(j).equals(connectionAt(k))) {
          resourceVersion[k] = previous.resourceVersion[j];
        } else {
          resourceVersion[k] = nextVersion.getAsLong();
          changes.add(
              new Change(
                  SessionEvent.Type.MODIFIED, previous.session(j), session(k), resourceVersion[k]));
        }
        j++;
      } else {
        firstSeen[k] = listedAt;
        resourceVersion[k] = nextVersion.getAsLong();
        changes.add(new Change(SessionEvent.Type.ADDED, null, session(k), resourceVersion[k]));
      }
    }
    for (; j < oldSize; j++) {
      changes.add(
          new Change(
              SessionEvent.Type.DELETED, previous.session(j), null, nextVersion.getAsLong()));
    }
  }

  private Connection connectionAt(int k) {
    return listing.connections().get(connection[k]);
  }

  int size() {
    return names.length;
  }

  String name(int k) {
    return names[k];
  }

  /** The position of the first session named after {@code name} (all of them when null). */
  int after(String name) {
    if (name == null) {
      return 0;
    }
    int at = Arrays.binarySearch(names, name);
    return at >= 0 ? at + 1 : -at - 1;
  }

  /** The position of {@code name}, or -1. */
  int indexOf(String name) {
    int at = Arrays.binarySearch(names, name);
    return at >= 0 ? at : -1;
  }

  Session session(int k) {
    int d = verdicts[k];
    return new Session(
        namespace,
        names[k],
        resourceVersion[k],
        Instant.ofEpochMilli(firstSeen[k]),
        listing.connections().get(connection[k]),
        listing.account(),
        listing.listedAt(),
        decision[d],
        distinct.get(d));
  }

  private static int intern(
      AccountEvaluation evaluation,
      int[] policies,
      AccountListing listing,
      int i,
      Map<List<PolicyVerdict>, Integer> interned,
      List<List<PolicyVerdict>> distinct) {
    boolean anyRule = false;
    for (int p : policies) {
      if (evaluation.verdict(p, i).rule() != null) {
        anyRule = true;
        break;
      }
    }
    if (!anyRule) {
      return 0;
    }
    List<PolicyVerdict> verdicts = new ArrayList<>(policies.length);
    for (int p : policies) {
      Verdict v = evaluation.verdict(p, i);
      ListedPolicy policy = listing.policies().get(p);
      String verdict =
          !v.denied()
              ? PolicyVerdict.ALLOWED
              : dryRun(policy) ? PolicyVerdict.WOULD_DROP : PolicyVerdict.DENIED;
      verdicts.add(new PolicyVerdict(verdict, policy.name(), v.rule()));
    }
    List<PolicyVerdict> key = List.copyOf(verdicts);
    Integer known = interned.get(key);
    if (known != null) {
      return known;
    }
    interned.put(key, distinct.size());
    distinct.add(key);
    return distinct.size() - 1;
  }

  /** The verdict shown ({@link DecidingPolicy}): a policy's own verdict, or none decided. */
  private static PolicyVerdict decide(List<PolicyVerdict> verdicts) {
    int k =
        DecidingPolicy.of(
            verdicts.size(),
            i ->
                new Verdict(
                    !verdicts.get(i).verdict().equals(PolicyVerdict.ALLOWED),
                    verdicts.get(i).rule()),
            i -> verdicts.get(i).verdict().equals(PolicyVerdict.WOULD_DROP));
    return k < 0 ? PolicyVerdict.NONE : verdicts.get(k);
  }

  private static boolean dryRun(ListedPolicy policy) {
    return policy.compiled().enforcement() == Enforcement.DryRun;
  }

  private record Named(String name, int index) implements Comparable<Named> {
    @Override
    public int compareTo(Named other) {
      return name.compareTo(other.name);
    }
  }
}
