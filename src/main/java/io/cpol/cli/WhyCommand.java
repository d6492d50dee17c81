package io.cpol.cli;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.enforce.AccountPass;
import io.cpol.enforce.DropPlan;
import io.cpol.enforce.PlannedDrop;
import io.cpol.policy.ConnectionPolicy;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kubectl beebotte why USERID}: each policy's verdict on each of the userid's sessions. */
@Command(
    name = "why",
    sortOptions = false,
    description = {
      "For each policy of the account, the verdict on each live session of USERID, the rule that"
          + " decided it, and the drop call the policy would make for it.",
      "Lists only that userid's sessions (GET /v1/connections/USERID)."
    })
final class WhyCommand implements Callable<Integer> {
  @Mixin ClusterOptions cluster;

  @Parameters(paramLabel = "USERID", description = "The userid to explain.")
  String userid;

  @Option(names = "--sid", paramLabel = "SID", description = "Only this session.")
  String sid;

  @Option(
      names = {"-A", "--all-namespaces"},
      description = "Policies of every namespace.")
  boolean allNamespaces;

  @Mixin DocumentOutput output;

  @Override
  public Integer call() throws Exception {
    try (Cluster k8s = Cluster.connect(cluster)) {
      String namespace = allNamespaces ? null : k8s.namespace();
      List<PolicyEntry> entries = new ArrayList<>();
      for (ConnectionPolicy p : k8s.policies(namespace)) {
        entries.add(PolicyEntry.of(p));
      }
      if (entries.isEmpty()) {
        throw new CliException(
            "no ConnectionPolicy in "
                + (namespace == null ? "any namespace" : "namespace " + namespace));
      }
      Accounts accounts = new Accounts(k8s, cluster, Main.stderr());
      Accounts.Loaded loaded = accounts.load(entries, ConnectionFilter.user(userid), null);
      List<Map<String, Object>> sessions = new ArrayList<>();
      for (AccountView a : loaded.accounts()) {
        sessions.addAll(explain(a));
      }
      List<Map<String, Object>> notEnforced = new ArrayList<>();
      loaded
          .notEnforced()
          .forEach(
              (e, why) -> {
                Map<String, Object> n = new LinkedHashMap<>();
                n.put("policy", SessionRow.policyName(e, allNamespaces));
                n.put("notEnforced", why);
                notEnforced.add(n);
              });
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("userid", userid);
      document.put("sessions", sessions);
      if (!notEnforced.isEmpty()) {
        document.put("policiesNotEnforced", notEnforced);
      }
      try {
        print(document, loaded);
      } catch (IOException e) {
        Main.outputClosed(e);
      }
    }
    return 0;
  }

  private List<Map<String, Object>> explain(AccountView a) {
    List<Map<String, Object>> out = new ArrayList<>();
    List<Connection> listing = a.listing();
    // The call each enforcing policy would make, planned on the userid's complete listing.
    List<DropPlan> plans = new ArrayList<>();
    for (int p = 0; p < a.policies().size(); p++) {
      int only = p;
      plans.add(
          a.policies().get(p).dryRun()
              ? null
              : AccountPass.plan(a.evaluation(), q -> q == only, q -> Integer.MAX_VALUE, a.now()));
    }
    for (int i : SessionsCommand.sortedByUserid(listing)) {
      Connection c = listing.get(i);
      if (sid != null && !sid.equals(c.sid())) {
        continue;
      }
      Map<String, Object> s = new LinkedHashMap<>();
      SessionOutput.putIfSet(s, "sid", c.sid());
      SessionOutput.putIfSet(s, "protocol", c.protocol());
      SessionOutput.putIfSet(s, "clientip", c.clientip());
      SessionOutput.putIfSet(s, "username", c.username());
      String subs = SessionRow.subscriptions(c.subscriptions());
      SessionOutput.putIfSet(s, "subscriptions", subs.isEmpty() ? null : subs);
      s.put("account", a.describe());
      s.put("verdict", a.decide(i).verdict().name());
      List<Object> policies = new ArrayList<>();
      for (int p = 0; p < a.policies().size(); p++) {
        AccountView.Decision d = a.decisionOf(p, i);
        PolicyEntry e = a.policies().get(p);
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("policy", SessionRow.policyName(e, allNamespaces));
        v.put("mode", e.dryRun() ? "DryRun" : "Enforce");
        v.put("verdict", d.verdict().name());
        v.put("rule", d.rule() == null ? "no rule matched" : d.rule());
        if (plans.get(p) != null) {
          for (PlannedDrop call : plans.get(p).calls()) {
            if (call.closes().stream().anyMatch(x -> x == c)) {
              v.put("dropCall", PreviewCommand.describe(call.target()));
            }
          }
        }
        policies.add(v);
      }
      s.put("policies", policies);
      out.add(s);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private void print(Map<String, Object> document, Accounts.Loaded loaded) throws IOException {
    switch (output.format) {
      case json, yaml -> SessionOutput.printDocument(output.format, document, Main.stdout());
      default -> {
        Writer w = Output.writer(Main.stdout());
        List<Map<String, Object>> sessions = (List<Map<String, Object>>) document.get("sessions");
        if (sessions.isEmpty()) {
          w.write(
              "userid "
                  + userid
                  + (sid == null ? "" : " sid " + sid)
                  + " has no live session on "
                  + (loaded.accounts().isEmpty()
                      ? "the policies' accounts"
                      : String.join(
                          ", ", loaded.accounts().stream().map(AccountView::describe).toList()))
                  + "\n");
        }
        for (Map<String, Object> s : sessions) {
          w.write(
              "Session "
                  + s.get("sid")
                  + " ("
                  + s.get("protocol")
                  + ", "
                  + s.getOrDefault("clientip", "no address")
                  + (s.containsKey("username") ? ", username " + s.get("username") : "")
                  + (s.containsKey("subscriptions") ? ", " + s.get("subscriptions") : "")
                  + ") on "
                  + s.get("account")
                  + ": "
                  + s.get("verdict")
                  + "\n");
          String[] headers = {"POLICY", "MODE", "VERDICT", "RULE", "DROP CALL"};
          List<String[]> rows = new ArrayList<>();
          for (Object o : (List<Object>) s.get("policies")) {
            Map<String, Object> v = (Map<String, Object>) o;
            rows.add(
                new String[] {
                  String.valueOf(v.get("policy")),
                  String.valueOf(v.get("mode")),
                  String.valueOf(v.get("verdict")),
                  String.valueOf(v.get("rule")),
                  String.valueOf(v.getOrDefault("dropCall", "<none>"))
                });
          }
          SessionOutput.printTable(w, "  ", headers, rows);
          w.write("\n");
        }
        List<Map<String, Object>> notEnforced =
            (List<Map<String, Object>>) document.get("policiesNotEnforced");
        if (notEnforced != null) {
          for (Map<String, Object> n : notEnforced) {
            w.write(
                "Policy " + n.get("policy") + " is not enforced: " + n.get("notEnforced") + "\n");
          }
        }
        w.flush();
      }
    }
  }
}
