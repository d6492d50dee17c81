package io.cpol.live;

/**
 * Which sessions a request asks for.
 *
 * @param namespace null for every namespace ({@code kubectl get sessions -A})
 */
public record SessionQuery(String namespace, LabelSelector labels, FieldSelector fields) {
  public static SessionQuery all(String namespace) {
    return new SessionQuery(namespace, LabelSelector.EVERYTHING, FieldSelector.EVERYTHING);
  }

  public boolean matches(Session session) {
    return (namespace == null || namespace.equals(session.namespace()))
        && labels.matches(session.labels())
        && fields.matches(session::field);
  }
}
