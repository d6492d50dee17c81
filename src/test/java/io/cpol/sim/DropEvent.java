package io.cpol.sim;

import io.cpol.beebotte.Connection;
import java.time.Instant;

/**
 * One connection closed by a drop call.
 *
 * @param time when the drop call arrived, by the simulator's clock
 * @param rawTarget the drop call's request target exactly as on the request line
 */
public record DropEvent(Instant time, Connection connection, String rawTarget) {}
