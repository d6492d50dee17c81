package io.cpol.beebotte;

/** A channel/resource subscription of a Socket.IO session. */
public record Subscription(String channel, String resource, boolean read, boolean write) {

  /**
   * How the plugin's and {@code kubectl get sessions}' columns show subscriptions: {@code
   * channel.resource}, with {@code (rw)}/{@code (w)}/{@code (-)} unless read-only, comma-separated.
   */
  public static String columnText(java.util.List<Subscription> subscriptions) {
    return subscriptions.stream()
        .map(
            s ->
                s.channel()
                    + "."
                    + s.resource()
                    + (s.read() && s.write() ? "(rw)" : s.write() ? "(w)" : s.read() ? "" : "(-)"))
        .collect(java.util.stream.Collectors.joining(","));
  }
}
