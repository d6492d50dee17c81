package io.cpol.cli;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.DropTarget;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.AccountPass;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.PlannedDrop;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kubectl beebotte preview -f POLICY.yaml}: what a new or changed policy would do at its
 * first sync after {@code kubectl apply}, without applying it.
 */
@Command(
    name = "preview",
    sortOptions = false,
    description = {
      "What a ConnectionPolicy (new, or a change of one that exists) would do right now, without"
          + " applying it: the sessions it denies, the drop calls of its first sync and what"
          + " maxDropsPerSync leaves for later syncs.",
      "It is evaluated with the operator's own code against the live listing of its account,"
          + " with the account's other policies of the namespace. A policy is synced as soon as it"
          + " is applied, on its own: these are the calls that sync makes."
    })
final class PreviewCommand implements Callable<Integer> {
  @Mixin ClusterOptions cluster;

  @Option(
      names = {"-f", "--filename"},
      required = true,
      paramLabel = "FILE",
      description = "The policy's manifest (- for standard input).")
  String file;

  @Option(
      names = "--fail-over",
      paramLabel = "N",
      description =
          "Exit with status 3 when the policy would drop more than N sessions (at its first sync"
              + " and the ones maxDropsPerSync defers): a check for a pull request.")
  Integer failOver;

  @Mixin DocumentOutput output;

  @Override
  public Integer call() throws Exception {
    ConnectionPolicy proposed = read();
    try (Cluster k8s = Cluster.connect(cluster)) {
      String namespace = proposed.getMetadata().getNamespace();
      if (namespace == null) {
        namespace = k8s.namespace();
      } else if (cluster.namespace != null && !cluster.namespace.equals(namespace)) {
        throw new CliException(
            "the namespace from the file (\""
                + namespace
                + "\") does not match the namespace \""
                + cluster.namespace
                + "\" (-n)",
            CliException.USAGE);
      }
      proposed.getMetadata().setNamespace(namespace);
      List<PolicyEntry> entries = new ArrayList<>();
      ConnectionPolicy existing = null;
      for (ConnectionPolicy p : k8s.policies(namespace)) {
        if (p.getMetadata().getName().equals(proposed.getMetadata().getName())) {
          existing = p;
          proposed.getMetadata().setUid(p.getMetadata().getUid());
        } else {
          entries.add(PolicyEntry.of(p));
        }
      }
      PolicyEntry target = PolicyEntry.of(proposed);
      entries.add(target);
      if (!target.valid()) {
        throw invalid(target);
      }
      Preview preview;
      if (!target.enforcedByOperator()) {
        preview = new Preview(target, existing, null, null);
      } else {
        Accounts.Loaded loaded =
            new Accounts(k8s, cluster, Main.stderr()).load(entries, ConnectionFilter.all(), target);
        String why = loaded.notEnforced().get(target);
        if (why != null) {
          throw new CliException(
              "policy " + target.qualifiedName() + " would not be enforced: " + why);
        }
        AccountView account = loaded.accountOf(target);
        int p = account.indexOf(target);
        DropPlan plan =
            AccountPass.plan(
                account.evaluation(),
                q -> q == p,
                AccountPass.ownBudget(account.evaluation().policies()),
                account.now());
        preview = new Preview(target, existing, account, plan);
      }
      try {
        preview.print(output.format, Main.stdout());
      } catch (IOException e) {
        Main.outputClosed(e);
      }
      if (failOver != null && preview.wouldDrop() > failOver) {
        Main.stderr()
            .println(
                "preview: "
                    + target.qualifiedName()
                    + " would drop "
                    + preview.wouldDrop()
                    + " sessions, more than --fail-over "
                    + failOver);
        return CliException.OVER_LIMIT;
      }
      return 0;
    }
  }

  static CliException invalid(PolicyEntry entry) {
    return new CliException(
        "policy "
            + entry.qualifiedName()
            + " is invalid; the operator would refuse it (Ready=False InvalidSpec):\n  "
            + String.join("\n  ", entry.problems()));
  }

