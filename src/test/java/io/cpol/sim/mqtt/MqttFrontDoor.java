package io.cpol.sim.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Protocol;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.BeebotteSimulator.Account;
import io.cpol.sim.ClientIp;
import io.cpol.sim.QuickStop;
import io.cpol.sim.StreamMessage;
import io.moquette.broker.ClientDescriptor;
import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import io.moquette.broker.security.IAuthenticator;
import io.moquette.broker.security.IAuthorizatorPolicy;
import io.moquette.broker.subscriptions.Topic;
import io.moquette.interception.AbstractInterceptHandler;
import io.moquette.interception.messages.InterceptConnectMessage;
import io.moquette.interception.messages.InterceptConnectionLostMessage;
import io.moquette.interception.messages.InterceptDisconnectMessage;
import io.moquette.interception.messages.InterceptPublishMessage;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Beebotte's MQTT front door: an embedded Moquette broker (MQTT 3.1.1, in memory, no files) whose
 * live sessions are the simulator's {@code mqtt} connections.
 *
 * <p>Login as {@link MqttCredentials} describes; bad credentials get CONNACK 4 (bad user name or
 * password). Moquette never asks its authenticator about a CONNECT without a user name, so such a
 * client is accepted by the broker and kicked at once, before it is listed. The client id is the
 * userid and sid; an empty one gets a generated id (32 hex digits), as MQTT 3.1.1 allows with a
 * clean session. A client reconnecting with the same id replaces the old session (Moquette closes
 * the old TCP connection). Topics are {@code channel/resource}; the accounts share one topic space
 * inside the broker, while the hand-over to Socket.IO keeps to the publisher's account. What a
 * client sends after its CONNECT waits in a {@link ConnectGate} until the broker has accepted the
 * connection.
 *
 * <p>The listing follows the broker: after every connect, disconnect or lost connection the
 * registered connections are reconciled with {@link Server#listConnectedClients()}, so an event
 * handled late or out of order cannot leave a stale entry.
 */
public final class MqttFrontDoor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MqttFrontDoor.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RELAY_CLIENT_ID = "beebotte-sim-relay";

  private final BeebotteSimulator sim;
  private final MqttCredentials credentials;
  private final Consumer<StreamMessage> published;
  private final Server broker = new Server();
  // Latest accepted login per client id; written on the Netty thread before the CONNACK.
  private final Map<String, Login> logins = new ConcurrentHashMap<>();
  // Guarded by this: what this door has put into the simulator's listing.
  private final Map<String, Registered> registered = new HashMap<>();
  private boolean closed;
  private int port;

  /** An accepted login: the account it is for. Compared by identity: one per CONNECT. */
  private static final class Login {
    final String owner;

    Login(String owner) {
      this.owner = owner;
    }
  }

  private record Registered(Login login, Connection connection) {}

  private MqttFrontDoor(BeebotteSimulator sim, Consumer<StreamMessage> published) {
    this.sim = sim;
    this.credentials = new MqttCredentials(sim.accounts(), sim::accountOfToken);
    this.published = published;
  }

  /**
   * Starts a broker on {@code host:port} (0: a free port) that lists its sessions in {@code sim}.
   *
   * @param published receives what clients publish on {@code channel/resource} topics, on the
   *     broker's interceptor thread
   */
  public static MqttFrontDoor start(
      BeebotteSimulator sim, String host, int port, Consumer<StreamMessage> published)
      throws IOException {
    MqttFrontDoor door = new MqttFrontDoor(sim, published);
    door.startBroker(host, port);
    return door;
  }

  private void startBroker(String host, int port) throws IOException {
    Properties p = new Properties();
    p.setProperty("host", host);
    p.setProperty("port", Integer.toString(port));
    p.setProperty("websocket_port", "disabled");
    // Memory only: no data/ folder, no H2 file, and no phoning home.
    p.setProperty("persistence_enabled", "false");
    p.setProperty("telemetry_enabled", "false");
    // Beebotte accepts a user name without a password (e.g. "token:..."); the authenticator
    // decides.
    p.setProperty("allow_anonymous", "true");
    p.setProperty("allow_zero_byte_client_id", "true");
    p.setProperty("immediate_buffer_flush", "true");
    IAuthenticator authenticator = this::login;
    try {
      broker.startServer(
          new MemoryConfig(p), List.of(new Events()), null, authenticator, new Topics());
    } catch (RuntimeException | IOException e) {
      broker.stopServer();
      throw e instanceof IOException io
          ? io
          : new IOException("cannot start the MQTT broker on " + host + ":" + port, e);
    }
    try {
      this.port = boundPort(host, port);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * The port of the broker's server channel, found on the acceptor's boss event loops, which also
   * gets a {@link ConnectGate.Installer}.
   *
   * <p>Not {@link Server#getPort()}: Moquette 0.17 records the bound port from a listener that runs
   * on the boss event loop some time after {@code startServer} returns, in a plain {@code HashMap}
   * that {@code getPort()} writes to as well ({@code computeIfAbsent(..., 0)}). Read meanwhile, it
   * throws ConcurrentModificationException, or its 0 overwrites the port for good. Tasks on the
   * boss loops run in order, and they are the only place Netty lists a loop's channels.
   */
  private int boundPort(String host, int requested) throws IOException {
    EventLoopGroup boss = bossGroup();
    List<Future<List<Channel>>> found = new ArrayList<>();
    for (EventExecutor loop : boss) {
      if (loop instanceof SingleThreadEventLoop l) {
        found.add(l.submit(() -> serverChannels(l)));
      }
    }
    List<Channel> servers = new ArrayList<>();
    for (Future<List<Channel>> f : found) {
      if (!f.awaitUninterruptibly(10, TimeUnit.SECONDS) || !f.isSuccess()) {
        throw new IOException("cannot look up the MQTT broker's channel", f.cause());
      }
      servers.addAll(f.getNow());
    }
    if (servers.size() != 1
        || !(servers.get(0).localAddress() instanceof InetSocketAddress bound)
        || (requested != 0 && bound.getPort() != requested)) {
      throw new IOException(
          "the MQTT broker on " + host + ":" + requested + " is not the one channel " + servers);
    }
    servers.get(0).pipeline().addFirst("connectGateInstaller", new ConnectGate.Installer());
    return bound.getPort();
  }

  private static List<Channel> serverChannels(SingleThreadEventLoop loop) {
    List<Channel> servers = new ArrayList<>();
    for (Iterator<Channel> it = loop.registeredChannelsIterator(); it.hasNext(); ) {
      Channel c = it.next();
      if (c instanceof ServerChannel) {
        servers.add(c);
      }
    }
    return servers;
  }

  /** Moquette keeps its Netty acceptor in a private field, and the acceptor its boss loops. */
  private EventLoopGroup bossGroup() throws IOException {
    try {
      Field acceptor = Server.class.getDeclaredField("acceptor");
      acceptor.setAccessible(true);
      Object a = acceptor.get(broker);
      Field boss = a.getClass().getDeclaredField("bossGroup");
      boss.setAccessible(true);
      return (EventLoopGroup) boss.get(a);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IOException("cannot reach the MQTT broker's event loops", e);
    }
  }

  /** The port the broker listens on. */
  public int port() {
    return port;
  }

  /** {@code tcp://HOST:PORT}, for MQTT clients such as Paho. */
  public String uri(String host) {
    return "tcp://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  /**
   * Closes the TCP session of {@code clientId} as a drop does; a persistent session keeps its
   * subscriptions for when the client comes back, a clean one is forgotten.
   *
   * @return whether this door had that session listed
   */
  public boolean kick(String clientId) {
    Registered r;
    synchronized (this) {
      r = registered.remove(clientId);
      if (r == null) {
        return false;
      }
      logins.remove(clientId, r.login());
      sim.removeConnection(clientId, clientId);
    }
    disconnect(clientId);
    log.info("mqtt session kicked userid={} owner={}", clientId, r.connection().owner());
    return true;
  }

  /** Publishes {@code m} to this broker's subscribers of {@code channel/resource} (QoS 0). */
  public void deliver(StreamMessage m) {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("channel", m.channel());
    body.put("resource", m.resource());
    body.set("data", m.data());
    body.put("ts", Clock.systemUTC().millis());
    byte[] payload;
    try {
      payload = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    broker.internalPublish(
        MqttMessageBuilders.publish()
            .topicName(m.channel() + "/" + m.resource())
            .qos(MqttQoS.AT_MOST_ONCE)
            .retained(false)
            .payload(Unpooled.wrappedBuffer(payload))
            .build(),
        RELAY_CLIENT_ID);
  }

  /** Stops the broker; every session is closed and leaves the listing. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      for (String id : registered.keySet()) {
        sim.removeConnection(id, id);
      }
      registered.clear();
    }
    QuickStop.eventLoops(broker, "acceptor.workerGroup", "acceptor.bossGroup");
    broker.stopServer();
  }

  // --- broker callbacks

  /**
   * Moquette's authenticator, on the Netty thread, with the generated id when the client sent none.
   */
  private boolean login(String clientId, String username, byte[] password) {
    return credentials
        .authenticate(username, password)
        .map(
            (Account a) -> {
              logins.put(clientId, new Login(a.owner()));
              return true;
            })
        .orElseGet(
            () -> {
              log.info("mqtt login refused clientid={}", clientId);
              return false;
            });
  }

  /**
   * Publishing needs a login and a {@code channel/resource} topic; subscribing needs a login. A
   * client that connected without a user name is kicked right after its CONNACK, and this keeps it
   * from publishing or subscribing in between.
   */
  private final class Topics implements IAuthorizatorPolicy {
    @Override
    public boolean canWrite(Topic topic, String user, String client) {
      return user != null
          && client != null
          && logins.containsKey(client)
          && resource(topic) != null;
    }

    @Override
    public boolean canRead(Topic topic, String user, String client) {
      return user != null && client != null && logins.containsKey(client);
    }
  }

  /** {channel, resource} of a {@code channel/resource} topic name, or null for any other. */
  private static String[] resource(Topic topic) {
    return resource(topic.toString());
  }

  private static String[] resource(String topic) {
    String[] parts = topic.split("/", -1);
    if (parts.length != 2) {
      return null;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.contains("+") || p.contains("#")) {
        return null;
      }
    }
    return parts;
  }

  private final class Events extends AbstractInterceptHandler {
    @Override
    public String getID() {
      return "beebotte-simulator";
    }

    @Override
    public void onConnect(InterceptConnectMessage msg) {
      String id = msg.getClientID();
      if (id != null && !id.isEmpty()) {
        if (msg.getUsername() == null) {
          // No user name: Moquette let it in without asking; Beebotte needs credentials.
          logins.remove(id);
          disconnect(id);
        }
      }
      reconcile();
    }

    @Override
    public void onDisconnect(InterceptDisconnectMessage msg) {
      reconcile();
    }

    @Override
    public void onConnectionLost(InterceptConnectionLostMessage msg) {
      reconcile();
    }

    @Override
    public void onPublish(InterceptPublishMessage msg) {
      try {
        relay(msg);
      } finally {
        msg.getPayload().release();
      }
    }

    @Override
    public void onSessionLoopError(Throwable error) {
      log.warn("mqtt broker session loop error", error);
    }
  }

  /** Makes the listing match the broker's connected clients. */
  private synchronized void reconcile() {
    if (closed) {
      return;
    }
    Map<String, ClientDescriptor> live = new HashMap<>();
    for (ClientDescriptor d : broker.listConnectedClients()) {
      live.put(d.getClientID(), d);
    }
    for (Iterator<Map.Entry<String, Registered>> it = registered.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<String, Registered> e = it.next();
      String id = e.getKey();
      Registered r = e.getValue();
      ClientDescriptor d = live.get(id);
      if (d == null
          || logins.get(id) != r.login()
          || !clientIp(d).equals(r.connection().clientip())) {
        sim.removeConnection(id, id);
        it.remove();
        if (d == null) {
          logins.remove(id, r.login());
          log.info("mqtt session closed userid={} owner={}", id, r.connection().owner());
        }
      }
    }
    for (ClientDescriptor d : live.values()) {
      String id = d.getClientID();
      if (registered.containsKey(id)) {
        continue;
      }
      Login login = logins.get(id);
      if (login == null) {
        // Connected without a user name under a generated id: not a Beebotte login.
        disconnect(id);
        continue;
      }
      Connection c =
          new Connection(
              id, id, Protocol.mqtt.wireName(), id, clientIp(d), login.owner, null, List.of());
      sim.addConnection(c);
      registered.put(id, new Registered(login, c));
      log.info("mqtt session open userid={} owner={} clientip={}", id, login.owner, c.clientip());
    }
  }

  private void disconnect(String clientId) {
    try {
      // Close only: Moquette's own connection-lost handling, on the session's loop, then forgets a
      // clean session. Purging it here too (disconnectAndPurgeClientState) races with that
      // handling, which then finds the session destroyed and throws, and the exception ends the
      // session loop: every client routed to that loop could no longer connect.
      broker.disconnectClient(clientId);
    } catch (RuntimeException e) {
      // The session went away on its own meanwhile (Moquette's drop is not atomic with it).
      log.debug("mqtt disconnect of {} raced with the session closing", clientId, e);
    }
  }

  private void relay(InterceptPublishMessage msg) {
    String id = msg.getClientID();
    if (published == null || RELAY_CLIENT_ID.equals(id)) {
      return;
    }
    Login login = id == null ? null : logins.get(id);
    String[] topic = resource(msg.getTopicName());
    if (login == null || topic == null) {
      return;
    }
    byte[] bytes = ByteBufUtil.getBytes(msg.getPayload());
    published.accept(new StreamMessage(login.owner, topic[0], topic[1], data(bytes)));
  }

  /** The {@code data} of a Beebotte publish payload, or the payload itself. */
  private static JsonNode data(byte[] payload) {
    try {
      JsonNode node = JSON.readTree(payload);
      if (node != null && node.isObject() && node.has("data")) {
        return node.get("data");
      }
      if (node != null && !node.isMissingNode()) {
        return node;
      }
    } catch (IOException e) {
      // Not JSON: handed on as text.
    }
    return TextNode.valueOf(new String(payload, StandardCharsets.UTF_8));
  }

  private static String clientIp(ClientDescriptor d) {
    try {
      return ClientIp.of(InetAddress.getByName(d.getAddress()));
    } catch (UnknownHostException e) {
      return d.getAddress();
    }
  }
}
