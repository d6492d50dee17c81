package io.cpol.reconciler;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Credentials;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How policies are grouped into Beebotte accounts, for the operator's engines and the kubectl
 * plugin alike: one credential lane per endpoint + credentials; lanes on one endpoint whose
 * listings show the same owner are one account, listed with the credentials of its first lane.
 */
public final class AccountLanes {
  private AccountLanes() {}

  /** The lane of a policy: its endpoint (without a trailing slash) and its credentials. */
  public static AccountKey lane(String endpoint, Credentials credentials) {
    return AccountKey.of(endpoint, credentials);
  }

  /** The account name a listing shows, or null when it shows none (an empty account). */
  public static String ownerOf(List<Connection> connections) {
    for (Connection c : connections) {
      if (c.owner() != null && !c.owner().isEmpty()) {
        return c.owner();
      }
    }
    return null;
  }

  /**
   * The account a lane belongs to once its listing showed {@code owner}; null when it showed none
   * (the lane is an account of its own).
   */
  static String account(String endpoint, String owner) {
    return owner == null ? null : endpoint + "\n" + owner;
  }

  /**
   * Groups listed lanes into accounts, in order: a lane joins the first account on its endpoint
   * whose first lane showed the same owner; the first lane of each account lists for all.
   */
  public static <L> List<List<L>> accounts(
      List<L> lanes, Function<L, AccountKey> key, Function<L, String> owner) {
    List<List<L>> accounts = new ArrayList<>();
    for (L lane : lanes) {
      String account = account(key.apply(lane).endpoint(), owner.apply(lane));
      List<L> same = null;
      for (List<L> a : accounts) {
        L first = a.get(0);
        if (account != null
            && Objects.equals(account, account(key.apply(first).endpoint(), owner.apply(first)))) {
          same = a;
          break;
        }
      }
      if (same == null) {
        accounts.add(new ArrayList<>(List.of(lane)));
      } else {
        same.add(lane);
      }
    }
    return accounts;
  }
}
