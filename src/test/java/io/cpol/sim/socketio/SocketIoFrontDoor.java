package io.cpol.sim.socketio;

import com.corundumstudio.socketio.AuthorizationResult;
import com.corundumstudio.socketio.Configuration;
import com.corundumstudio.socketio.HandshakeData;
import com.corundumstudio.socketio.SocketIOClient;
import com.corundumstudio.socketio.SocketIOServer;
import com.corundumstudio.socketio.transport.NamespaceClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Protocol;
import io.cpol.beebotte.Subscription;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.BeebotteSimulator.Account;
import io.cpol.sim.ClientIp;
import io.cpol.sim.Hmac;
import io.cpol.sim.QuickStop;
import io.cpol.sim.StreamMessage;
import io.netty.channel.ChannelFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Beebotte's Socket.IO front door (Engine.IO v3 / Socket.IO v2, what the official clients speak) on
 * netty-socketio; its live sockets are the simulator's {@code socketio} connections.
 *
 * <ul>
 *   <li>Handshake query {@code key=API_KEY} or {@code token=TOKEN}, plus {@code username} and
 *       {@code userid} (both may be empty; an empty userid gets a generated {@code uid-...}). An
 *       unknown key or token is refused with HTTP 401 before any session exists.
 *   <li>On connect the server emits {@code getsid} with the sid, the Engine.IO id.
 *   <li>Clients send {@code message} events {@code {version, channel, event, data}}: {@code
 *       control/subscribe} and {@code control/unsubscribe}, answered on event {@code control} with
 *       {@code {event: subscribed | subscribeError | unsubscribed, data: {channel, resource}}} (and
 *       {@code message} on errors); {@code stream/publish} (also {@code emit}, {@code write}) with
 *       {@code {channel, resource, data}}, allowed on a subscription with write access.
 *   <li>Write access and {@code private-}/{@code presence-} channels need {@code sig} (see {@link
 *       SubscribeRequest#stringToSign}) made with the key of the socket's account, or a {@code
 *       token} of that account. A signed userid must be the socket's userid.
 *   <li>Published messages go, as event {@code message} with {@code {channel, resource, data, ts}},
 *       to every socket of the same account that reads that channel/resource (wildcard {@code *}
 *       included), the publisher too.
 * </ul>
 */
public final class SocketIoFrontDoor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SocketIoFrontDoor.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final char[] ID_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final BeebotteSimulator sim;
  private final Consumer<StreamMessage> published;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private SocketIOServer server;
  private int port;

  /** One live socket and what it subscribed to. */
  private static final class Session {
    final SocketIOClient client;
    final String sid;
    final String owner;
    final String userid;
    final String username;
    final String clientip;
    // Guarded by this; keyed channel + "." + resource.
    final Map<String, Subscription> subscriptions = new LinkedHashMap<>();
    boolean closed;

    Session(
        SocketIOClient client,
        String sid,
        String owner,
        String userid,
        String username,
        String clientip) {
      this.client = client;
      this.sid = sid;
      this.owner = owner;
      this.userid = userid;
      this.username = username;
      this.clientip = clientip;
    }

    Connection connection() {
      return new Connection(
          userid,
          sid,
          Protocol.socketio.wireName(),
          userid,
          clientip,
          owner,
          username,
          new ArrayList<>(subscriptions.values()));
    }

    synchronized boolean reads(String channel, String resource) {
      return subscriptions.values().stream()
          .anyMatch(s -> s.read() && covers(s, channel, resource));
    }

    synchronized boolean writes(String channel, String resource) {
      return subscriptions.values().stream()
          .anyMatch(s -> s.write() && covers(s, channel, resource));
    }

    private static boolean covers(Subscription s, String channel, String resource) {
      return s.channel().equals(channel)
          && (s.resource().equals(SubscribeRequest.ANY_RESOURCE) || s.resource().equals(resource));
    }
  }

  private SocketIoFrontDoor(BeebotteSimulator sim, Consumer<StreamMessage> published) {
    this.sim = sim;
    this.published = published;
  }

  /**
   * Starts listening on {@code host:port} (0: a free port); sockets are listed in {@code sim}.
   *
   * @param published receives what sockets publish, on a Netty thread
   */
  public static SocketIoFrontDoor start(
      BeebotteSimulator sim, String host, int port, Consumer<StreamMessage> published)
      throws IOException {
    SocketIoFrontDoor door = new SocketIoFrontDoor(sim, published);
    door.listen(host, port);
    return door;
  }

  private void listen(String host, int requestedPort) throws IOException {
    Configuration config = new Configuration();
    config.setHostname(host);
    config.setPort(requestedPort);
    // A client must not pick its own sid through the "io" cookie.
    config.setRandomSession(true);
    config.setBossThreads(1);
    config.setWorkerThreads(2);
    config.setAuthorizationListener(this::authorize);
    config.getSocketConfig().setReuseAddress(true);
    SocketIOServer s = new SocketIOServer(config);
    s.setPipelineFactory(new EngineIo3PollingFix());
    s.addConnectListener(this::opened);
    s.addDisconnectListener(this::closed);
    s.addEventListener("message", JsonNode.class, (client, data, ack) -> message(client, data));
    ChannelFuture bound = (ChannelFuture) s.startAsync();
    bound.awaitUninterruptibly();
    if (!bound.isSuccess()) {
      stopQuickly(s);
      throw new IOException(
          "cannot listen for Socket.IO on " + host + ":" + requestedPort, bound.cause());
    }
    this.server = s;
    this.port = ((InetSocketAddress) bound.channel().localAddress()).getPort();
  }

  /** The port it listens on. */
  public int port() {
    return port;
  }

  /** {@code http://HOST:PORT}, for Socket.IO clients. */
  public String url(String host) {
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * Closes the socket {@code sid} as a drop does: the client is told (Socket.IO disconnect packet,
   * reason "io server disconnect", so it does not reconnect on its own) and the transport closed.
   *
   * @return whether that socket was live here
   */
  public boolean kick(String sid) {
    Session s = forget(sid);
    if (s == null) {
      return false;
    }
    if (s.client instanceof NamespaceClient nc) {
      nc.getBaseClient().disconnect();
    } else {
      s.client.disconnect();
    }
    log.info("socketio session kicked userid={} sid={} owner={}", s.userid, sid, s.owner);
    return true;
  }

  /** Hands {@code m} to the sockets of its account that read its channel and resource. */
  public void deliver(StreamMessage m) {
    ObjectNode body = JSON.createObjectNode();
    body.put("channel", m.channel());
    body.put("resource", m.resource());
    body.set("data", m.data());
    body.put("ts", Clock.systemUTC().millis());
    for (Session s : sessions.values()) {
      if (s.owner.equals(m.owner()) && s.reads(m.channel(), m.resource())) {
        s.client.sendEvent("message", body);
      }
    }
  }

  /** Stops listening; every socket is closed and leaves the listing. Idempotent. */
  @Override
  public synchronized void close() {
    if (server == null) {
      return;
    }
    for (String sid : List.copyOf(sessions.keySet())) {
      kick(sid);
    }
    stopQuickly(server);
    server = null;
  }

  private static void stopQuickly(SocketIOServer s) {
    QuickStop.eventLoops(s, "bossGroup", "workerGroup");
    s.stop();
  }

  // --- server callbacks

  private AuthorizationResult authorize(HandshakeData handshake) {
    String key = handshake.getSingleUrlParam("key");
    String token = handshake.getSingleUrlParam("token");
    Optional<Account> account;
    if (key != null && !key.isEmpty()) {
      account = sim.accounts().stream().filter(a -> a.apiKey().equals(key)).findFirst();
    } else if (token != null && !token.isEmpty()) {
      account = sim.accountOfToken(token);
    } else {
      account = Optional.empty();
    }
    if (account.isEmpty()) {
      log.info("socketio handshake refused from {}", handshake.getAddress());
      return AuthorizationResult.FAILED_AUTHORIZATION;
    }
    String userid = handshake.getSingleUrlParam("userid");
    String username = handshake.getSingleUrlParam("username");
    Map<String, Object> store = new LinkedHashMap<>();
    store.put("owner", account.get().owner());
    store.put("userid", userid == null || userid.isEmpty() ? generatedUserid() : userid);
    if (username != null && !username.isEmpty()) {
      store.put("username", username);
    }
    return new AuthorizationResult(true, store);
  }

  private void opened(SocketIOClient client) {
    String sid = client.getSessionId().toString();
    Session s =
        new Session(
            client,
            sid,
            client.get("owner"),
            client.get("userid"),
            client.get("username"),
            ClientIp.of(client.getHandshakeData().getAddress()));
    sessions.put(sid, s);
    synchronized (s) {
      sim.addConnection(s.connection());
    }
    log.info("socketio session open userid={} sid={} owner={}", s.userid, sid, s.owner);
    client.sendEvent("getsid", sid);
  }

  private void closed(SocketIOClient client) {
    Session s = forget(client.getSessionId().toString());
    if (s != null) {
      log.info("socketio session closed userid={} sid={} owner={}", s.userid, s.sid, s.owner);
    }
  }

  private Session forget(String sid) {
    Session s = sessions.remove(sid);
    if (s == null) {
      return null;
    }
    synchronized (s) {
      s.closed = true;
      sim.removeConnection(s.userid, sid);
    }
    return s;
  }

  private void message(SocketIOClient client, JsonNode msg) {
    Session s = sessions.get(client.getSessionId().toString());
    if (s == null || msg == null || !msg.isObject()) {
      return;
    }
    String channel = msg.path("channel").asText();
    String event = msg.path("event").asText();
    JsonNode data = msg.get("data");
    switch (channel + "/" + event) {
      case "control/subscribe" -> subscribe(s, data);
      case "control/unsubscribe" -> unsubscribe(s, data);
      case "stream/publish", "stream/emit", "stream/write" -> publish(s, data);
      default -> log.debug("socketio message ignored sid={} {}/{}", s.sid, channel, event);
    }
  }

  private void subscribe(Session s, JsonNode data) {
    SubscribeRequest r;
    try {
      r = SubscribeRequest.from(data);
    } catch (IllegalArgumentException e) {
      answer(s, "subscribeError", data, e.getMessage());
      return;
    }
    String refusal = refusal(s, r);
    if (refusal != null) {
      log.info(
          "socketio subscribe refused userid={} sid={} {}.{}: {}",
          s.userid,
          s.sid,
          r.channel(),
          r.resource(),
          refusal);
      answer(s, "subscribeError", data, refusal);
      return;
    }
    synchronized (s) {
      if (s.closed) {
        return;
      }
      s.subscriptions.put(
          r.channel() + "." + r.resource(),
          new Subscription(r.channel(), r.resource(), r.read(), r.write()));
      sim.addConnection(s.connection());
    }
    answer(s, "subscribed", r.channel(), r.resource(), null);
  }

  /** Why the subscription is refused, or null to accept it. */
  private String refusal(Session s, SubscribeRequest r) {
    if (!r.needsAuthentication()) {
      return null;
    }
    if (r.userid() != null && !r.userid().equals(s.userid)) {
      return "userid " + r.userid() + " is not this connection's";
    }
    if (r.sig() != null) {
      if (r.sid() != null && !r.sid().equals(s.sid)) {
        return "signed for another sid";
      }
      int colon = r.sig().indexOf(':');
      String apiKey = colon < 0 ? "" : r.sig().substring(0, colon);
      Optional<Account> account =
          sim.accounts().stream()
              .filter(a -> a.apiKey().equals(apiKey) && a.owner().equals(s.owner))
              .findFirst();
      if (account.isEmpty()) {
        return "unknown API key in sig";
      }
      String expected = Hmac.sha1Base64(account.get().secretKey(), r.stringToSign(s.sid));
      return Hmac.same(expected, r.sig().substring(colon + 1)) ? null : "bad signature";
    }
    if (r.token() != null) {
      return sim.accountOfToken(r.token()).filter(a -> a.owner().equals(s.owner)).isPresent()
          ? null
          : "unknown token";
    }
    return "authentication required for write access or private/presence channels";
  }

  private void unsubscribe(Session s, JsonNode data) {
    String channel = data == null ? "" : data.path("channel").asText("");
    String given = data == null ? "" : data.path("resource").asText("");
    String resource = given.isEmpty() ? SubscribeRequest.ANY_RESOURCE : given;
    boolean removed;
    synchronized (s) {
      if (s.closed) {
        return;
      }
      removed = s.subscriptions.remove(channel + "." + resource) != null;
      if (removed) {
        sim.addConnection(s.connection());
      }
    }
    answer(
        s,
        removed ? "unsubscribed" : "unsubscribeError",
        channel,
        resource,
        removed ? null : "not subscribed");
  }

  private void publish(Session s, JsonNode data) {
    if (data == null || !data.isObject()) {
      return;
    }
    String channel = data.path("channel").asText("");
    String resource = data.path("resource").asText("");
    if (channel.isEmpty() || resource.isEmpty() || !s.writes(channel, resource)) {
      log.debug("socketio publish refused sid={} {}.{}", s.sid, channel, resource);
      return;
    }
    JsonNode payload = data.has("data") ? data.get("data") : NullNode.getInstance();
    StreamMessage m = new StreamMessage(s.owner, channel, resource, payload);
    deliver(m);
    if (published != null) {
      published.accept(m);
    }
  }

  private static void answer(Session s, String event, JsonNode request, String error) {
    String channel = request == null ? "" : request.path("channel").asText("");
    String resource = request == null ? "" : request.path("resource").asText("");
    answer(s, event, channel, resource.isEmpty() ? SubscribeRequest.ANY_RESOURCE : resource, error);
  }

  private static void answer(
      Session s, String event, String channel, String resource, String error) {
    ObjectNode msg = JSON.createObjectNode();
    msg.put("event", event);
    ObjectNode data = msg.putObject("data");
    data.put("channel", channel);
    data.put("resource", resource);
    if (error != null) {
      msg.put("message", error);
    }
    s.client.sendEvent("control", msg);
  }

  private static String generatedUserid() {
    char[] id = new char[16];
    for (int i = 0; i < id.length; i++) {
      id[i] = ID_ALPHABET[RANDOM.nextInt(ID_ALPHABET.length)];
    }
    return "uid-" + new String(id);
  }
}
