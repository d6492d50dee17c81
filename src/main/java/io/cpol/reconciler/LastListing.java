package io.cpol.reconciler;

import io.cpol.beebotte.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The account's last successful listing, less what drops have closed since: policies just applied
 * or changed share it when it is at most {@link EngineSettings#freshListing()} old (so a batch
 * applied together costs one listing), and what the pass and the watch closed is taken out, so no
 * pass reusing it drops or counts a session again. Thread-safe.
 */
final class LastListing {
  /** One listing of the account. */
  record Listing(List<Connection> connections, Instant listedAt, int skipped) {
    /** The same listing without the connections {@code gone} selects. */
    Listing without(Predicate<Connection> gone) {
      return new Listing(connections.stream().filter(gone.negate()).toList(), listedAt, skipped);
    }
  }

  private final Duration fresh;
  private Listing last;

  LastListing(Duration fresh) {
    this.fresh = fresh;
  }

  /** The last listing if it is fresh enough at {@code now} to be reused, else null. */
  synchronized Listing reusable(Instant now) {
    return last != null && !now.isAfter(last.listedAt().plus(fresh)) ? last : null;
  }

  /** Connections in the last listing, less those closed since; -1 before the first. */
  synchronized int size() {
    return last == null ? -1 : last.connections().size();
  }

  /**
   * A pass lists (or reused) {@code listing}, less the sessions the watch closed since it was made
   * ("userid\nsid"); returns what the pass works on, kept as the last listing.
   */
  synchronized Listing listed(Listing listing, Set<String> closedByWatch) {
    last =
        closedByWatch.isEmpty()
            ? listing
            : listing.without(c -> closedByWatch.contains(c.userid() + "\n" + c.sid()));
    return last;
  }

  /**
   * A pass closed {@code closed} (by identity) from {@code from}: a later reuse skips them. Returns
   * what is left of {@code from}.
   */
  synchronized Listing closed(Listing from, Set<Connection> closed) {
    Listing left = closed.isEmpty() ? from : from.without(closed::contains);
    if (last == from) {
      last = left;
    }
    return left;
  }
}
