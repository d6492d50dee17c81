package io.cpol.live;

import java.util.Optional;

/**
 * The live sessions the operator serves, from the listings its engine already holds: no Beebotte
 * call and no Kubernetes write per request. Thread-safe.
 */
public interface SessionSource {

  /**
   * One page of the sessions {@code query} selects, ordered by namespace then name.
   *
   * @param limit at most this many items; 0 for all
   * @param continueToken from the previous page, or null for the first
   * @throws ExpiredException when the token refers to a version the store no longer holds
   * @throws IllegalArgumentException when the token is not one this store made
   */
  SessionPage list(SessionQuery query, int limit, String continueToken);

  Optional<Session> get(String namespace, String name);

  /**
   * Streams the changes after {@code resourceVersion} (null or "0": from now, after an ADDED for
   * every session that matches) to {@code watcher}, on the store's thread: the watcher must not
   * block. Closing the result ends the watch.
   *
   * @throws ExpiredException when {@code resourceVersion} is older than the changes still held
   */
  AutoCloseable watch(SessionQuery query, String resourceVersion, Watcher watcher);

  /** Receives a watch's events. */
  interface Watcher {
    void event(SessionEvent event);
  }
}
