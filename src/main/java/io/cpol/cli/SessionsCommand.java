package io.cpol.cli;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.Subscription;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.ConnectionReport;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kubectl beebotte sessions}: the account's live sessions with their verdicts. */
@Command(
    name = "sessions",
    sortOptions = false,
    description = {
      "The live sessions of the policies' Beebotte accounts, each with its verdict, the policy and"
          + " the rule that decided it.",
      "Listed from Beebotte through each policy's endpoint and Secret (complete, not capped), and"
          + " evaluated by the operator's own code against every policy of the account in the"
          + " namespace. With POLICY: that policy's account and that policy's verdicts."
    })
final class SessionsCommand implements Callable<Integer> {
  @Mixin ClusterOptions cluster;

  @Parameters(arity = "0..1", paramLabel = "POLICY", description = "A ConnectionPolicy's name.")
  String policyName;

  @Option(
      names = {"-A", "--all-namespaces"},
      description = "Policies of every namespace.")
  boolean allNamespaces;

  @Option(
      names = "--from-status",
      description =
          "Only read the policies' status (no Secret, no Beebotte call): what the last sync saw,"
              + " at most report.connectionsLimit sessions per policy.")
  boolean fromStatus;

  @Option(names = "--protocol", paramLabel = "mqtt|socketio", description = "Only this protocol.")
  String protocol;

  @Option(
      names = "--userid",
      paramLabel = "GLOB",
      description = "Only userids matching this glob (* any run, ? one character).")
  String userid;

  @Option(names = "--username", paramLabel = "NAME", description = "Only this userinfo.username.")
  String username;

  @Option(
      names = "--channel",
      paramLabel = "CHANNEL",
      description = "Only sessions subscribed to this channel.")
  String channel;

  @Option(
      names = "--cidr",
      paramLabel = "CIDR",
      description = "Only client addresses in this range (IPv4-mapped IPv6 matches IPv4).")
  String cidr;

