package io.cpol.reconciler;

import io.cpol.beebotte.Connection;
import java.time.Instant;
import java.util.List;

/**
 * An account's live connections as of one listing.
 *
 * @param listedAt when the listing was requested (so age is never underestimated)
 * @param shared whether this sync reused a listing another sync had made
 */
record ConnectionSnapshot(List<Connection> connections, Instant listedAt, boolean shared) {}
