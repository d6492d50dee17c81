package io.cpol.live;

import java.util.List;
import java.util.Optional;

/**
 * No sessions: what the operator serves until the store of the engine's listings (issue 21's
 * SessionStore) is wired in its place. Lists are empty, watches quiet.
 */
public final class EmptySessionSource implements SessionSource {
  @Override
  public SessionPage list(SessionQuery query, int limit, String continueToken) {
    if (continueToken != null) {
      throw new IllegalArgumentException("continue: not a token of this server");
    }
    return new SessionPage(List.of(), "1", null, 0);
  }

  @Override
  public Optional<Session> get(String namespace, String name) {
    return Optional.empty();
  }

  @Override
  public AutoCloseable watch(SessionQuery query, String resourceVersion, Watcher watcher) {
    return () -> {};
  }
}
