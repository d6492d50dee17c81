package io.cpol.sandbox;

import io.cpol.beebotte.Connection;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.DropEvent;
import java.io.PrintStream;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The sandbox's console line for each drop call the simulator serves: when, the request target (as
 * sent, less the bare {@code ?} Beebotte's clients end an empty query with), and the sessions it
 * closed. One line per call, however many sessions it closed.
 */
final class DropLines {
  private DropLines() {}

  /**
   * Prints a line for every drop call from now on that closes something, then hands its closed
   * connections to {@code afterCall}.
   */
  static void follow(
      BeebotteSimulator simulator, PrintStream out, Consumer<List<Connection>> afterCall) {
    simulator.onDrop(
        c -> {
          List<DropEvent> drops = simulator.drops();
          int at = drops.size() - 1;
          while (at >= 0 && !drops.get(at).connection().equals(c)) {
            at--;
          }
          if (at < 0) {
            return;
          }
          DropEvent event = drops.get(at);
          // A call's connections are recorded together; the listener of its last one prints.
          if (at + 1 < drops.size() && sameCall(drops.get(at + 1), event)) {
            return;
          }
          int first = at;
          while (first > 0 && sameCall(drops.get(first - 1), event)) {
            first--;
          }
          List<Connection> closed =
              drops.subList(first, at + 1).stream().map(DropEvent::connection).toList();
          out.println(line(event, closed));
          out.flush();
          afterCall.accept(closed);
        });
  }

  private static boolean sameCall(DropEvent a, DropEvent b) {
    return a.time().equals(b.time()) && a.rawTarget().equals(b.rawTarget());
  }

  /**
   * {@code 04:30:55 DELETE /v1/connections/drop/app-7?protocol=socketio closed 2 socketio sessions
   * of app-7: sid-a, sid-b}; an MQTT session's sid (its userid) is not repeated.
   */
  static String line(DropEvent call, List<Connection> closed) {
    String target = call.rawTarget();
    if (target.endsWith("?")) {
      target = target.substring(0, target.length() - 1);
    }
    String protocols =
        closed.stream().map(Connection::protocol).distinct().collect(Collectors.joining("+"));
    List<String> userids = closed.stream().map(Connection::userid).distinct().toList();
    String sids =
        closed.stream()
            .filter(c -> !Objects.equals(c.sid(), c.userid()))
            .map(Connection::sid)
            .collect(Collectors.joining(", "));
    return LocalTime.ofInstant(call.time(), ZoneId.systemDefault()).truncatedTo(ChronoUnit.SECONDS)
        + "  DELETE "
        + target
        + "  closed "
        + closed.size()
        + " "
        + protocols
        + (closed.size() == 1 ? " session" : " sessions")
        + " of "
        + String.join(", ", userids)
        + (sids.isEmpty() ? "" : ": " + sids);
  }
}
