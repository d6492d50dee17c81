package io.cpol.deploy;

import java.util.List;
import java.util.Objects;

/**
 * One RBAC grant: a verb on a resource of an API group, cluster-wide or in one namespace, on every
 * object or on the named ones.
 *
 * @param apiGroup API group, {@code ""} for the core group
 * @param resource plural resource name, {@code resource/subresource} for a subresource
 * @param verb Kubernetes API verb (get, list, watch, create, update, patch, delete, ...)
 * @param scope {@link #CLUSTER} when granted by a ClusterRoleBinding (every namespace and
 *     cluster-wide requests), {@link #NAMESPACE} when granted by a RoleBinding in {@code namespace}
 * @param namespace the RoleBinding's namespace for {@link #NAMESPACE}, null for {@link #CLUSTER}
 * @param resourceNames the rule's resourceNames: empty for every object, else only requests that
 *     name one of these
 */
public record ApiPermission(
    String apiGroup,
    String resource,
    String verb,
    String scope,
    String namespace,
    List<String> resourceNames) {
  public static final String CLUSTER = "cluster";
  public static final String NAMESPACE = "namespace";
  static final String ANY = "*";

  public ApiPermission {
    Objects.requireNonNull(apiGroup, "apiGroup");
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(verb, "verb");
    resourceNames = List.copyOf(resourceNames);
    if (CLUSTER.equals(scope)) {
      if (namespace != null) {
        throw new IllegalArgumentException("a cluster-wide grant has no namespace: " + namespace);
      }
    } else if (NAMESPACE.equals(scope)) {
      Objects.requireNonNull(namespace, "namespace");
    } else {
      throw new IllegalArgumentException("scope must be cluster or namespace: " + scope);
    }
  }

  public static ApiPermission cluster(String apiGroup, String resource, String verb) {
    return new ApiPermission(apiGroup, resource, verb, CLUSTER, null, List.of());
  }

  /** A grant in the operator's own namespace. */
  public static ApiPermission namespaced(String apiGroup, String resource, String verb) {
    return namespaced(DeployManifests.OPERATOR_NAMESPACE, apiGroup, resource, verb);
  }

  public static ApiPermission namespaced(
      String namespace, String apiGroup, String resource, String verb) {
    return new ApiPermission(apiGroup, resource, verb, NAMESPACE, namespace, List.of());
  }

  /** This grant restricted to the objects of these names. */
  public ApiPermission named(String... names) {
    return new ApiPermission(apiGroup, resource, verb, scope, namespace, List.of(names));
  }

  /**
   * Whether this grant lets a request through, with Kubernetes RBAC's matching: {@code *} matches
   * any group, resource (subresources included) or verb, {@code *}{@code /sub} any resource's
   * {@code sub} subresource; resourceNames match only a request that names one of them.
   */
  public boolean allows(ApiRequest request) {
    return matches(apiGroup, request.apiGroup())
        && resourceMatches(request.resource())
        && matches(verb, request.verb())
        && (resourceNames.isEmpty()
            || (request.name() != null && resourceNames.contains(request.name())))
        && (CLUSTER.equals(scope) || namespace.equals(request.namespace()));
  }

  /**
   * Where it applies, for tables: ClusterRole, Role, or Role (namespace) outside the operator's.
   */
  String grantedBy() {
    if (CLUSTER.equals(scope)) {
      return "ClusterRole";
    }
    return namespace.equals(DeployManifests.OPERATOR_NAMESPACE)
        ? "Role"
        : "Role (" + namespace + ")";
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
