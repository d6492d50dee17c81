package io.cpol.sim;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Protocol;
import io.cpol.sim.Authenticator.TokenGrant;
import io.cpol.sim.Faults.Fault;
import io.cpol.sim.RecordedCall.AuthKind;
import io.cpol.sim.RecordedCall.EndpointKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Beebotte's connection management API ({@code /v1/connections}) on a local port, faithful to the
 * wire: raw-target request signing, Beebotte's error bodies, JSON shapes, and injectable faults.
 *
 * <p>Authentication, as the API documentation describes it, with these choices where it is silent:
 *
 * <ul>
 *   <li>{@code X-Auth-Token} is checked when present, otherwise {@code Authorization}.
 *   <li>Keys: unknown API key, malformed {@code Authorization}, bad signature, missing or
 *       unparseable {@code Date}, or a {@code Date} further than the skew window (default 15 min)
 *       from the simulator's clock → 400, code 1101. The signature is checked over the request
 *       target exactly as it came on the request line (a trailing {@code ?} included), with the
 *       {@code Content-MD5} and {@code Content-Type} headers as sent or empty.
 *   <li>Tokens: a token not starting with {@code iamtkn} (a channel token) → 405, code 1102; an
 *       unknown IAM token → 400, code 1101; a token without {@code admin:connection:read} (list) or
 *       {@code admin:connection:write} (drop) → 403, code 1102, "token lacks ...".
 *   <li>No credentials → 400, code 1101.
 * </ul>
 *
 * <p>Routing comes before authentication: an unknown path → 404, code 1301; a known path with the
 * wrong method → 405, code 1403, with {@code Allow}. Malformed percent-escapes or a repeated query
 * parameter → 400, code 1401. Path segments decode like {@code decodeURIComponent} ({@code +}
 * stays), query values like {@code querystring} ({@code +} is a space); an empty {@code sid=} or
 * {@code protocol=} means no filter; an unknown protocol matches nothing. A trailing slash is
 * ignored (Express's default). HEAD is served like GET.
 *
 * <p>Connections added here (or via the admin API) are normalised as Beebotte would list them:
 * owner set to the account's, an MQTT sid equal to its userid (another sid is rejected), a missing
 * Socket.IO sid made up, clientid defaulting to the userid, MQTT username and subscriptions
 * dropped. {@link #removeConnection} is a client disconnecting; only API drops are recorded in
 * {@link #drops()} and reach {@link #onDrop} listeners, which run on the request thread before the
 * drop's response is sent.
 *
 * <p>The {@code /admin/} endpoints ({@link AdminEndpoints}) need no credentials and ignore faults.
 */
public final class BeebotteSimulator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BeebotteSimulator.class);
  private static final Pattern RIGHT = Pattern.compile("[a-z]+(:[a-z_]+)+");
  private static final char[] SID_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray();
  private static final byte[] TRUE = "true".getBytes(StandardCharsets.UTF_8);

  private final String host;
  private final int requestedPort;
  private final Clock clock;
  private final Duration dateSkew;
  private final List<AccountStore> accounts;
  private final Map<String, AccountStore> byOwner;
  private final Authenticator authenticator;
  private final Map<String, TokenGrant> tokens;
  private final Faults faults = new Faults();
  private final AdminEndpoints admin = new AdminEndpoints(this);
  private final int maxRecordedRequests;
  private final Deque<RecordedCall> calls = new ArrayDeque<>();
  private final List<DropEvent> dropEvents = new ArrayList<>();
  private final List<Consumer<Connection>> dropListeners = new CopyOnWriteArrayList<>();
  private SimHttpServer server;

  private BeebotteSimulator(Builder b) {
    this.host = b.host;
    this.requestedPort = b.port;
    this.clock = b.clock;
    this.dateSkew = b.dateSkew;
    this.maxRecordedRequests = b.maxRecordedRequests;
    Map<String, AccountStore> owners = new LinkedHashMap<>();
    Map<String, AccountStore> apiKeys = new LinkedHashMap<>();
    for (String[] a : b.accounts) {
      AccountStore store = new AccountStore(a[0], a[1], a[2]);
      if (owners.putIfAbsent(a[0], store) != null) {
        throw new IllegalArgumentException("account " + a[0] + " given twice");
      }
      if (apiKeys.putIfAbsent(a[1], store) != null) {
        throw new IllegalArgumentException("API key " + a[1] + " used by two accounts");
      }
    }
    this.accounts = List.copyOf(owners.values());
    this.byOwner = Map.copyOf(owners);
    Map<String, TokenGrant> tokens = new LinkedHashMap<>();
    for (TokenSpec t : b.tokens) {
      AccountStore account = t.owner() == null ? accounts.get(0) : byOwner.get(t.owner());
      if (account == null) {
        throw new IllegalArgumentException("token for unknown account " + t.owner());
      }
      if (tokens.putIfAbsent(t.token(), new TokenGrant(t.token(), account, t.rights())) != null) {
        throw new IllegalArgumentException("token given twice");
      }
    }
    this.authenticator = new Authenticator(apiKeys, tokens, dateSkew, clock);
    this.tokens = Map.copyOf(tokens);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Configures a simulator; at least one account is required. */
  public static final class Builder {
    private int port;
    private String host = "127.0.0.1";
    private final List<String[]> accounts = new ArrayList<>();
    private final List<TokenSpec> tokens = new ArrayList<>();
    private Duration dateSkew = Duration.ofMinutes(15);
    private Clock clock = Clock.systemUTC();
    private int maxRecordedRequests = 1_000_000;

    private Builder() {}

    /** The port to listen on; 0 (the default) picks a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port " + port);
      }
      this.port = port;
      return this;
    }

    /** The address to bind, default 127.0.0.1. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** Adds an account; each has its own connections. The first one is the default account. */
    public Builder account(String owner, String apiKey, String secretKey) {
      accounts.add(
          new String[] {
            Objects.requireNonNull(owner, "owner"),
            Objects.requireNonNull(apiKey, "apiKey"),
            Objects.requireNonNull(secretKey, "secretKey")
          });
      return this;
    }

    /**
     * Adds a token of the first account with the given rights, e.g. {@code
     * "admin:connection:read"}. Tokens of another account: {@link #tokenFor}.
     */
    public Builder token(String token, String... rights) {
      tokens.add(new TokenSpec(null, Objects.requireNonNull(token, "token"), rights(rights)));
      return this;
    }

    /**
     * Adds a token of the account {@code owner}. (Not an overload of {@link #token}: {@code
     * token(String, String...)} and {@code token(String, String, String...)} are ambiguous in
     * Java.)
     */
    public Builder tokenFor(String owner, String token, String... rights) {
      tokens.add(
          new TokenSpec(
              Objects.requireNonNull(owner, "owner"),
              Objects.requireNonNull(token, "token"),
              rights(rights)));
      return this;
    }

    /** How far a signed request's Date may be from the clock; default 15 minutes. */
    public Builder dateSkew(Duration dateSkew) {
      if (dateSkew.isNegative()) {
        throw new IllegalArgumentException("negative skew " + dateSkew);
      }
      this.dateSkew = dateSkew;
      return this;
    }

    /** The clock for Date checks and recorded times; default the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Keeps only the newest this-many recorded calls (default 1,000,000) so soaks stay bounded. */
    public Builder maxRecordedRequests(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("max " + max);
      }
      this.maxRecordedRequests = max;
      return this;
    }

    public BeebotteSimulator build() {
      if (accounts.isEmpty()) {
        throw new IllegalStateException("a simulator needs at least one account");
      }
      return new BeebotteSimulator(this);
    }

    private static Set<String> rights(String[] rights) {
      Set<String> out = new LinkedHashSet<>();
      for (String r : rights) {
        // Catches token("owner", "iamtkn...", ...) meant as tokenFor: a token is not a right.
        if (r == null || !RIGHT.matcher(r).matches()) {
          throw new IllegalArgumentException(
              "not an access right: " + r + " (a token of another account? use tokenFor)");
        }
        out.add(r);
      }
      return Set.copyOf(out);
    }
  }

  private record TokenSpec(String owner, String token, Set<String> rights) {}

  // --- lifecycle

  /** Binds the port and starts serving; returns this. */
  public synchronized BeebotteSimulator start() {
    if (server != null) {
      throw new IllegalStateException("already started");
    }
    try {
      server = SimHttpServer.start(host, requestedPort, this::handle, clock);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + host + ":" + requestedPort, e);
    }
    return this;
  }

  /** {@code http://HOST:PORT}, without a trailing slash. */
  public String baseUrl() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + h + ":" + port();
  }

  public synchronized int port() {
    if (server == null) {
      throw new IllegalStateException("not started");
    }
    return server.port();
  }

  /** Stops listening and closes every open connection; idempotent. */
  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
    }
  }

  /** The address the API binds, and the live front doors with it. */
  public String host() {
    return host;
  }

  /** Whether {@link #start} has run. */
  public synchronized boolean started() {
    return server != null;
  }

  /** TCP connections accepted so far (tests check keep-alive with it). */
  synchronized long acceptedConnections() {
    return server == null ? 0 : server.acceptedConnections();
  }

  // --- connections

  /**
   * Adds connections, each to the account named by its owner (null: the first account), or replaces
   * those with the same userid and sid. All are checked before any is added.
   *
   * @throws IllegalArgumentException for an unknown owner, a missing userid or protocol, or an MQTT
   *     sid different from its userid
   */
  public void addConnections(Collection<Connection> cs) {
    List<Connection> normalised = new ArrayList<>(cs.size());
    List<AccountStore> targets = new ArrayList<>(cs.size());
    for (Connection c : cs) {
      AccountStore account = account(c.owner());
      targets.add(account);
      normalised.add(normalise(c, account));
    }
    for (int i = 0; i < normalised.size(); i++) {
      targets.get(i).put(normalised.get(i));
    }
  }

  public void addConnection(Connection c) {
    addConnections(List.of(c));
  }

  /**
   * Removes a connection as if the client disconnected (no drop is recorded, no listener runs). A
   * null sid removes all of the userid's connections. Looks in every account.
   *
   * @return whether anything was removed
   */
  public boolean removeConnection(String userid, String sid) {
    return removeConnections(userid, sid) > 0;
  }

  int removeConnections(String userid, String sid) {
    int n = 0;
    for (AccountStore a : accounts) {
      n += a.removeMatching(userid, sid, null).size();
    }
    return n;
  }

  /** A snapshot of every live connection, account by account. */
  public List<Connection> connections() {
    List<Connection> all = new ArrayList<>();
    for (AccountStore a : accounts) {
      all.addAll(a.select(null, null, null));
    }
    return all;
  }

  /** The live connections of one account; unknown owner → IllegalArgumentException. */
  List<Connection> connections(String owner) {
    return account(owner).select(null, null, null);
  }

  public void clearConnections() {
    clearConnectionsCounting();
  }

  int clearConnectionsCounting() {
    int n = 0;
    for (AccountStore a : accounts) {
      n += a.clear();
    }
    return n;
  }

  // --- observation

  /** Every request served (admin ones included), in the order their responses were decided. */
  public List<RecordedCall> requests() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  public void clearRequests() {
    clearRequestsCounting();
  }

  int clearRequestsCounting() {
    synchronized (calls) {
      int n = calls.size();
      calls.clear();
      return n;
    }
  }

  /** Every connection closed by an API drop, in order. */
  public List<DropEvent> drops() {
    synchronized (dropEvents) {
      return List.copyOf(dropEvents);
    }
  }

  public void clearDrops() {
    clearDropsCounting();
  }

  int clearDropsCounting() {
    synchronized (dropEvents) {
      int n = dropEvents.size();
      dropEvents.clear();
      return n;
    }
  }

  /**
   * Calls {@code listener} for each connection an API drop closes, on the request thread, before
   * the drop's response goes out; a listener that throws is logged and does not fail the drop.
   */
  public void onDrop(Consumer<Connection> listener) {
    dropListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  // --- credentials for the live front doors (MQTT, Socket.IO), which authenticate clients

  /** An account's name and keys as the live front doors check them. */
  public record Account(String owner, String apiKey, String secretKey) {}

  /** Every account, the default (first) one first. */
  public List<Account> accounts() {
    return accounts.stream().map(a -> new Account(a.owner, a.apiKey, a.secretKey)).toList();
  }

  /**
   * The account a token given to the builder ({@link Builder#token}, {@link Builder#tokenFor})
   * belongs to, whatever its rights; empty for an unknown token.
   */
  public Optional<Account> accountOfToken(String token) {
    TokenGrant grant = token == null ? null : tokens.get(token);
    if (grant == null) {
      return Optional.empty();
    }
    AccountStore a = grant.account();
    return Optional.of(new Account(a.owner, a.apiKey, a.secretKey));
  }

  public Faults faults() {
    return faults;
  }

  List<String> owners() {
    return accounts.stream().map(a -> a.owner).toList();
  }

  // --- request handling

  private SimResponse handle(SimRequest request) {
    Instant at = clock.instant();
    String path = request.path();
    if (path.equals("/admin") || path.startsWith("/admin/")) {
      SimResponse response = admin.handle(request);
      record(at, request, response.status(), AuthKind.NONE, null, EndpointKind.ADMIN);
      return response;
    }
    Route route = Route.parse(request.method(), path);
    Fault fault = null;
    if (path.startsWith("/v1/")) {
      pause(faults.latency());
      fault = faults.next();
      if (fault != null && fault.preempts()) {
        SimResponse response = preempt(fault, request);
        record(
            at,
            request,
            response.status(),
            Authenticator.presented(request),
            null,
            route.endpoint());
        return response;
      }
    }
    Answer answer = api(at, request, route);
    SimResponse response = fault == null ? answer.response() : damage(answer.response(), fault);
    record(
        at,
        request,
        response.status(),
        Authenticator.presented(request),
        answer.account(),
        route.endpoint());
    return response;
  }

  /** The API's response and the owner of the account the request authenticated as, or null. */
  private record Answer(SimResponse response, String account) {}

  private Answer api(Instant at, SimRequest request, Route route) {
    switch (route.kind()) {
      case NOT_FOUND:
        return new Answer(
            WireFormat.errorResponse(404, "resource not found: " + request.path(), 1301), null);
      case WRONG_METHOD:
        return new Answer(
            WireFormat.errorResponse(
                    405, "method " + request.method() + " not allowed on " + request.path(), 1403)
                .withHeader("Allow", route.allow()),
            null);
      default:
        break;
    }
    boolean drop = route.kind() == RouteKind.DROP;
    Authenticator.Outcome auth =
        authenticator.authenticate(request, drop ? Authenticator.WRITE : Authenticator.READ);
    if (!auth.accepted()) {
      return new Answer(auth.failure(), null);
    }
    String owner = auth.account().owner;
    String userid;
    String sid;
    String protocol;
    try {
      userid = route.rawUserid() == null ? null : PercentDecoding.pathSegment(route.rawUserid());
      Map<String, String> query = PercentDecoding.query(request.rawQuery());
      sid = emptyToNull(query.get("sid"));
      protocol = emptyToNull(query.get("protocol"));
    } catch (IllegalArgumentException e) {
      return new Answer(WireFormat.errorResponse(400, e.getMessage(), 1401), owner);
    }
    if (!drop) {
      List<Connection> selected = auth.account().select(userid, sid, protocol);
      return new Answer(
          SimResponse.streamedJson(200, out -> WireFormat.writeConnections(selected, out)), owner);
    }
    List<Connection> removed = auth.account().removeMatching(userid, sid, protocol);
    if (!removed.isEmpty()) {
      synchronized (dropEvents) {
        for (Connection c : removed) {
          dropEvents.add(new DropEvent(at, c, request.rawTarget()));
        }
      }
      for (Connection c : removed) {
        for (Consumer<Connection> listener : dropListeners) {
          try {
            listener.accept(c);
          } catch (RuntimeException e) {
            log.warn("drop listener failed for userid={} sid={}", c.userid(), c.sid(), e);
          }
        }
      }
    }
    return new Answer(SimResponse.bytes(200, SimResponse.JSON, TRUE), owner);
  }

  private SimResponse preempt(Fault fault, SimRequest request) {
    switch (fault.kind()) {
      case FAIL:
        return failure(fault.status());
      case ECHO:
        return echo(fault.status(), request);
      case RATE_LIMIT:
        SimResponse r =
            SimResponse.text(
                429, "text/plain; charset=utf-8", "Too many requests, please try again later.");
        if (fault.duration() != null) {
          long millis = fault.duration().toMillis();
          r = r.withHeader("Retry-After", Long.toString((millis + 999) / 1000));
        }
        return r;
      case RESET:
        return SimResponse.reset();
      default:
        throw new IllegalStateException("not a preempting fault: " + fault);
    }
  }

  /** An error whose message repeats what the request carried to prove who it was. */
  private SimResponse echo(int status, SimRequest request) {
    String authorization = request.header("Authorization");
    String token = request.header("X-Auth-Token");
    List<String> credentials = new ArrayList<>();
    StringBuilder message = new StringBuilder("rejected");
    if (authorization != null) {
      String signature = authorization.substring(authorization.indexOf(':') + 1);
      message
          .append(" Authorization: ")
          .append(authorization)
          .append(" (signature ")
          .append(signature)
          .append(')');
      credentials.addAll(List.of(authorization, signature));
    }
    if (token != null) {
      message.append(" X-Auth-Token: ").append(token);
      credentials.add(token);
    }
    message.append(" Date: ").append(request.header("Date"));
    faults.recordEcho(credentials);
    return WireFormat.errorResponse(status, message.toString(), status >= 500 ? 1201 : 1101);
  }

  /** What a proxy or Beebotte itself would send for this failure status. */
  private static SimResponse failure(int status) {
    String html = "text/html";
    return switch (status) {
      case 500 -> WireFormat.errorResponse(500, "Internal error", 1201);
      case 502 -> SimResponse.text(502, html, nginxPage("502 Bad Gateway"));
      case 504 -> SimResponse.text(504, html, nginxPage("504 Gateway Time-out"));
      case 503 ->
          SimResponse.text(
              503,
              "text/plain",
              "upstream connect error or disconnect/reset before headers. reset reason: connection"
                  + " failure");
      default ->
          WireFormat.errorResponse(
              status, "simulated failure " + status, status >= 500 ? 1201 : 1403);
    };
  }

  private static String nginxPage(String title) {
    return "<html>\r\n<head><title>"
        + title
        + "</title></head>\r\n<body>\r\n<center><h1>"
        + title
        + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
  }

  private static SimResponse damage(SimResponse response, Fault fault) {
    switch (fault.kind()) {
      case MALFORMED_JSON:
        byte[] body = response.materialize();
        // Any proper prefix of a JSON array or of "true" is invalid JSON.
        byte[] cut = body.length < 2 ? new byte[] {'{'} : Arrays.copyOf(body, body.length / 2);
        return response.withBody(cut);
      case SLOW_BODY:
        return response.withDelivery(SimResponse.Delivery.SLOW, fault.duration());
      case UNREADABLE_ELEMENTS:
        return withUnreadableElements(response);
      case RESET:
        return response.withDelivery(SimResponse.Delivery.PARTIAL_THEN_RESET, null);
      default:
        throw new IllegalStateException("not a damaging fault: " + fault);
    }
  }

  /** A listing with {@link Faults#UNREADABLE_ELEMENTS} first; any other answer unchanged. */
  private static SimResponse withUnreadableElements(SimResponse response) {
    byte[] body = response.materialize();
    String text = new String(body, StandardCharsets.UTF_8);
    if (response.status() != 200 || !text.startsWith("[")) {
      return response.withBody(body);
    }
    String junk = String.join(",", Faults.UNREADABLE_ELEMENTS);
    String rest = text.substring(1).trim();
    return response.withBody(
        ("[" + junk + (rest.startsWith("]") ? "" : ",") + rest).getBytes(StandardCharsets.UTF_8));
  }

  private void record(
      Instant at,
      SimRequest request,
      int status,
      AuthKind authKind,
      String account,
      EndpointKind endpoint) {
    RecordedCall call =
        new RecordedCall(
            at, request.method(), request.rawTarget(), status, authKind, account, endpoint);
    synchronized (calls) {
      if (calls.size() >= maxRecordedRequests) {
        calls.removeFirst();
      }
      calls.addLast(call);
    }
  }

  // --- connection normalisation

  private AccountStore account(String owner) {
    if (owner == null) {
      return accounts.get(0);
    }
    AccountStore a = byOwner.get(owner);
    if (a == null) {
      throw new IllegalArgumentException(
          "no account " + owner + " in this simulator (accounts: " + owners() + ")");
    }
    return a;
  }

  private static Connection normalise(Connection c, AccountStore account) {
    if (c.userid() == null || c.userid().isEmpty()) {
      throw new IllegalArgumentException("connection without userid: " + c);
    }
    if (c.protocol() == null || c.protocol().isEmpty()) {
      throw new IllegalArgumentException("connection without protocol: " + c);
    }
    boolean mqtt = Protocol.mqtt.wireName().equals(c.protocol());
    String sid = c.sid();
    if (mqtt && sid != null && !sid.equals(c.userid())) {
      throw new IllegalArgumentException(
          "an MQTT connection's sid is its userid: " + c.userid() + " != " + sid);
    }
    if (sid == null) {
      sid = mqtt ? c.userid() : randomSid();
    }
    return new Connection(
        c.userid(),
        sid,
        c.protocol(),
        c.clientid() == null ? c.userid() : c.clientid(),
        c.clientip() == null ? "::ffff:127.0.0.1" : c.clientip(),
        account.owner,
        mqtt ? null : c.username(),
        mqtt ? List.of() : c.subscriptions());
  }

  /** A 20-character id like Engine.IO v3's. */
  static String randomSid() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    char[] s = new char[20];
    for (int i = 0; i < s.length; i++) {
      s[i] = SID_ALPHABET[r.nextInt(SID_ALPHABET.length)];
    }
    return new String(s);
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static void pause(Duration d) {
    if (d.isZero()) {
      return;
    }
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // --- routing

  private enum RouteKind {
    LIST,
    DROP,
    NOT_FOUND,
    WRONG_METHOD
  }

  /**
   * Where a request goes.
   *
   * @param rawUserid the userid path segment, still percent-encoded
   * @param allow the Allow header for WRONG_METHOD
   */
  private record Route(RouteKind kind, String rawUserid, String allow) {
    static Route parse(String method, String path) {
      String p =
          path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
      String[] seg = p.split("/", -1);
      if (seg.length < 3 || !seg[1].equals("v1") || !seg[2].equals("connections")) {
        return new Route(RouteKind.NOT_FOUND, null, null);
      }
      boolean get = method.equals("GET") || method.equals("HEAD");
      switch (seg.length) {
        case 3:
          return get ? new Route(RouteKind.LIST, null, null) : wrong("GET, HEAD");
        case 4:
          if (seg[3].isEmpty()) {
            return new Route(RouteKind.NOT_FOUND, null, null);
          }
          return get ? new Route(RouteKind.LIST, seg[3], null) : wrong("GET, HEAD");
        case 5:
          if (!seg[3].equals("drop") || seg[4].isEmpty()) {
            return new Route(RouteKind.NOT_FOUND, null, null);
          }
          return method.equals("DELETE")
              ? new Route(RouteKind.DROP, seg[4], null)
              : wrong("DELETE");
        default:
          return new Route(RouteKind.NOT_FOUND, null, null);
      }
    }

    private static Route wrong(String allow) {
      return new Route(RouteKind.WRONG_METHOD, null, allow);
    }

    EndpointKind endpoint() {
      return switch (kind) {
        case LIST -> EndpointKind.LIST;
        case DROP -> EndpointKind.DROP;
        default -> EndpointKind.OTHER;
      };
    }
  }
}
