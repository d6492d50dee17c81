package io.cpol.deploy;

import io.cpol.kube.AuditLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What one identity's requests, as a real API server's audit log recorded them, used of what an
 * install grants the operator: the table (granted / used), the 403s, the calls no grant covers, and
 * the grants no call used.
 *
 * @param used every distinct (verb, group, resource, request scope) with its requests and answers
 * @param granted every grant with the distinct calls it let through, and its kept-unused reason
 * @param nonResource the requests outside resource paths (discovery, /version), by verb and path
 */
record RbacUsage(List<Used> used, List<Granted> granted, Map<String, Integer> nonResource) {
  /**
   * What Kubernetes' built-in system:basic-user ClusterRole, bound to every authenticated user,
   * grants: asking what one may do. Leader election does so before touching its Lease.
   */
  static final Set<String> GRANTED_TO_EVERY_USER =
      Set.of("selfsubjectrulesreviews", "selfsubjectaccessreviews", "selfsubjectreviews");

  /**
   * One kind of call.
   *
   * @param scope {@code cluster-wide} (a cluster-scoped or all-namespaces request) or {@code
   *     namespace <name>}
   * @param name the object named, kept only for resources some grant restricts by resourceNames
   *     (empty otherwise, so that one row stands for every object)
   * @param codes the HTTP answers, each with how often
   * @param allowedBy the grant that allows it: {@code ClusterRole}, {@code Role} (in the operator's
   *     namespace), {@code system:basic-user}, or null when nothing does
   */
  record Used(
      String verb,
      String apiGroup,
      String resource,
      String scope,
      String name,
      int requests,
      Map<Integer, Integer> codes,
      String allowedBy) {}

  /** One grant and the kinds of call it let through; {@code keptUnused} is the marker's reason. */
  record Granted(ApiPermission permission, List<Used> usedBy, String keptUnused) {}

  static RbacUsage of(
      List<AuditLog.Entry> calls,
      DeployManifests install,
      Map<RbacMarkers.Rule, String> keptUnused) {
    Set<ApiPermission> permissions = install.operatorPermissions();
    Set<List<String>> byName =
        permissions.stream()
            .filter(p -> !p.resourceNames().isEmpty())
            .map(p -> List.of(p.apiGroup(), p.resource()))
            .collect(Collectors.toSet());
    Map<List<String>, List<AuditLog.Entry>> byKind = new TreeMap<>(RbacUsage::compareLists);
    Map<String, Integer> nonResource = new TreeMap<>();
    for (AuditLog.Entry call : calls) {
      if (call.nonResource()) {
        String path = call.requestUri().replaceAll("\\?.*", "");
        nonResource.merge(call.verb() + " " + path, 1, Integer::sum);
        continue;
      }
      String scope = call.namespace().isEmpty() ? "cluster-wide" : "namespace " + call.namespace();
      byKind
          .computeIfAbsent(
              List.of(
                  call.verb(),
                  call.apiGroup(),
                  call.rbacResource(),
                  scope,
                  byName.contains(List.of(call.apiGroup(), call.rbacResource()))
                      ? call.name()
                      : ""),
              k -> new ArrayList<>())
          .add(call);
    }
    List<Used> used = new ArrayList<>();
    byKind.forEach(
        (kind, entries) -> {
          ApiRequest request = request(kind);
          String allowedBy =
              permissions.stream()
                  .filter(p -> p.allows(request))
                  .map(ApiPermission::grantedBy)
                  .sorted()
                  .findFirst()
                  .orElse(
                      "authorization.k8s.io".equals(request.apiGroup())
                              && GRANTED_TO_EVERY_USER.contains(request.resource())
                              && "create".equals(request.verb())
                          ? "system:basic-user"
                          : null);
          Map<Integer, Integer> codes = new TreeMap<>();
          entries.forEach(e -> codes.merge(e.code(), 1, Integer::sum));
          used.add(
              new Used(
                  kind.get(0),
                  kind.get(1),
                  kind.get(2),
                  kind.get(3),
                  kind.get(4),
                  entries.size(),
                  codes,
                  allowedBy));
        });
    List<Granted> granted =
        permissions.stream()
            .sorted(
                (a, b) ->
                    compareLists(
                        List.of(a.apiGroup(), a.resource(), a.verb()),
                        List.of(b.apiGroup(), b.resource(), b.verb())))
            .map(
                p ->
                    new Granted(
                        p,
                        used.stream()
                            .filter(
                                u ->
                                    p.allows(
                                        request(
                                            List.of(
                                                u.verb(),
                                                u.apiGroup(),
                                                u.resource(),
                                                u.scope(),
                                                u.name()))))
                            .toList(),
                        keptUnused.get(new RbacMarkers.Rule(p.apiGroup(), p.resource(), p.verb()))))
            .toList();
    return new RbacUsage(List.copyOf(used), granted, nonResource);
  }

