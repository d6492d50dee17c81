package io.cpol.deploy;

import java.util.Objects;

/**
 * One RBAC grant: a verb on a resource of an API group, cluster-wide or in one namespace.
 *
 * @param apiGroup API group, {@code ""} for the core group
 * @param resource plural resource name, {@code resource/subresource} for a subresource
 * @param verb Kubernetes API verb (get, list, watch, create, update, patch, delete, ...)
 * @param scope {@link #CLUSTER} when granted by a ClusterRoleBinding (every namespace and
 *     cluster-wide requests), {@link #NAMESPACE} when granted by a RoleBinding in the operator's
 *     own namespace
 */
public record ApiPermission(String apiGroup, String resource, String verb, String scope) {
  public static final String CLUSTER = "cluster";
  public static final String NAMESPACE = "namespace";
  static final String ANY = "*";

  public ApiPermission {
    Objects.requireNonNull(apiGroup, "apiGroup");
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(verb, "verb");
    if (!CLUSTER.equals(scope) && !NAMESPACE.equals(scope)) {
      throw new IllegalArgumentException("scope must be cluster or namespace: " + scope);
    }
  }

  public static ApiPermission cluster(String apiGroup, String resource, String verb) {
    return new ApiPermission(apiGroup, resource, verb, CLUSTER);
  }

  public static ApiPermission namespaced(String apiGroup, String resource, String verb) {
    return new ApiPermission(apiGroup, resource, verb, NAMESPACE);
  }

  /**
   * Whether this grant lets a request through, with Kubernetes RBAC's matching: {@code *} matches
   * any group, resource (subresources included) or verb, {@code *}{@code /sub} any resource's
   * {@code sub} subresource.
   *
   * @param grantNamespace the namespace of the RoleBinding behind a {@link #NAMESPACE} grant
   */
  public boolean allows(ApiRequest request, String grantNamespace) {
    return matches(apiGroup, request.apiGroup())
        && resourceMatches(request.resource())
        && matches(verb, request.verb())
        && (CLUSTER.equals(scope)
            || (request.namespace() != null && request.namespace().equals(grantNamespace)));
  }

  private boolean resourceMatches(String requested) {
    if (matches(resource, requested)) {
      return true;
    }
    int slash = requested.indexOf('/');
    return slash > 0 && resource.equals(ANY + requested.substring(slash));
  }

  private static boolean matches(String granted, String requested) {
    return ANY.equals(granted) || granted.equals(requested);
  }
}
