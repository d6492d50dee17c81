package io.cpol.reconciler;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.Credentials;

/** Makes a client for one Beebotte account. */
@FunctionalInterface
public interface BeebotteClientFactory {
  /**
   * @param retries whether the client retries transient failures itself (listings); calls whose
   *     back-off the account engine shares across workers (drops) are made without
   */
  BeebotteClient create(String endpoint, Credentials credentials, boolean retries);
}
