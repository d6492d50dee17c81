package io.cpol.beebotte;

import java.util.List;

/**
 * One answer of {@code GET /v1/connections}: the connections that could be read, and how many
 * elements of the array could not (not an object, or no usable userid) and were skipped.
 */
public record ConnectionListing(List<Connection> connections, int skipped) {
  public ConnectionListing {
    connections = List.copyOf(connections);
    if (skipped < 0) {
      throw new IllegalArgumentException("skipped must not be negative: " + skipped);
    }
  }

  public static ConnectionListing of(List<Connection> connections) {
    return new ConnectionListing(connections, 0);
  }
}
