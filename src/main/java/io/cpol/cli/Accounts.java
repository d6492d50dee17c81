package io.cpol.cli;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.BeebotteClientConfig;
import io.cpol.beebotte.BeebotteException;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.Credentials;
import io.cpol.beebotte.OkHttpBeebotteClient;
import io.cpol.beebotte.RetryPolicy;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.reconciler.AccountKey;
import io.cpol.reconciler.AccountLanes;
import io.cpol.reconciler.CredentialsLoader;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Groups policies into Beebotte accounts with the operator's own grouping ({@link AccountLanes})
 * and lists each account once: one credential lane per endpoint + credentials (read from each
 * policy's Secret with the operator's {@link CredentialsLoader}), lanes whose listings show the
 * same owner merged into one account, listed with the credentials of its first policy in account
 * order.
 */
final class Accounts {
  /** A lane's policies and what its listing showed. */
  private static final class LaneListing {
    final AccountKey key;
    final String endpoint;
    final Credentials credentials;
    final List<PolicyEntry> policies = new ArrayList<>();
    List<Connection> connections;
    String owner;

    LaneListing(String endpoint, Credentials credentials) {
      this.key = AccountLanes.lane(endpoint, credentials);
      this.endpoint = key.endpoint();
      this.credentials = credentials;
    }
  }

  /**
   * What loading found.
   *
   * @param accounts in the account order of their first policies
   * @param notEnforced policies the operator does not enforce either, with the reason
   */
  record Loaded(List<AccountView> accounts, Map<PolicyEntry, String> notEnforced) {
    AccountView accountOf(PolicyEntry entry) {
      return accounts.stream().filter(a -> a.indexOf(entry) >= 0).findFirst().orElse(null);
    }
  }

  private final Cluster cluster;
  private final ClusterOptions options;
  private final PrintStream err;

  Accounts(Cluster cluster, ClusterOptions options, PrintStream err) {
    this.cluster = cluster;
    this.options = options;
    this.err = err;
  }

  /**
   * Resolves the credentials of every policy the operator would enforce, lists each account and
   * evaluates it.
   *
   * @param filter what to list: every connection, or one userid's
   * @param wanted when not null, only accounts on this policy's endpoint are listed
   */
  Loaded load(List<PolicyEntry> entries, ConnectionFilter filter, PolicyEntry wanted)
      throws CliException {
    Map<PolicyEntry, String> notEnforced = new LinkedHashMap<>();
    Map<AccountKey, LaneListing> lanes = new LinkedHashMap<>();
    List<PolicyEntry> ordered = new ArrayList<>(entries);
    ordered.sort(PolicyEntry.ACCOUNT_ORDER);
    String defaultEndpoint = defaultEndpoint(entries);
    for (PolicyEntry entry : ordered) {
      if (!entry.valid()) {
        notEnforced.put(
            entry, "its spec is invalid (Ready=False InvalidSpec): " + entry.problems().get(0));
        continue;
      }
      if (!entry.enforcedByOperator()) {
        notEnforced.put(entry, "it is suspended");
        continue;
      }
      Credentials credentials;
      try {
        credentials = credentials(entry);
      } catch (CredentialsLoader.CredentialsProblem e) {
        notEnforced.put(entry, e.getMessage() + " (Ready=False CredentialsNotFound)");
        continue;
      }
      LaneListing lane =
          new LaneListing(
              entry.compiled().endpoint(endpointDefault(entry, defaultEndpoint)), credentials);
      lanes.computeIfAbsent(lane.key, k -> lane).policies.add(entry);
    }
    String wantedEndpoint = null;
    if (wanted != null) {
      for (LaneListing l : lanes.values()) {
        if (l.policies.contains(wanted)) {
          wantedEndpoint = l.endpoint;
        }
      }
    }
    Instant now = Instant.now();
    for (LaneListing l : lanes.values()) {
      if (wantedEndpoint == null || wantedEndpoint.equals(l.endpoint)) {
        l.connections = list(l, filter);
        l.owner = AccountLanes.ownerOf(l.connections);
      }
    }
    // Lanes whose listings show the same owner are one account: the first lane lists for all.
    List<List<LaneListing>> merged =
        AccountLanes.accounts(
            lanes.values().stream().filter(l -> l.connections != null).toList(),
            l -> l.key,
            l -> l.owner);
    List<AccountView> accounts = new ArrayList<>();
    for (List<LaneListing> m : merged) {
      List<PolicyEntry> policies = new ArrayList<>();
      m.forEach(l -> policies.addAll(l.policies));
      policies.sort(PolicyEntry.ACCOUNT_ORDER);
      LaneListing first = m.get(0);
      accounts.add(new AccountView(first.endpoint, first.owner, policies, first.connections, now));
    }
    return new Loaded(accounts, notEnforced);
  }

