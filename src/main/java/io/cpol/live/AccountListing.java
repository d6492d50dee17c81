package io.cpol.live;

import io.cpol.beebotte.Connection;
import java.time.Instant;
import java.util.List;

/**
 * One account's live sessions as a pass left them, and the policies that use the account.
 *
 * @param owner the account name the listing shows; null when it showed none
 * @param connections as listed, less the sessions the pass closed
 * @param policies every policy of the account, in account order
 */
public record AccountListing(
    String endpoint,
    String owner,
    List<Connection> connections,
    Instant listedAt,
    List<ListedPolicy> policies) {
  public AccountListing {
    policies = List.copyOf(policies);
  }

  /** How the account is shown: its owner, else its endpoint. */
  public String account() {
    return owner != null ? owner : endpoint;
  }
}
