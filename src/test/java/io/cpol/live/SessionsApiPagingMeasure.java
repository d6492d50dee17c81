package io.cpol.live;

import io.cpol.beebotte.Connection;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * Measures the sessions API alone (no aggregator hop): {@code kubectl get sessions -A}'s requests
 * over 100k sessions, as Tables in pages of 500 over HTTPS with the front-proxy certificate. Prints
 * the time to the first page and to the last; not a test (numbers are not asserted). Run with
 * {@code java -cp "$(bin/test-classpath)" io.cpol.live.SessionsApiPagingMeasure [sessions]
 * [rounds]}.
 */
public final class SessionsApiPagingMeasure {
  private static final String ACCEPT =
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
          + "g=meta.k8s.io,application/json";

  private SessionsApiPagingMeasure() {}

  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    boolean store = args.length < 3 || args[2].equals("store");
    TestPki.Issued ca = TestPki.ca("front-proxy-ca");
    TestPki.Issued proxy = TestPki.client(ca, "front-proxy-client");
    Map<String, String> frontProxy =
        Map.of(
            "requestheader-client-ca-file", ca.pem(),
            "requestheader-allowed-names", "[]",
            "requestheader-username-headers", "[\"X-Remote-User\"]",
            "requestheader-group-headers", "[\"X-Remote-Group\"]");
    KubernetesMockServer mock =
        MockAuthorizationApi.start(
            () -> frontProxy, r -> Map.of("status", Map.of("allowed", true)));
    KubernetesClient kubernetes = mock.createClient();

    SessionSource source = store ? storeSource(count) : memorySource(count);
    for (int round = 1; round <= 3; round++) {
      long start = System.nanoTime();
      String token = null;
      do {
        token =
            source
                .list(
                    new SessionQuery(null, LabelSelector.EVERYTHING, FieldSelector.EVERYTHING),
                    500,
                    token)
                .continueToken();
      } while (token != null);
      System.out.printf(
          "%s alone, 200 pages: %d ms%n",
          store ? "SessionStore" : "the tests' in-memory source",
          (System.nanoTime() - start) / 1_000_000);
    }
    try (SessionsApiServer server =
        SessionsApiServer.start(
            new SessionsApiSettings(
                "127.0.0.1",
                0,
                null,
                List.of("localhost", "127.0.0.1"),
                Duration.ofMinutes(1),
                Duration.ofMinutes(1)),
            source,
            () -> true,
            kubernetes,
            Clock.systemUTC())) {
      SSLContext tls =
          TestPki.clientContext(proxy, PemCodec.certificates(server.generatedCaPem()).get(0));
      HttpClient client =
          HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls).build();
      for (int round = 1; round <= rounds; round++) {
        long start = System.nanoTime();
        long first = 0;
        long bytes = 0;
        int pages = 0;
        String token = null;
        do {
          String uri =
              "https://127.0.0.1:"
                  + server.port()
                  + "/apis/live.beebotte.io/v1alpha1/sessions?limit=500"
                  + (token == null
                      ? ""
                      : "&continue=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
          HttpResponse<InputStream> response =
              client.send(
                  HttpRequest.newBuilder(URI.create(uri))
                      .header("Accept", ACCEPT)
                      .header("X-Remote-User", "measure")
                      .build(),
                  HttpResponse.BodyHandlers.ofInputStream());
          if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode());
          }
          byte[] body = response.body().readAllBytes();
          bytes += body.length;
          token = continueToken(body);
          pages++;
          if (pages == 1) {
            first = System.nanoTime() - start;
          }
        } while (token != null);
        long all = System.nanoTime() - start;
        System.out.printf(
            "round %d: %d sessions, %d pages of 500 as Tables, %.1f MB: first page %d ms, all %d"
                + " ms%n",
            round, count, pages, bytes / 1e6, first / 1_000_000, all / 1_000_000);
      }
    } finally {
      kubernetes.close();
      mock.destroy();
    }
  }

  /** metadata.continue, read from the Table's head (it precedes the rows). */
  private static String continueToken(byte[] body) {
    String head = new String(body, 0, Math.min(body.length, 4096), StandardCharsets.UTF_8);
    int at = head.indexOf("\"continue\":\"");
    if (at < 0) {
      return null;
    }
    int from = at + "\"continue\":\"".length();
    return head.substring(from, head.indexOf('"', from));
  }

  private static SessionSource memorySource(int count) {
    InMemorySessionSource source = new InMemorySessionSource();
    Instant now = Instant.now();
    List<Session> sessions = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String name = String.format("device-%06d-mqtt-%08x", i, i * 2654435761L & 0xffffffffL);
      boolean denied = i % 7 == 0;
      PolicyVerdict decision =
          denied ? new PolicyVerdict(PolicyVerdict.DENIED, "fleet", "deny[0]") : PolicyVerdict.NONE;
      sessions.add(
          new Session(
              "ns-" + (i % 20),
              name,
              1,
              now.minusSeconds(3600),
              new Connection(
                  String.format("device-%06d", i),
                  String.format("%08x", i),
                  "mqtt",
                  "client-" + i,
                  "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255),
                  "owner",
                  null,
                  List.of()),
              "owner",
              now.minusSeconds(2),
              decision,
              denied ? List.of(decision) : List.of()));
    }

    source.putQuietly(sessions);
    return source;
  }

  private static SessionSource storeSource(int count) throws InterruptedException {
    SessionStore store = new SessionStore(Clock.systemUTC());
    List<io.cpol.beebotte.Connection> connections = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      connections.add(
          new Connection(
              String.format("device-%06d", i),
              String.format("%08x", i),
              "mqtt",
              "client-" + i,
              "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255),
              "acme",
              null,
              List.of()));
    }
    ListedPolicy policy =
        new ListedPolicy(
            "fleet",
            "revoke",
            io.cpol.enforce.TestSpecs.compile("deny: [{userids: [device-000042]}]"));
    store.listed(
        new Object(),
        new AccountListing(
            "https://api.beebotte.com", "acme", connections, Instant.now(), List.of(policy)));
    while (store.list(SessionQuery.all(null), 1, null).items().isEmpty()) {
      Thread.sleep(50);
    }
    return store;
  }
}