  @Option(
      names = "--verdict",
      paramLabel = "VERDICT",
      description =
          "Only allowed, denied, dropped or would-drop sessions (dropped: with --from-status;"
              + " a live session has not been dropped).")
  String verdict;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "table, wide, json or yaml (default: ${DEFAULT-VALUE}).")
  SessionOutput.Format output;

  @Override
  public Integer call() throws Exception {
    SessionFilter filter = SessionFilter.of(protocol, userid, username, channel, cidr, verdict);
    if (!fromStatus && filter.verdict() == SessionVerdict.Dropped) {
      throw new CliException(
          "live sessions are never Dropped (a dropped session is gone): use --from-status"
              + " --verdict dropped for what the last sync dropped, or --verdict denied",
          CliException.USAGE);
    }
    try (Cluster k8s = Cluster.connect(cluster)) {
      String namespace = allNamespaces ? null : k8s.namespace();
      PolicyEntry target = null;
      if (policyName != null) {
        ConnectionPolicy policy = k8s.policy(k8s.namespace(), policyName);
        target = PolicyEntry.of(policy);
        namespace = allNamespaces ? null : policy.getMetadata().getNamespace();
      }
      List<PolicyEntry> entries = new ArrayList<>();
      for (ConnectionPolicy p : k8s.policies(namespace)) {
        entries.add(
            target != null
                    && Objects.equals(
                        p.getMetadata().getUid(), target.policy().getMetadata().getUid())
                ? target
                : PolicyEntry.of(p));
      }
      if (target != null && !entries.contains(target)) {
        entries.add(target);
      }
      boolean qualified = allNamespaces;
      Iterable<SessionRow> rows =
          fromStatus ? fromStatus(entries, target, filter) : live(k8s, entries, target, filter);
      long printed = new SessionOutput(output, qualified).print(rows, Main.stdout());
      if (printed == 0
          && (output == SessionOutput.Format.table || output == SessionOutput.Format.wide)) {
        Main.stderr()
            .println(
                "No sessions found"
                    + (namespace == null ? "." : " in namespace " + namespace + "."));
      }
    } catch (IOException e) {
      Main.outputClosed(e);
    }
    return 0;
  }

  private Iterable<SessionRow> live(
      Cluster k8s, List<PolicyEntry> entries, PolicyEntry target, SessionFilter filter)
      throws CliException {
    if (target != null && !target.valid()) {
      throw PreviewCommand.invalid(target);
    }
    if (target != null && !target.enforcedByOperator()) {
      throw new CliException(
          "policy "
              + target.qualifiedName()
              + " is suspended: the operator lists nothing for it (kubectl beebotte preview -f"
              + " shows what it would do)");
    }
    Accounts accounts = new Accounts(k8s, cluster, Main.stderr());
    Accounts.Loaded loaded = accounts.load(entries, ConnectionFilter.all(), target);
    List<AccountView> shown;
    if (target != null) {
      String why = loaded.notEnforced().get(target);
      if (why != null) {
        throw new CliException("policy " + target.qualifiedName() + " is not enforced: " + why);
      }
      shown = List.of(loaded.accountOf(target));
    } else {
      accounts.noteNotEnforced(loaded.notEnforced());
      shown = loaded.accounts();
    }
    boolean wantMatched = output != SessionOutput.Format.table;
    List<int[]> orders = new ArrayList<>();
    for (AccountView a : shown) {
      orders.add(sortedByUserid(a.listing()));
    }
    return () ->
        new Iterator<>() {
          int account;
          int k;
          SessionRow next = advance();

          private SessionRow advance() {
            while (account < shown.size()) {
              AccountView a = shown.get(account);
              int[] order = orders.get(account);
              while (k < order.length) {
                int i = order[k++];
                Connection c = a.listing().get(i);
                if (!filter.matchesSession(c, a.now())) {
                  continue;
                }
                AccountView.Decision d =
                    target != null ? a.decisionOf(a.indexOf(target), i) : a.decide(i);
                if (!filter.matchesVerdict(d.verdict())) {
                  continue;
                }
                return new SessionRow(c, d, wantMatched ? matched(a, i) : List.of(), a.describe());
              }
              account++;
              k = 0;
            }
            return null;
          }

          @Override
          public boolean hasNext() {
            return next != null;
          }

          @Override
          public SessionRow next() {
            if (next == null) {
              throw new NoSuchElementException();
            }
            SessionRow row = next;
            next = advance();
            return row;
          }
        };
  }

  static List<AccountView.Decision> matched(AccountView a, int i) {
    List<AccountView.Decision> matched = new ArrayList<>(2);
    for (int p = 0; p < a.policies().size(); p++) {
      AccountView.Decision d = a.decisionOf(p, i);
      if (d.rule() != null) {
        matched.add(d);
      }
    }
    return matched;
  }

  /** The listing's indexes in (userid, sid, protocol) order. */
  static int[] sortedByUserid(List<Connection> listing) {
    Comparator<String> nullsLast = Comparator.nullsLast(Comparator.naturalOrder());
    Integer[] order = new Integer[listing.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(
        order,
        Comparator.<Integer, String>comparing(i -> listing.get(i).userid(), nullsLast)
            .thenComparing(i -> listing.get(i).sid(), nullsLast)
            .thenComparing(i -> listing.get(i).protocol(), nullsLast));
    int[] out = new int[order.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = order[i];
    }
    return out;
  }

  /**
   * The sessions the policies' status lists, one row per session of an account (same namespace,
   * Secret and endpoint), with the strongest verdict any policy recorded.
   */
  private Iterable<SessionRow> fromStatus(
      List<PolicyEntry> entries, PolicyEntry target, SessionFilter filter) {
    Map<String, SessionRow> rows = new LinkedHashMap<>();
    for (PolicyEntry e : entries) {
      if (target != null && e != target) {
        continue;
      }
      ConnectionPolicyStatus status = e.policy().getStatus();
      if (status == null || status.getConnections() == null) {
        Main.stderr().println("note: policy " + e.qualifiedName() + " has no status yet");
        continue;
      }
      String account = statusAccount(e);
      int listed = status.getConnections().size();
      int omitted = status.getConnectionsOmitted() == null ? 0 : status.getConnectionsOmitted();
      if (omitted > 0) {
        Main.stderr()
            .println(
                "note: policy "
                    + e.qualifiedName()
                    + ": status lists "
                    + listed
                    + " of "
                    + (listed + omitted)
                    + " sessions (report.connectionsLimit), as of "
                    + status.getLastSyncTime()
                    + "; without --from-status the list is complete and live");
      }
      for (ConnectionReport r : status.getConnections()) {
        Connection c = connection(r);
        SessionVerdict v =
            SessionVerdict.parse(Objects.requireNonNullElse(r.getVerdict(), "Allowed"));
        if (v == null) {
          v = SessionVerdict.Allowed;
        }
        AccountView.Decision d =
            new AccountView.Decision(v, r.getRule() == null ? null : e, r.getRule());
        String key =
            e.namespace()
                + "\n"
                + account
                + "\n"
                + c.userid()
                + "\n"
                + c.sid()
                + "\n"
                + c.protocol();
        SessionRow before = rows.get(key);
        List<AccountView.Decision> matched = new ArrayList<>();
        if (before != null) {
          matched.addAll(before.matched());
        }
        if (d.rule() != null) {
          matched.add(d);
        }
        AccountView.Decision shown =
            before == null || strength(d) > strength(before.decision()) ? d : before.decision();
        rows.put(key, new SessionRow(c, shown, matched, account));
      }
    }
    List<SessionRow> selected = new ArrayList<>();
    for (SessionRow row : rows.values()) {
      if (filter.matchesSession(row.connection(), java.time.Instant.now())
          && filter.matchesVerdict(row.decision().verdict())) {
        selected.add(row);
      }
    }
    Comparator<String> nullsLast = Comparator.nullsLast(Comparator.naturalOrder());
    selected.sort(
        Comparator.comparing((SessionRow r) -> r.connection().userid(), nullsLast)
            .thenComparing(r -> r.connection().sid(), nullsLast));
    return selected;
  }

  private static int strength(AccountView.Decision d) {
    return switch (d.verdict()) {
      case Dropped -> 4;
      case Denied -> 3;
      case WouldDrop -> 2;
      case Allowed -> d.rule() == null ? 0 : 1;
    };
  }

  private static String statusAccount(PolicyEntry e) {
    String endpoint = e.namesEndpoint() ? e.policy().getSpec().getEndpoint() : e.reportedEndpoint();
    String secret =
        e.policy().getSpec() == null || e.policy().getSpec().getCredentialsRef() == null
            ? "?"
            : e.policy().getSpec().getCredentialsRef().getName();
    return "Secret " + secret + (endpoint == null ? "" : " at " + endpoint);
  }

  private static Connection connection(ConnectionReport r) {
    List<Subscription> subs =
        r.getSubscriptions() == null
            ? List.of()
            : r.getSubscriptions().stream()
                .map(
                    s ->
                        new Subscription(
                            s.getChannel(),
                            s.getResource(),
                            Boolean.TRUE.equals(s.getRead()),
                            Boolean.TRUE.equals(s.getWrite())))
                .toList();
    return new Connection(
        r.getUserid(),
        r.getSid(),
        r.getProtocol(),
        r.getClientid(),
        r.getClientip(),
        null,
        r.getUsername(),
        subs);
  }
}
