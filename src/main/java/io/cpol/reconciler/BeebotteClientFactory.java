package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.Credentials;

/** Makes a client for one Beebotte account. */
@FunctionalInterface
public interface BeebotteClientFactory {
  /**
   * Ends the User-Agent of the reconnect watch's calls, so Beebotte's logs (and the simulator's)
   * tell them from a pass's.
   */
  String WATCH_USER_AGENT_SUFFIX = " (reconnect watch)";

  /** What a client is for: how it retries and how its calls are labelled in metrics. */
  enum Purpose {
    /** Listings: retried by the client itself on transient failures. */
    LISTING,
    /** A pass's drop calls: not retried by the client (the account's back-off is shared). */
    DROPS,
    /** The reconnect watch: not retried; metrics say {@code watch_list} and {@code watch_drop}. */
    WATCH
  }

  BeebotteClient create(String endpoint, Credentials credentials, Purpose purpose);
}