  /** Kinds of call the server refused with 403 Forbidden. */
  List<Used> forbidden() {
    return used.stream().filter(u -> u.codes().containsKey(403)).toList();
  }

  /** Kinds of call that no grant of the install (nor system:basic-user) allows. */
  List<Used> notGranted() {
    return used.stream().filter(u -> u.allowedBy() == null).toList();
  }

  /** Grants the run never used and that carry no kept-unused marker. */
  List<ApiPermission> unusedWithoutReason() {
    return granted.stream()
        .filter(g -> g.usedBy().isEmpty() && g.keptUnused() == null)
        .map(Granted::permission)
        .toList();
  }

  /** Both tables in Markdown. */
  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("Granted (ClusterRole: every namespace; Role: ")
        .append(DeployManifests.OPERATOR_NAMESPACE)
        .append(" only; Role (namespace): that one; names: resourceNames):\n\n")
        .append("| verb | apiGroup | resource | granted by | used | used as |\n")
        .append("| --- | --- | --- | --- | --- | --- |\n");
    for (Granted g : granted) {
      ApiPermission p = g.permission();
      md.append(
          row(
              p.verb(),
              group(p.apiGroup()),
              p.resource() + (p.resourceNames().isEmpty() ? "" : " " + p.resourceNames()),
              p.grantedBy(),
              g.usedBy().isEmpty()
                  ? (g.keptUnused() == null ? "**never**" : "never: " + g.keptUnused())
                  : g.usedBy().stream().mapToInt(Used::requests).sum() + " requests",
              g.usedBy().stream().map(Used::scope).distinct().collect(Collectors.joining(", "))));
    }
    md.append("\nUsed (every request of the operator's identity):\n\n")
        .append("| verb | apiGroup | resource | scope | requests | answers | allowed by |\n")
        .append("| --- | --- | --- | --- | --- | --- | --- |\n");
    for (Used u : used) {
      md.append(
          row(
              u.verb(),
              group(u.apiGroup()),
              u.resource() + (u.name().isEmpty() ? "" : " " + u.name()),
              u.scope(),
              Integer.toString(u.requests()),
              u.codes().entrySet().stream()
                  .map(e -> e.getKey() + " ×" + e.getValue())
                  .collect(Collectors.joining(", ")),
              u.allowedBy() == null ? "**nothing**" : u.allowedBy()));
    }
    if (!nonResource.isEmpty()) {
      md.append("\nNon-resource requests (discovery; every authenticated user may make them):\n\n")
          .append("| request | count |\n| --- | --- |\n");
      nonResource.forEach((k, v) -> md.append(row(k, Integer.toString(v))));
    }
    return md.toString();
  }

  private static String row(String... cells) {
    return "| " + String.join(" | ", cells) + " |\n";
  }

  private static String group(String apiGroup) {
    return apiGroup.isEmpty() ? "\"\" (core)" : apiGroup;
  }

  private static ApiRequest request(List<String> kind) {
    String scope = kind.get(3);
    return new ApiRequest(
        kind.get(1),
        kind.get(2),
        kind.get(0),
        scope.startsWith("namespace ") ? scope.substring("namespace ".length()) : null,
        kind.get(4).isEmpty() ? null : kind.get(4));
  }

  private static int compareLists(List<String> a, List<String> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = a.get(i).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
