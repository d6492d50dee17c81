package io.cpol.live;

/**
 * A continue token or watch resourceVersion older than what the store still holds: the client lists
 * again (HTTP 410 Gone, reason Expired, as kube-apiserver answers).
 */
public final class ExpiredException extends RuntimeException {
  public ExpiredException(String message) {
    super(message);
  }
}
