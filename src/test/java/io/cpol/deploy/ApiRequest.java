package io.cpol.deploy;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * One Kubernetes API call in RBAC terms, e.g. from a request recorded by a mock API server.
 *
 * @param apiGroup API group, {@code ""} for the core group
 * @param resource plural resource name, {@code resource/subresource} for a subresource
 * @param verb the RBAC verb the API server checks for this call
 * @param namespace the namespace in the path, null for cluster-scoped and all-namespaces calls
 * @param name the object's name: in the path, or for a list or watch from a {@code
 *     fieldSelector=metadata.name=NAME} (as the API server reads it for RBAC's resourceNames); null
 *     otherwise
 */
public record ApiRequest(
    String apiGroup, String resource, String verb, String namespace, String name) {
  private static final Set<String> NAMESPACE_SUBRESOURCES = Set.of("status", "finalize");

  /** A request naming no object. */
  public ApiRequest(String apiGroup, String resource, String verb, String namespace) {
    this(apiGroup, resource, verb, namespace, null);
  }

  /**
   * The RBAC view of an HTTP call to the API server, as the API server derives it; empty for calls
   * outside resource paths (discovery, {@code /version}, {@code /openapi}), which every
   * authenticated user may make.
   *
   * @param method HTTP method
   * @param pathAndQuery request target, e.g. {@code /apis/beebotte.io/v1alpha1/connectionpolicies
   *     ?watch=true}
   */
  public static Optional<ApiRequest> fromHttp(String method, String pathAndQuery) {
    URI uri = URI.create(pathAndQuery);
    List<String> segments =
        Arrays.stream(uri.getPath().split("/")).filter(s -> !s.isEmpty()).toList();
    String apiGroup;
    List<String> rest;
    if (segments.size() >= 2 && segments.get(0).equals("api")) {
      apiGroup = "";
      rest = segments.subList(2, segments.size());
    } else if (segments.size() >= 3 && segments.get(0).equals("apis")) {
      apiGroup = segments.get(1);
      rest = segments.subList(3, segments.size());
    } else {
      return Optional.empty();
    }
    if (rest.isEmpty()) {
      return Optional.empty();
    }
    String namespace = null;
    // As the API server reads it: /namespaces/NAME/status and /finalize are subresources of
    // the Namespace itself, anything else after a namespace is a namespaced resource.
    if (rest.get(0).equals("namespaces")
        && rest.size() >= 3
        && !NAMESPACE_SUBRESOURCES.contains(rest.get(2))) {
      namespace = rest.get(1);
      rest = rest.subList(2, rest.size());
    }
    if (rest.size() > 3) {
      throw new IllegalArgumentException("Not a Kubernetes resource path: " + pathAndQuery);
    }
    String resource = rest.size() == 3 ? rest.get(0) + "/" + rest.get(2) : rest.get(0);
    boolean named = rest.size() >= 2;
    return Optional.of(
        new ApiRequest(
            apiGroup,
            resource,
            verb(method, named, isWatch(uri)),
            namespace,
            named ? rest.get(1) : nameSelected(uri)));
  }

  /** The name a list or watch selects with fieldSelector=metadata.name=NAME, else null. */
  private static String nameSelected(URI uri) {
    String query = uri.getQuery();
    if (query == null) {
      return null;
    }
    return Arrays.stream(query.split("&"))
        .filter(p -> p.startsWith("fieldSelector=metadata.name="))
        .map(p -> p.substring("fieldSelector=metadata.name=".length()))
        .filter(n -> !n.contains(","))
        .findFirst()
        .orElse(null);
  }

  private static boolean isWatch(URI uri) {
    String query = uri.getQuery();
    if (query == null) {
      return false;
    }
    return Arrays.stream(query.split("&"))
        .anyMatch(p -> p.equals("watch") || p.equals("watch=true") || p.equals("watch=1"));
  }

  private static String verb(String method, boolean named, boolean watch) {
    return switch (method.toUpperCase(Locale.ROOT)) {
      case "GET", "HEAD" -> watch ? "watch" : named ? "get" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> named ? "delete" : "deletecollection";
      default -> throw new IllegalArgumentException("Unexpected HTTP method: " + method);
    };
  }
}
