package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.Credentials;

/** Makes a client for one Beebotte account. */
@FunctionalInterface
public interface BeebotteClientFactory {
  BeebotteClient create(String endpoint, Credentials credentials);
}
