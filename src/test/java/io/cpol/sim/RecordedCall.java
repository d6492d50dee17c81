package io.cpol.sim;

import java.time.Instant;

/**
 * One request the simulator answered, recorded before the response went out (so a client that has
 * its answer always finds the call here).
 *
 * @param time when the request arrived, by the simulator's clock
 * @param rawTarget the request target exactly as on the request line
 * @param status the HTTP status sent, or 0 when the connection was reset without a response
 * @param authKind the kind of credentials the request carried, whether or not they were accepted
 * @param account the owner of the account the request authenticated as; null when it did not
 *     authenticate (rejected, or a fault answered before authentication)
 */
public record RecordedCall(
    Instant time,
    String method,
    String rawTarget,
    int status,
    AuthKind authKind,
    String account,
    EndpointKind endpoint) {

  /** Which credentials a request carried. */
  public enum AuthKind {
    /** {@code Authorization: apiKey:signature} (token wins when both are sent). */
    KEYS,
    /** {@code X-Auth-Token}. */
    TOKEN,
    NONE
  }

  /** Which endpoint a request addressed, judged by method and path shape. */
  public enum EndpointKind {
    /** {@code GET /v1/connections[/{userid}]}. */
    LIST,
    /** {@code DELETE /v1/connections/drop/{userid}}. */
    DROP,
    /** {@code /admin/...}. */
    ADMIN,
    /** Anything else, including wrong methods on API paths. */
    OTHER
  }
}