  private ConnectionPolicy read() throws CliException {
    String text;
    try {
      if (file.equals("-")) {
        InputStream in = System.in;
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } else {
        text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new CliException("cannot read " + file + ": " + e.getMessage());
    }
    List<ConnectionPolicy> policies = new ArrayList<>();
    for (String doc : text.split("(?m)^---.*$")) {
      if (doc.isBlank() || doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
        continue;
      }
      Map<?, ?> header;
      try {
        header = Serialization.unmarshal(doc, Map.class);
      } catch (RuntimeException e) {
        throw new CliException(file + " is not YAML: " + oneLine(e.getMessage()));
      }
      if (header == null
          || !"ConnectionPolicy".equals(header.get("kind"))
          || !String.valueOf(header.get("apiVersion")).startsWith("beebotte.io/")) {
        continue;
      }
      try {
        policies.add(Serialization.unmarshal(doc, ConnectionPolicy.class));
      } catch (RuntimeException e) {
        throw new CliException(file + ": not a ConnectionPolicy: " + oneLine(e.getMessage()));
      }
    }
    if (policies.size() != 1) {
      throw new CliException(
          file
              + " has "
              + policies.size()
              + " ConnectionPolicy documents; preview takes exactly one",
          CliException.USAGE);
    }
    ConnectionPolicy p = policies.get(0);
    if (p.getMetadata() == null || p.getMetadata().getName() == null) {
      throw new CliException(file + ": the policy has no metadata.name", CliException.USAGE);
    }
    p.setStatus(null);
    return p;
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  /** What the preview found, and its three renderings. */
  private static final class Preview {
    final PolicyEntry target;
    final ConnectionPolicy existing;
    final AccountView account;
    final DropPlan plan;
    final int p;

    Preview(PolicyEntry target, ConnectionPolicy existing, AccountView account, DropPlan plan) {
      this.target = target;
      this.existing = existing;
      this.account = account;
      this.plan = plan;
      this.p = account == null ? -1 : account.indexOf(target);
    }

    int denied() {
      return account == null ? 0 : account.evaluation().deniedCount(p);
    }

    int planned() {
      return plan == null || target.dryRun() ? 0 : plan.planned()[p];
    }

    int deferred() {
      return plan == null || target.dryRun() ? 0 : plan.deferred()[p];
    }

    int undroppable() {
      return plan == null || target.dryRun() ? 0 : plan.undroppable()[p];
    }

    /** Sessions it would drop: at its first sync and at the later ones the budget defers to. */
    int wouldDrop() {
      return planned() + deferred();
    }

    List<PlannedDrop> calls() {
      return plan == null ? List.of() : plan.calls().stream().filter(c -> c.policy() == p).toList();
    }

    /** Denied sessions another enforcing policy of the account denies too. */
    Map<String, Integer> alsoDeniedBy() {
      Map<String, Integer> also = new LinkedHashMap<>();
      if (account == null) {
        return also;
      }
      AccountEvaluation e = account.evaluation();
      for (int i : e.denied(p)) {
        for (int q = 0; q < account.policies().size(); q++) {
          if (q != p && !account.policies().get(q).dryRun() && e.denies(q, i)) {
            also.merge(account.policies().get(q).name(), 1, Integer::sum);
          }
        }
      }
      return also;
    }

    String mode() {
      if (!target.enforcedByOperator()) {
        return "Suspended";
      }
      return target.dryRun() ? "DryRun" : "Enforce";
    }

    /** Each denied session with what the first sync does about it. */
    List<Map<String, Object>> sessions() {
      List<Map<String, Object>> out = new ArrayList<>();
      if (account == null) {
        return out;
      }
      Map<Connection, String> closedBy = new java.util.IdentityHashMap<>();
      for (PlannedDrop call : calls()) {
        call.closes().forEach(c -> closedBy.put(c, describe(call.target())));
      }
      AccountEvaluation e = account.evaluation();
      int[] denied = e.denied(p);
      List<Connection> listing = account.listing();
      int[] order = SessionsCommand.sortedByUserid(listing);
      java.util.Set<Integer> deniedSet = new java.util.HashSet<>();
      for (int i : denied) {
        deniedSet.add(i);
      }
      for (int i : order) {
        if (!deniedSet.contains(i)) {
          continue;
        }
        Connection c = listing.get(i);
        Map<String, Object> s = new LinkedHashMap<>();
        SessionOutput.putIfSet(s, "userid", c.userid());
        SessionOutput.putIfSet(s, "protocol", c.protocol());
        SessionOutput.putIfSet(s, "sid", c.sid());
        SessionOutput.putIfSet(s, "clientip", c.clientip());
        SessionOutput.putIfSet(s, "username", c.username());
        s.put("rule", e.verdict(p, i).rule());
        String call = closedBy.get(c);
        s.put(
            "firstSync",
            target.dryRun() ? "reported (DryRun)" : call != null ? "dropped" : "waits");
        SessionOutput.putIfSet(s, "call", call);
        List<String> others = new ArrayList<>();
        for (int q = 0; q < account.policies().size(); q++) {
          if (q != p && e.denies(q, i)) {
            others.add(account.policies().get(q).name());
          }
        }
        if (!others.isEmpty()) {
          s.put("alsoDeniedBy", others);
        }
        out.add(s);
      }
      return out;
    }

    Map<String, Object> document() {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("policy", target.name());
      d.put("namespace", target.namespace());
      d.put("change", existing == null ? "new" : "changed");
      d.put("mode", mode());
      if (account != null) {
        d.put("account", account.describe());
        d.put("connected", account.listing().size());
      }
      d.put("denied", denied());
      d.put("allowedByException", account == null ? 0 : account.evaluation().allowedByException(p));
      d.put("maxDropsPerSync", target.compiled().maxDropsPerSync());
      d.put("droppedAtFirstSync", planned());
      d.put("deferred", deferred());
      d.put("undroppable", undroppable());
      d.put("wouldDrop", wouldDrop());
      Map<String, Integer> also = alsoDeniedBy();
      if (!also.isEmpty()) {
        d.put("alsoDeniedBy", also);
      }
      List<Object> calls = new ArrayList<>();
      for (PlannedDrop call : calls()) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("userid", call.target().userid());
        SessionOutput.putIfSet(
            c,
            "protocol",
            call.target().protocol() == null ? null : call.target().protocol().wireName());
        SessionOutput.putIfSet(c, "sid", call.target().sid());
        c.put("closes", call.closes().size());
        c.put("rules", call.rules().stream().distinct().toList());
        c.put("verifyFirst", call.verifyFirst());
        calls.add(c);
      }
      d.put("calls", calls);
      d.put("sessions", sessions());
      return d;
    }

    void print(SessionOutput.Format format, PrintStream out) throws IOException {
      switch (format) {
        case json, yaml -> SessionOutput.printDocument(format, document(), out);
        default -> table(out);
      }
    }

    private void table(PrintStream out) throws IOException {
      Writer w = Output.writer(out);
      w.write(
          "Policy "
              + target.qualifiedName()
              + " ("
              + (existing == null ? "new" : "changed")
              + ", "
              + mode()
              + ")"
              + (account == null
                  ? ""
                  : " on account "
                      + account.describe()
                      + ": "
                      + account.listing().size()
                      + " live sessions")
              + "\n");
      if (existing != null && existing.getStatus() != null) {
        ConnectionPolicyStatus s = existing.getStatus();
        w.write(
            "  now (status):        mode "
                + s.getMode()
                + ", denied "
                + Objects.requireNonNullElse(s.getDenied(), 0)
                + ", dropped "
                + Objects.requireNonNullElse(s.getDropped(), 0)
                + " since created\n");
      }
      if (account == null) {
        w.write("  suspended: the operator would list and drop nothing\n");
        w.flush();
        return;
      }
      AccountEvaluation e = account.evaluation();
      w.write("  denied:              " + denied() + rulesOf(e) + "\n");
      w.write("  kept by allow:       " + e.allowedByException(p) + "\n");
      if (target.dryRun()) {
        w.write(
            "  would drop:          0 (DryRun: the "
                + denied()
                + " denied sessions are reported as WouldDrop)\n");
      } else {
        w.write(
            "  first sync drops:    "
                + planned()
                + " in "
                + calls().size()
                + " drop calls (maxDropsPerSync "
                + target.compiled().maxDropsPerSync()
                + ")\n");
        w.write(
            "  deferred:            "
                + deferred()
                + (deferred() > 0 ? " (maxDropsPerSync: dropped at the next syncs)" : "")
                + "\n");
        if (undroppable() > 0) {
          w.write(
              "  cannot drop:         "
                  + undroppable()
                  + " (a call would also close sessions no policy denies)\n");
        }
        w.write("  would drop in all:   " + wouldDrop() + "\n");
      }
      Map<String, Integer> also = alsoDeniedBy();
      if (!also.isEmpty()) {
        w.write(
            "  also denied by:      "
                + also.toString().replaceAll("[{}]", "").replace("=", ": ")
                + " (they may drop those first at their own syncs)\n");
      }
      List<Map<String, Object>> sessions = sessions();
      if (!sessions.isEmpty()) {
        w.write("\nSessions it denies:\n");
        String[] headers = {
          "USERID",
          "PROTOCOL",
          "SID",
          "CLIENT IP",
          "USERNAME",
          "RULE",
          "FIRST SYNC",
          "ALSO DENIED BY"
        };
        List<String[]> rows = new ArrayList<>();
        for (Map<String, Object> s : sessions) {
          rows.add(
              new String[] {
                cell(s.get("userid")),
                cell(s.get("protocol")),
                cell(s.get("sid")),
                cell(s.get("clientip")),
                cell(s.get("username")),
                cell(s.get("rule")),
                cell(s.get("firstSync")),
                s.get("alsoDeniedBy") == null
                    ? "<none>"
                    : ((List<?>) s.get("alsoDeniedBy"))
                        .stream()
                            .map(String::valueOf)
                            .collect(java.util.stream.Collectors.joining(","))
              });
        }
        SessionOutput.printTable(w, "  ", headers, rows);
      }
      List<PlannedDrop> calls = calls();
      if (!calls.isEmpty()) {
        w.write("\nDrop calls of the first sync:\n");
        String[] headers = {"CALL", "CLOSES", "RULE", "NOTE"};
        List<String[]> rows = new ArrayList<>();
        for (PlannedDrop call : calls) {
          rows.add(
              new String[] {
                describe(call.target()),
                Integer.toString(call.closes().size()),
                String.join(",", call.rules().stream().distinct().toList()),
                call.verifyFirst()
                    ? "re-lists the session first"
                    : call.wide() ? "every session the userid could open is denied" : "<none>"
              });
        }
        SessionOutput.printTable(w, "  ", headers, rows);
      }
      w.flush();
    }

    private String rulesOf(AccountEvaluation e) {
      Map<String, Integer> byRule = new java.util.TreeMap<>();
      for (int i : e.denied(p)) {
        byRule.merge(e.verdict(p, i).rule(), 1, Integer::sum);
      }
      return byRule.isEmpty()
          ? ""
          : " (" + byRule.toString().replaceAll("[{}]", "").replace("=", ": ") + ")";
    }
  }

  private static String cell(Object o) {
    return o == null || o.toString().isEmpty() ? "<none>" : o.toString();
  }

  /** A drop call as a user reads it: {@code userid U}, with its protocol or sid. */
  static String describe(DropTarget t) {
    StringBuilder sb = new StringBuilder("userid ").append(t.userid());
    if (t.protocol() != null) {
      sb.append(" protocol ").append(t.protocol().wireName());
    }
    if (t.sid() != null) {
      sb.append(" sid ").append(t.sid());
    }
    return sb.toString();
  }
}
