package io.cpol.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.cpol.beebotte.Connection;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.InvalidSpecException;
import io.cpol.enforce.Verdict;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionReport;
import io.cpol.policy.DropRecord;
import io.cpol.sim.DropEvent;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The summary the sandbox prints once every policy has converged: the policies as {@code kubectl
 * get cpol} shows them, the live sessions, what was dropped (or would be) and why, and the commands
 * to try next.
 *
 * @param policyTable the Table the embedded API serves for {@code kubectl get cpol}
 * @param live the account's live connections now
 * @param drops the simulator's drop log
 * @param dropCalls successful drop calls the simulator answered
 */
record SandboxReport(
    SandboxEndpoints endpoints,
    List<ConnectionPolicy> policies,
    JsonNode policyTable,
    List<Connection> live,
    List<DropEvent> drops,
    long dropCalls,
    List<String> applied) {

  private static final int SAMPLE_ROWS = 10;
  private static final int NAMES_PER_ROW = 4;

  /**
   * Where everything listens, and the credentials the simulator accepts.
   *
   * @param kubernetesServer what serves the Kubernetes API when it is a real one; null for the
   *     embedded server
   */
  record SandboxEndpoints(
      String kubernetesUrl,
      String kubernetesServer,
      String kubeconfig,
      String namespace,
      String beebotteUrl,
      String account,
      String apiKey,
      String token,
      String metricsUrl,
      Integer mqttPort,
      String socketIoUrl,
      String secretKey) {}

  String render() {
    StringBuilder out = new StringBuilder();
    header(out);
    policies(out);
    sessions(out);
    outcomes(out);
    commands(out);
    return out.toString();
  }

  private void header(StringBuilder out) {
    SandboxEndpoints e = endpoints;
    out.append("Beebotte connection operator sandbox\n");
    out.append("  Kubernetes API   ")
        .append(e.kubernetesUrl())
        .append("   kubeconfig ")
        .append(e.kubeconfig())
        .append(", namespace ")
        .append(e.namespace())
        .append('\n');
    if (e.kubernetesServer() != null) {
      out.append("                   ").append(e.kubernetesServer()).append('\n');
    }
    out.append("  Beebotte API     ")
        .append(e.beebotteUrl())
        .append("   account ")
        .append(e.account())
        .append(" (apiKey ")
        .append(e.apiKey())
        .append(", token ")
        .append(e.token())
        .append(")\n");
    out.append("  Operator         ")
        .append(e.metricsUrl())
        .append("   leader election off, default endpoint = the simulator\n");
    if (e.mqttPort() != null || e.socketIoUrl() != null) {
      out.append("  Front doors     ");
      if (e.mqttPort() != null) {
        out.append(" MQTT tcp://127.0.0.1:").append(e.mqttPort());
      }
      if (e.socketIoUrl() != null) {
        out.append("   Socket.IO ").append(e.socketIoUrl());
      }
      out.append("   (real clients; their sessions are live connections)\n");
    }
    out.append("  Applied          Secret beebotte-credentials, ")
        .append(String.join(", ", applied))
        .append("\n\n");
  }

  private void policies(StringBuilder out) {
    out.append("Policies (kubectl get cpol -n ").append(endpoints.namespace()).append("):\n");
    List<String> headers = new ArrayList<>();
    List<Integer> shown = new ArrayList<>();
    JsonNode columns = policyTable.path("columnDefinitions");
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).path("priority").asInt(0) == 0) {
        headers.add(columns.get(i).path("name").asText());
        shown.add(i);
      }
    }
    TextTable table = new TextTable(headers);
    for (JsonNode row : policyTable.path("rows")) {
      Object[] cells = new Object[shown.size()];
      for (int i = 0; i < shown.size(); i++) {
        JsonNode cell = row.path("cells").path(shown.get(i));
        cells[i] = cell.isNull() || cell.isMissingNode() ? "" : cell.asText();
      }
      table.row(cells);
    }
    out.append(table.render("  "));
    int width = policies.stream().mapToInt(p -> p.getMetadata().getName().length()).max().orElse(0);
    for (ConnectionPolicy p : policies) {
      String name = p.getMetadata().getName();
      String indent = "  " + name + " ".repeat(width - name.length() + 3);
      for (Condition c : conditions(p)) {
        out.append(indent)
            .append(c.getType())
            .append('=')
            .append(c.getStatus())
            .append(' ')
            .append(c.getReason());
        if (c.getMessage() != null && !c.getMessage().isBlank()) {
          out.append(": ").append(c.getMessage());
        }
        out.append('\n');
        indent = " ".repeat(indent.length());
      }
    }
    out.append('\n');
  }

  private void sessions(StringBuilder out) {
    Map<String, Long> byProtocol =
        live.stream()
            .collect(
                Collectors.groupingBy(Connection::protocol, TreeMap::new, Collectors.counting()));
    int firstListing =
        policies.stream()
            .map(p -> p.getStatus() == null ? null : p.getStatus().getConnected())
            .filter(java.util.Objects::nonNull)
            .max(Integer::compare)
            .orElse(0);
    out.append("Live sessions on the account: ")
        .append(live.size())
        .append(" now (")
        .append(
            byProtocol.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", ")))
        .append("); the policies saw ")
        .append(firstListing)
        .append(" at their last sync\n");
    TextTable table =
        new TextTable("Userid", "Protocol", "Sid", "Client IP", "Username", "Subscriptions");
    Set<String> handPicked =
        SandboxConnections.handPicked().stream()
            .map(Connection::userid)
            .collect(Collectors.toCollection(LinkedHashSet::new));
    List<Connection> sample = new ArrayList<>();
    live.stream().filter(c -> handPicked.contains(c.userid())).forEach(sample::add);
    live.stream()
        .filter(c -> !handPicked.contains(c.userid()))
        .limit(Math.max(0, SAMPLE_ROWS - sample.size()))
        .forEach(sample::add);
    for (Connection c : sample) {
      table.row(
          c.userid(),
          c.protocol(),
          c.protocol().equals("mqtt") ? "(= userid)" : c.sid(),
          c.clientip(),
          c.username() == null ? "" : c.username(),
          c.subscriptions().stream()
              .map(s -> s.channel() + "." + s.resource() + (s.write() ? " rw" : ""))
              .collect(Collectors.joining(", ")));
    }
    out.append(table.render("  "));
    if (live.size() > sample.size()) {
      out.append("  ... and ").append(live.size() - sample.size()).append(" more\n");
    }
    out.append('\n');
  }

  private void outcomes(StringBuilder out) {
    Map<String, String[]> decidedBy = new LinkedHashMap<>();
    for (ConnectionPolicy p : policies) {
      String name = p.getMetadata().getName();
      if (p.getStatus() == null) {
        continue;
      }
      for (DropRecord d : p.getStatus().getRecentDrops()) {
        decidedBy.put(key(d.getUserid(), d.getSid()), new String[] {name, d.getRule()});
      }
      for (ConnectionReport c : p.getStatus().getConnections()) {
        if ("Dropped".equals(c.getVerdict())) {
          decidedBy.put(key(c.getUserid(), c.getSid()), new String[] {name, c.getRule()});
        }
      }
    }
    Map<List<String>, List<String>> dropped = new TreeMap<>(listOrder());
    for (DropEvent d : drops) {
      Connection c = d.connection();
      String[] by = decidedBy.getOrDefault(key(c.userid(), c.sid()), new String[] {"?", "?"});
      dropped
          .computeIfAbsent(List.of(by[0], by[1], c.protocol()), k -> new ArrayList<>())
          .add(c.userid());
    }
    out.append("Dropped: ")
        .append(drops.size())
        .append(drops.size() == 1 ? " connection" : " connections")
        .append(" in ")
        .append(dropCalls)
        .append(dropCalls == 1 ? " drop call" : " drop calls")
        .append(" (the simulator's drop log; policy and rule from their status)\n");
    TextTable table = new TextTable("Policy", "Rule", "Protocol", "Dropped", "Who");
    dropped.forEach((k, who) -> table.row(k.get(0), k.get(1), k.get(2), who.size(), names(who)));
    out.append(table.size() == 0 ? "  nothing\n" : table.render("  "));
    verdicts(out, "WouldDrop", "Would drop (DryRun: reported, not dropped):");
    verdicts(out, "Denied", "Denied but not dropped yet (drop budget or failure; next sync):");
    allowedByException(out);
    out.append('\n');
  }

  /** Sessions with the given verdict in the policies' status, grouped by policy, rule, protocol. */
  private void verdicts(StringBuilder out, String verdict, String title) {
    Map<List<String>, List<String>> groups = new TreeMap<>(listOrder());
    for (ConnectionPolicy p : policies) {
      if (p.getStatus() == null) {
        continue;
      }
      for (ConnectionReport c : p.getStatus().getConnections()) {
        if (verdict.equals(c.getVerdict())) {
          groups
              .computeIfAbsent(
                  List.of(p.getMetadata().getName(), String.valueOf(c.getRule()), c.getProtocol()),
                  k -> new ArrayList<>())
              .add(c.getUserid());
        }
      }
    }
    if (groups.isEmpty()) {
      return;
    }
    out.append(title).append('\n');
    TextTable table = new TextTable("Policy", "Rule", "Protocol", "Sessions", "Who");
    groups.forEach((k, who) -> table.row(k.get(0), k.get(1), k.get(2), who.size(), names(who)));
    out.append(table.render("  "));
  }

  /** Live sessions a deny rule matches but an allow rule keeps, by the operator's own rules. */
  private void allowedByException(StringBuilder out) {
    TextTable table = new TextTable("Policy", "Rule", "Protocol", "Userid", "Sid");
    java.time.Instant now = java.time.Instant.now();
    for (ConnectionPolicy p : policies) {
      CompiledPolicy compiled;
      try {
        compiled = CompiledPolicy.compile(p.getSpec());
      } catch (InvalidSpecException e) {
        continue;
      }
      for (Connection c : live) {
        Verdict verdict = compiled.evaluate(c, now);
        if (verdict.overriddenByAllow()) {
          table.row(p.getMetadata().getName(), verdict.rule(), c.protocol(), c.userid(), c.sid());
        }
      }
    }
    if (table.size() > 0) {
      out.append("Still connected thanks to an allow exception:\n").append(table.render("  "));
    }
  }

  private void commands(StringBuilder out) {
    String kubectl = "kubectl --kubeconfig " + endpoints.kubeconfig();
    out.append("Try it:\n");
    out.append("  ").append(kubectl).append(" get cpol -A\n");
    out.append("  ").append(kubectl).append(" describe cpol block-socketio\n");
    out.append("  ").append(kubectl).append(" get cpol dryrun-contractors -o yaml\n");
    out.append("  ").append(kubectl).append(" apply -f deploy/samples/revoke-device.yaml\n");
    out.append("  ").append(kubectl).append(" wait --for=condition=Ready cpol --all\n");
    String ns = " -n " + endpoints.namespace();
    out.append("  ")
        .append(kubectl)
        .append(" get sessions")
        .append(ns)
        .append("    # live, from the operator\n");
    out.append("  ").append(kubectl).append(" get sessions -A -l verdict=Denied\n");
    out.append("  ")
        .append(kubectl)
        .append(" get bbs")
        .append(ns)
        .append(" --field-selector userid=")
        .append(SandboxConnections.REVOKED_DEVICE)
        .append(" -o wide\n");
    out.append("  ").append(kubectl).append(" get sessions").append(ns).append(" -w\n");
    out.append("  curl -s -H 'X-Auth-Token: ")
        .append(endpoints.token())
        .append("' ")
        .append(endpoints.beebotteUrl())
        .append("/v1/connections | head -c 600; echo\n");
    out.append("  curl -s ").append(endpoints.metricsUrl()).append(" | grep '^beebotte_'\n");
    if (endpoints.mqttPort() != null) {
      String mqtt =
          "  mosquitto_sub -h 127.0.0.1 -p "
              + endpoints.mqttPort()
              + " -u "
              + endpoints.secretKey()
              + " -t 'telemetry/#' -v -i ";
      out.append(mqtt).append("my-laptop      # a new live mqtt session\n");
      out.append(mqtt)
          .append(SandboxConnections.REVOKED_DEVICE)
          .append("    # revoke-device drops it at its next sync\n");
    }
    if (endpoints.socketIoUrl() != null) {
      out.append("  Socket.IO v2 clients: ")
          .append(endpoints.socketIoUrl())
          .append("/?key=")
          .append(endpoints.apiKey())
          .append("&userid=me\n");
    }
    out.append("  (or export KUBECONFIG=")
        .append(endpoints.kubeconfig())
        .append(" and use kubectl as usual)\n");
  }

  private static List<Condition> conditions(ConnectionPolicy p) {
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return List.of();
    }
    return p.getStatus().getConditions().stream()
        .sorted(Comparator.comparing(Condition::getType, Comparator.reverseOrder()))
        .toList();
  }

  private static String names(List<String> userids) {
    List<String> distinct = userids.stream().distinct().toList();
    String shown = String.join(", ", distinct.subList(0, Math.min(NAMES_PER_ROW, distinct.size())));
    return distinct.size() > NAMES_PER_ROW
        ? shown + ", ... (" + (distinct.size() - NAMES_PER_ROW) + " more)"
        : shown;
  }

  private static String key(String userid, String sid) {
    return userid + "\u0000" + sid;
  }

  private static Comparator<List<String>> listOrder() {
    return (a, b) -> String.join("\u0000", a).compareTo(String.join("\u0000", b));
  }
}