  private Credentials credentials(PolicyEntry entry)
      throws CliException, CredentialsLoader.CredentialsProblem {
    String secret = entry.compiled().secretName();
    return CredentialsLoader.load(
        entry.namespace(),
        secret,
        cluster.secret(entry.namespace(), secret, "policy " + entry.qualifiedName()));
  }

  /**
   * The operator's default endpoint, as well as the plugin can know it: the flag, the environment,
   * or what the operator reported for a policy that names no endpoint.
   */
  private String defaultEndpoint(List<PolicyEntry> entries) {
    if (options.defaultEndpoint != null) {
      return options.defaultEndpoint;
    }
    String env = System.getenv("BEEBOTTE_DEFAULT_ENDPOINT");
    if (env != null && !env.isBlank()) {
      return env;
    }
    return entries.stream()
        .filter(e -> !e.namesEndpoint() && e.reportedEndpoint() != null)
        .map(PolicyEntry::reportedEndpoint)
        .findFirst()
        .orElse(ConnectionPolicySpec.DEFAULT_ENDPOINT);
  }

  private String endpointDefault(PolicyEntry entry, String fallback) {
    if (options.defaultEndpoint == null
        && !entry.namesEndpoint()
        && entry.reportedEndpoint() != null) {
      return entry.reportedEndpoint();
    }
    return fallback;
  }

  private List<Connection> list(LaneListing l, ConnectionFilter filter) throws CliException {
    PolicyEntry first = l.policies.get(0);
    Duration timeout = options.requestTimeout;
    BeebotteClientConfig config =
        BeebotteClientConfig.builder(l.credentials)
            .baseUrl(l.endpoint)
            .connectTimeout(
                timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10))
            .readTimeout(timeout)
            .callTimeout(timeout.multipliedBy(2))
            .userAgent("kubectl-beebotte/" + Version.get())
            .retry(
                new RetryPolicy(
                    2, Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(3)))
            .build();
    try (BeebotteClient client = new OkHttpBeebotteClient(config)) {
      return client.list(filter).connections();
    } catch (BeebotteException e) {
      String secret = first.namespace() + "/" + first.compiled().secretName();
      String what =
          "listing the connections at " + l.endpoint + " (credentials of Secret " + secret + ")";
      if (e.kind() == BeebotteException.Kind.AUTHENTICATION) {
        throw new CliException("Beebotte refused the credentials: " + what + ": " + e.getMessage());
      }
      if (e.httpStatus() == 0) {
        throw new CliException("Beebotte is unreachable: " + what + ": " + e.getMessage());
      }
      throw new CliException("Beebotte failed: " + what + ": " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new CliException(
          "policy " + first.qualifiedName() + ": endpoint " + l.endpoint + ": " + e.getMessage());
    }
  }

  /** Says on stderr which policies the operator does not enforce, and why. */
  void noteNotEnforced(Map<PolicyEntry, String> notEnforced) {
    notEnforced.forEach(
        (entry, why) ->
            err.println(
                "note: policy "
                    + entry.qualifiedName()
                    + " is not enforced by the operator: "
                    + why));
    Objects.requireNonNull(err).flush();
  }
}
