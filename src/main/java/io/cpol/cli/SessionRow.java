package io.cpol.cli;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import java.util.List;

/**
 * One session as the plugin prints it.
 *
 * @param decision the verdict shown, with the policy and rule that decided it
 * @param matched every policy whose rules matched the session (deny or allow), in account order
 * @param account the account's owner (or endpoint)
 */
record SessionRow(
    Connection connection,
    AccountView.Decision decision,
    List<AccountView.Decision> matched,
    String account) {

  /** {@code channel.resource}, with {@code (rw)}/{@code (w)}/{@code (-)} unless read-only. */
  static String subscriptions(List<Subscription> subscriptions) {
    return Subscription.columnText(subscriptions);
  }

  /** The policy's name, or {@code ns/name} when sessions of several namespaces are shown. */
  static String policyName(PolicyEntry policy, boolean qualified) {
    if (policy == null) {
      return null;
    }
    return qualified ? policy.qualifiedName() : policy.name();
  }
}
