package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.Credentials;

/**
 * The clients of one credential lane (endpoint + credentials): listings (retried by the client),
 * drops (the account's back-off instead) and the reconnect watch (its own metric labels).
 */
record Lane(
    AccountKey key,
    Credentials credentials,
    BeebotteClient lister,
    BeebotteClient caller,
    BeebotteClient watcher) {
  void close() {
    lister.close();
    caller.close();
    watcher.close();
  }
}
