package io.cpol.live;

/**
 * One change a watch reports: a session came (ADDED), left (DELETED; the object as last served) or
 * got another verdict (MODIFIED), at store version {@code resourceVersion}.
 */
public record SessionEvent(Type type, Session session, long resourceVersion) {
  public enum Type {
    ADDED,
    MODIFIED,
    DELETED
  }
}
