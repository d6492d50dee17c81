package io.cpol.beebotte;

import java.util.List;

/**
 * Beebotte's connection management API in domain terms. Every call either returns or throws a
 * {@link BeebotteException} that says what kind of failure it was.
 */
public interface BeebotteClient extends AutoCloseable {

  /** Lists the live connections the filter selects, counting the elements it had to skip. */
  ConnectionListing list(ConnectionFilter filter);

  /** Lists the live connections the filter selects. */
  default List<Connection> listConnections(ConnectionFilter filter) {
    return list(filter).connections();
  }

  /** Drops (closes) the connections the target selects; succeeds when none matched. */
  void drop(DropTarget target);

  /** Releases connection pools and threads. */
  @Override
  void close();
}
