package io.cpol.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.Subscription;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sessions API server over real HTTPS with client certificates, its front-proxy ConfigMap and
 * SubjectAccessReviews served by Fabric8's mock API server (which has no RBAC of its own: the
 * reviews' answers are decided here, "mallory" being denied).
 */
class SessionsApiServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";
  private static final String KUBECTL_GET =
      TABLE + ",application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
  private static final String BASE = "/apis/live.beebotte.io/v1alpha1";
  private static final String PROXY_NAME = "front-proxy-client";

  /** Now, to the second: the test certificates are valid around the real time. */
  private static final Instant NOW =
      Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);

  private static KubernetesMockServer mock;
  private static KubernetesClient kubernetes;
  private static final AtomicReference<Map<String, String>> configMap = new AtomicReference<>();
  private static final List<JsonNode> reviews = new CopyOnWriteArrayList<>();
  private static TestPki.Issued frontProxyCa;
  private static TestPki.Issued proxyClient;

  private final AtomicBoolean leader = new AtomicBoolean(true);
  private final Map<SSLContext, HttpClient> clients = new HashMap<>();
  private InMemorySessionSource source;
  private SessionsApiServer server;
  private X509Certificate servingCa;

  @BeforeAll
  static void apiServer() {
    frontProxyCa = TestPki.ca("front-proxy-ca");
    proxyClient = TestPki.client(frontProxyCa, PROXY_NAME);
    mock = MockAuthorizationApi.start(configMap::get, SessionsApiServerTest::answerReview);
    kubernetes = mock.createClient();
  }

  @AfterAll
  static void stopApiServer() {
    kubernetes.close();
    mock.destroy();
  }

  private static Object answerReview(io.fabric8.mockwebserver.http.RecordedRequest request) {
    try {
      JsonNode review = JSON.readTree(request.getBody().readUtf8());
      reviews.add(review);
      boolean denied = review.path("spec").path("user").asText().equals("mallory");
      Map<String, Object> answer = new HashMap<>(JSON.convertValue(review, Map.class));
      answer.put(
          "status",
          denied
              ? Map.of("allowed", false, "reason", "no RBAC policy matched")
              : Map.of("allowed", true));
      return answer;
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, String> frontProxyData(String allowedNames) {
    return Map.of(
        "requestheader-client-ca-file", frontProxyCa.pem(),
        "requestheader-allowed-names", allowedNames,
        "requestheader-username-headers", "[\"X-Remote-User\"]",
        "requestheader-group-headers", "[\"X-Remote-Group\"]",
        "requestheader-extra-headers-prefix", "[\"X-Remote-Extra-\"]");
  }

  @BeforeEach
  void start() throws Exception {
    configMap.set(frontProxyData("[\"" + PROXY_NAME + "\"]"));
    reviews.clear();
    source = new InMemorySessionSource();
    server = startServer(null);
    servingCa = PemCodec.certificates(server.generatedCaPem()).get(0);
  }

  private SessionsApiServer startServer(Path tlsDirectory) throws Exception {
    return startServer(tlsDirectory, 1);
  }

  private SessionsApiServer startServer(Path tlsDirectory, int minPageSize) throws Exception {
    return SessionsApiServer.start(
        new SessionsApiSettings(
            "127.0.0.1",
            0,
            tlsDirectory,
            List.of("localhost", "127.0.0.1"),
            Duration.ofMillis(100),
            Duration.ofMinutes(1),
            minPageSize),
        source,
        leader::get,
        kubernetes,
        Clock.fixed(NOW, java.time.ZoneOffset.UTC));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static Session session(
      String namespace, String name, String userid, String protocol, PolicyVerdict decision) {
    return new Session(
        namespace,
        name,
        0,
        NOW.minusSeconds(600),
        new Connection(
            userid,
            "sid-" + name,
            protocol,
            "client-" + name,
            "10.0.0." + (Math.abs(name.hashCode()) % 250),
            "owner",
            protocol.equals("socketio") ? "user-" + name : null,
            protocol.equals("socketio")
                ? List.of(new Subscription("chan", "temp", true, false))
                : List.of()),
        "owner",
        NOW.minusSeconds(5),
        decision,
        decision.policy() == null ? List.of() : List.of(decision));
  }

  private static final PolicyVerdict DENIED =
      new PolicyVerdict(PolicyVerdict.DENIED, "no-guests", "deny[0]");

  private HttpResponse<String> get(SSLContext tls, String path, String accept, String user)
      throws Exception {
    return send(tls, "GET", path, accept, user);
  }

  private HttpResponse<String> send(
      SSLContext tls, String method, String path, String accept, String user) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(20));
    if (accept != null) {
      request.header("Accept", accept);
    }
    if (user != null) {
      request.header("X-Remote-User", user).header("X-Remote-Group", "viewers");
      request.header("X-Remote-Extra-Scopes", "a");
    }
    return client(tls).send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpClient client(SSLContext tls) {
    return clients.computeIfAbsent(
        tls,
        t -> HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(t).build());
  }

  private SSLContext proxy() throws Exception {
    return TestPki.clientContext(proxyClient, servingCa);
  }

  private HttpResponse<String> asProxy(String path, String accept) throws Exception {
    return get(proxy(), path, accept, "alice");
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }

  private static void assertStatus(HttpResponse<String> response, int code, String reason)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(code);
    JsonNode status = json(response);
    assertThat(status.path("kind").asText()).isEqualTo("Status");
    assertThat(status.path("apiVersion").asText()).isEqualTo("v1");
    assertThat(status.path("status").asText()).isEqualTo("Failure");
    assertThat(status.path("reason").asText()).isEqualTo(reason);
    assertThat(status.path("code").asInt()).isEqualTo(code);
  }

  @Test
  void refusesAClientWithoutACertificate() throws Exception {
    HttpResponse<String> r =
        get(TestPki.clientContext(null, servingCa), BASE + "/sessions", null, "alice");

    assertStatus(r, 401, "Unauthorized");
    assertThat(reviews).isEmpty();
  }

  @Test
  void refusesACertificateOfAnotherCaWith401() throws Exception {
    TestPki.Issued otherCa = TestPki.ca("front-proxy-ca");
    SSLContext impostor = TestPki.clientContext(TestPki.client(otherCa, PROXY_NAME), servingCa);

    assertStatus(get(impostor, BASE + "/sessions", null, "alice"), 401, "Unauthorized");
    assertThat(reviews).isEmpty();
  }

  @Test
  void refusesACommonNameNotAllowedUntilTheConfigMapAllowsAny() throws Exception {
    SSLContext other =
        TestPki.clientContext(TestPki.client(frontProxyCa, "someone-else"), servingCa);
    assertStatus(get(other, BASE + "/sessions", null, "alice"), 401, "Unauthorized");

    // An empty list allows any name the CA signed, as kube-apiserver reads it; re-read live.
    configMap.set(frontProxyData("[]"));
    server.refreshFrontProxy();

    assertThat(get(other, BASE + "/sessions", null, "alice").statusCode()).isEqualTo(200);
  }

  @Test
  void refusesARequestWithoutAUserHeader() throws Exception {
    assertStatus(get(proxy(), BASE + "/sessions", null, null), 401, "Unauthorized");
  }

  @Test
  void answers403WhenTheReviewDeniesWithTheUserAndAttributesReviewed() throws Exception {
    HttpResponse<String> r = get(proxy(), BASE + "/namespaces/shop/sessions", null, "mallory");

    assertStatus(r, 403, "Forbidden");
    assertThat(json(r).path("message").asText())
        .isEqualTo(
            "sessions.live.beebotte.io is forbidden: User \"mallory\" cannot list resource"
                + " \"sessions\" in API group \"live.beebotte.io\" in the namespace \"shop\":"
                + " no RBAC policy matched");
    JsonNode spec = reviews.get(reviews.size() - 1).path("spec");
    assertThat(spec.path("user").asText()).isEqualTo("mallory");
    assertThat(spec.path("groups").toString()).isEqualTo("[\"viewers\",\"system:authenticated\"]");
    assertThat(spec.path("extra").path("scopes").toString()).isEqualTo("[\"a\"]");
    JsonNode attributes = spec.path("resourceAttributes");
    assertThat(attributes.path("group").asText()).isEqualTo("live.beebotte.io");
    assertThat(attributes.path("resource").asText()).isEqualTo("sessions");
    assertThat(attributes.path("verb").asText()).isEqualTo("list");
    assertThat(attributes.path("namespace").asText()).isEqualTo("shop");
  }

  @Test
  void reviewsGetAndWatchWithTheirVerbsAndKeepsAnAllowedAnswerBriefly() throws Exception {
    source.put(session("shop", "s1", "u1", "mqtt", PolicyVerdict.NONE));
    asProxy(BASE + "/namespaces/shop/sessions/s1", null);
    asProxy(BASE + "/namespaces/shop/sessions/s1", null);
    asProxy(BASE + "/namespaces/shop/sessions?watch=1&timeoutSeconds=1", null);

    assertThat(reviews).hasSize(2);
    JsonNode get = reviews.get(0).path("spec").path("resourceAttributes");
    assertThat(get.path("verb").asText()).isEqualTo("get");
    assertThat(get.path("name").asText()).isEqualTo("s1");
    assertThat(reviews.get(1).path("spec").path("resourceAttributes").path("verb").asText())
        .isEqualTo("watch");
  }

  @Test
  void servesDiscoveryAndTheAggregatorsAvailabilityCheck() throws Exception {
    // What kube-aggregator's availability controller sends, with its proxy certificate.
    HttpRequest check =
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + BASE))
            .header("X-Remote-User", "system:kube-aggregator")
            .header("X-Remote-Group", "system:masters")
            .build();
    HttpResponse<String> resources =
        client(proxy()).send(check, HttpResponse.BodyHandlers.ofString());
    assertThat(resources.statusCode()).isEqualTo(200);
    JsonNode list = json(resources);
    assertThat(list.path("kind").asText()).isEqualTo("APIResourceList");
    assertThat(list.path("groupVersion").asText()).isEqualTo("live.beebotte.io/v1alpha1");
    JsonNode sessions = list.path("resources").get(0);
    assertThat(sessions.path("name").asText()).isEqualTo("sessions");
    assertThat(sessions.path("singularName").asText()).isEqualTo("session");
    assertThat(sessions.path("kind").asText()).isEqualTo("Session");
    assertThat(sessions.path("namespaced").asBoolean()).isTrue();
    assertThat(sessions.path("verbs").toString()).isEqualTo("[\"get\",\"list\",\"watch\"]");
    assertThat(sessions.path("shortNames").toString()).isEqualTo("[\"bbs\"]");
    JsonNode review = reviews.get(0).path("spec");
    assertThat(review.path("nonResourceAttributes").path("path").asText()).isEqualTo(BASE);

    JsonNode group = json(asProxy("/apis/live.beebotte.io", null));
    assertThat(group.path("kind").asText()).isEqualTo("APIGroup");
    assertThat(group.path("preferredVersion").path("version").asText()).isEqualTo("v1alpha1");
    JsonNode groups = json(asProxy("/apis", "application/json"));
    assertThat(groups.path("kind").asText()).isEqualTo("APIGroupList");
    assertThat(groups.path("groups").get(0).path("name").asText()).isEqualTo("live.beebotte.io");

    // Aggregated discovery is not served: 406 sends kube-aggregator to the per-version document.
    assertStatus(
        asProxy("/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"),
        406,
        "NotAcceptable");
  }

  @Test
  void servesOpenApiWithFieldDescriptions() throws Exception {
    JsonNode index = json(asProxy("/openapi/v3", null));
    String url =
        index
            .path("paths")
            .path("apis/live.beebotte.io/v1alpha1")
            .path("serverRelativeURL")
            .asText();
    assertThat(url).startsWith("/openapi/v3/apis/live.beebotte.io/v1alpha1?hash=");

    HttpResponse<String> v3 = asProxy(url, null);
    assertThat(v3.headers().firstValue("ETag")).isPresent();
    JsonNode session =
        json(v3).path("components").path("schemas").path("io.beebotte.live.v1alpha1.Session");
    assertThat(session.path("x-kubernetes-group-version-kind").get(0).path("kind").asText())
        .isEqualTo("Session");
    assertThat(session.path("properties").path("verdict").path("description").asText())
        .contains("WouldDrop");
    assertThat(
            json(asProxy("/openapi/v2", null))
                .path("definitions")
                .has("io.beebotte.live.v1alpha1.Session"))
        .isTrue();
  }

  @Test
  void healthNeedsNoCertificate() throws Exception {
    SSLContext anonymous = TestPki.clientContext(null, servingCa);
    for (String path : List.of("/healthz", "/livez", "/readyz")) {
      HttpResponse<String> r = get(anonymous, path, null, null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
    }
  }

  @Test
  void servesObjectsAndKubectlsTable() throws Exception {
    source.put(session("shop", "a-socket", "device-1", "socketio", DENIED));
    source.put(session("shop", "b-mqtt", "device-2", "mqtt", PolicyVerdict.NONE));
    source.put(session("other", "c-mqtt", "device-3", "mqtt", PolicyVerdict.NONE));

    JsonNode object = json(asProxy(BASE + "/namespaces/shop/sessions/a-socket", null));
    assertThat(object.path("apiVersion").asText()).isEqualTo("live.beebotte.io/v1alpha1");
    assertThat(object.path("kind").asText()).isEqualTo("Session");
    assertThat(object.path("metadata").path("uid").asText())
        .isEqualTo(SessionJson.uid("shop", "a-socket"));
    assertThat(object.path("metadata").path("labels").toString())
        .isEqualTo("{\"protocol\":\"socketio\",\"verdict\":\"Denied\",\"policy\":\"no-guests\"}");
    assertThat(object.path("metadata").path("creationTimestamp").asText())
        .isEqualTo(NOW.minusSeconds(600).toString());
    assertThat(object.path("userid").asText()).isEqualTo("device-1");
    assertThat(object.path("subscriptions").get(0).path("channel").asText()).isEqualTo("chan");
    assertThat(object.path("verdict").asText()).isEqualTo("Denied");
    assertThat(object.path("rule").asText()).isEqualTo("deny[0]");
    assertThat(object.path("evaluations").get(0).path("policy").asText()).isEqualTo("no-guests");

    JsonNode list = json(asProxy(BASE + "/namespaces/shop/sessions", null));
    assertThat(list.path("kind").asText()).isEqualTo("SessionList");
    assertThat(list.path("items")).hasSize(2);

    JsonNode table = json(asProxy(BASE + "/sessions", KUBECTL_GET));
    assertThat(table.path("kind").asText()).isEqualTo("Table");
    assertThat(table.path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1");
    List<String> columns = new ArrayList<>();
    table.path("columnDefinitions").forEach(c -> columns.add(c.path("name").asText()));
    assertThat(columns)
        .startsWith(
            "Name", "Userid", "Protocol", "Client IP", "Verdict", "Policy", "Rule", "Listed");
    assertThat(table.path("columnDefinitions").get(8).path("priority").asInt()).isEqualTo(1);
    assertThat(table.path("rows")).hasSize(3);
    JsonNode row = table.path("rows").get(1);
    assertThat(row.path("cells").get(0).asText()).isEqualTo("a-socket");
    assertThat(row.path("cells").get(4).asText()).isEqualTo("Denied");
    assertThat(row.path("cells").get(7).asText()).isEqualTo("5s");
    assertThat(row.path("cells").get(10).asText()).isEqualTo("chan.temp");
    assertThat(row.path("object").path("kind").asText()).isEqualTo("PartialObjectMetadata");
    assertThat(row.path("object").path("metadata").path("namespace").asText()).isEqualTo("shop");

    JsonNode withObjects = json(asProxy(BASE + "/sessions?includeObject=Object", TABLE));
    assertThat(withObjects.path("rows").get(0).path("object").path("kind").asText())
        .isEqualTo("Session");
    JsonNode one = json(asProxy(BASE + "/namespaces/shop/sessions/b-mqtt", TABLE));
    assertThat(one.path("rows")).hasSize(1);

    assertStatus(asProxy(BASE + "/namespaces/shop/sessions/gone", null), 404, "NotFound");
    assertStatus(
        asProxy(BASE + "/sessions", "application/vnd.kubernetes.protobuf"), 406, "NotAcceptable");
  }

  @Test
  void pagesThroughContinueTokens() throws Exception {
    List<Session> many = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      many.add(
          session(
              "ns-" + (i % 3), String.format("s-%04d", i), "u" + i, "mqtt", PolicyVerdict.NONE));
    }
    source.putQuietly(many);

    List<String> names = new ArrayList<>();
    String token = null;
    int pages = 0;
    do {
      String path = BASE + "/sessions?limit=500" + (token == null ? "" : "&continue=" + token);
      JsonNode table = json(asProxy(path, KUBECTL_GET));
      table
          .path("rows")
          .forEach(
              r ->
                  names.add(
                      r.path("object").path("metadata").path("namespace").asText()
                          + "/"
                          + r.path("cells").get(0).asText()));
      token = table.path("metadata").path("continue").asText(null);
      if (token != null) {
        assertThat(table.path("metadata").path("remainingItemCount").asLong())
            .isEqualTo(1200 - names.size());
      }
      pages++;
    } while (token != null);

    assertThat(pages).isEqualTo(3);
    assertThat(names).hasSize(1200).doesNotHaveDuplicates().isSorted();
  }

  @Test
  void alsoMatchedNamesOnlyThePoliciesARuleOfWhichMatched() throws Exception {
    Session base = session("shop", "z", "device-9", "mqtt", DENIED);
    source.put(
        new Session(
            base.namespace(),
            base.name(),
            base.resourceVersion(),
            base.firstSeen(),
            base.connection(),
            base.account(),
            base.listedAt(),
            DENIED,
            List.of(
                new PolicyVerdict(PolicyVerdict.ALLOWED, "kept", "allow[0]"),
                DENIED,
                new PolicyVerdict(PolicyVerdict.ALLOWED, "unmatched", null))));
    JsonNode row =
        json(asProxy(BASE + "/namespaces/shop/sessions", KUBECTL_GET)).path("rows").get(0);
    assertThat(row.path("cells").get(13).asText()).isEqualTo("kept:Allowed(allow[0])");
  }

  @Test
  void aPageHoldsAtLeastTheServersMinimum() throws Exception {
    List<Session> many = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      many.add(session("ns", String.format("s-%04d", i), "u" + i, "mqtt", PolicyVerdict.NONE));
    }
    source.putQuietly(many);
    server.close();
    server = startServer(null, 700);
    servingCa = PemCodec.certificates(server.generatedCaPem()).get(0);

    // kubectl asks for 500; a server may support limit in part: it sends 700, then the rest.
    JsonNode first = json(asProxy(BASE + "/sessions?limit=500", KUBECTL_GET));
    assertThat(first.path("rows")).hasSize(700);
    assertThat(first.path("metadata").path("remainingItemCount").asLong()).isEqualTo(500);
    String token = first.path("metadata").path("continue").asText();
    JsonNode second = json(asProxy(BASE + "/sessions?limit=500&continue=" + token, KUBECTL_GET));
    assertThat(second.path("rows")).hasSize(500);
    assertThat(second.path("metadata").path("continue").asText(null)).isNull();
    // A page as large as asked or larger is served as asked.
    assertThat(json(asProxy(BASE + "/sessions?limit=900", KUBECTL_GET)).path("rows")).hasSize(900);
  }

  @Test
  void filtersByLabelAndFieldSelectorsAndRefusesABadOne() throws Exception {
    source.put(session("shop", "a", "device-0042", "mqtt", DENIED));
    source.put(session("shop", "b", "device-0043", "socketio", PolicyVerdict.NONE));
    source.put(session("shop", "c", "device-0044", "mqtt", PolicyVerdict.NONE));

    assertThat(names(BASE + "/sessions?labelSelector=verdict%3DDenied")).containsExactly("a");
    assertThat(names(BASE + "/sessions?labelSelector=protocol+in+%28mqtt%29%2C%21policy"))
        .containsExactly("c");
    assertThat(names(BASE + "/namespaces/shop/sessions?fieldSelector=userid%3Ddevice-0043"))
        .containsExactly("b");
    assertThat(names(BASE + "/sessions?fieldSelector=sid%21%3Dsid-a")).containsExactly("b", "c");

    assertStatus(
        asProxy(BASE + "/sessions?labelSelector=verdict%3D%3D%3D", null), 400, "BadRequest");
    assertStatus(asProxy(BASE + "/sessions?fieldSelector=spec.x%3D1", null), 400, "BadRequest");
    assertStatus(asProxy(BASE + "/sessions?continue=%21%21", null), 400, "BadRequest");
  }

  private List<String> names(String path) throws Exception {
    List<String> names = new ArrayList<>();
    json(asProxy(path, null))
        .path("items")
        .forEach(i -> names.add(i.path("metadata").path("name").asText()));
    return names;
  }

  @Test
  void answers410ForAnExpiredContinueTokenOrWatchVersion() throws Exception {
    for (int i = 0; i < 3; i++) {
      source.put(session("shop", "s" + i, "u" + i, "mqtt", PolicyVerdict.NONE));
    }
    JsonNode first = json(asProxy(BASE + "/sessions?limit=1", null));
    String token = first.path("metadata").path("continue").asText();
    String version = first.path("metadata").path("resourceVersion").asText();
    source.forgetBefore();

    assertStatus(asProxy(BASE + "/sessions?limit=1&continue=" + token, null), 410, "Expired");
    HttpResponse<String> watch =
        asProxy(BASE + "/sessions?watch=true&resourceVersion=" + version, null);
    assertThat(watch.statusCode()).isEqualTo(200);
    JsonNode error = JSON.readTree(watch.body().lines().findFirst().orElseThrow());
    assertThat(error.path("type").asText()).isEqualTo("ERROR");
    assertThat(error.path("object").path("code").asInt()).isEqualTo(410);
    assertThat(error.path("object").path("reason").asText()).isEqualTo("Expired");
  }

  @Test
  void watchesAddedModifiedAndDeletedSessionsAsObjectsAndTables() throws Exception {
    source.put(session("shop", "old", "u0", "mqtt", PolicyVerdict.NONE));
    String version = Long.toString(source.version());
    BlockingQueue<JsonNode> json =
        watch(BASE + "/namespaces/shop/sessions?watch=1&resourceVersion=" + version, null);
    BlockingQueue<JsonNode> table = watch(BASE + "/sessions?watch=true&timeoutSeconds=30", TABLE);
    JsonNode initial = table.poll(10, TimeUnit.SECONDS);
    assertThat(initial.path("type").asText()).isEqualTo("ADDED");

    source.put(session("shop", "new", "u1", "mqtt", PolicyVerdict.NONE));
    source.put(session("shop", "new", "u1", "mqtt", DENIED));
    source.put(session("elsewhere", "x", "u2", "mqtt", PolicyVerdict.NONE));
    source.remove("shop", "new");

    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      JsonNode event = json.poll(10, TimeUnit.SECONDS);
      assertThat(event).as("event %d", i).isNotNull();
      seen.add(
          event.path("type").asText()
              + " "
              + event.path("object").path("metadata").path("name").asText()
              + " "
              + event.path("object").path("verdict").asText());
    }
    assertThat(seen)
        .containsExactly("ADDED new Allowed", "MODIFIED new Denied", "DELETED new Denied");

    List<String> rows = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      JsonNode event = table.poll(10, TimeUnit.SECONDS);
      assertThat(event.path("object").path("kind").asText()).isEqualTo("Table");
      assertThat(event.path("object").path("rows")).hasSize(1);
      rows.add(
          event.path("type").asText()
              + " "
              + event.path("object").path("rows").get(0).path("cells").get(0).asText());
    }
    assertThat(rows).containsExactly("ADDED new", "MODIFIED new", "ADDED x", "DELETED new");
  }

  @Test
  void endsAWatchAtItsTimeout() throws Exception {
    long started = System.nanoTime();
    HttpResponse<String> r = asProxy(BASE + "/sessions?watch=true&timeoutSeconds=1", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json;stream=watch");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
  }

  private BlockingQueue<JsonNode> watch(String path, String accept) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + path))
            .header("X-Remote-User", "alice");
    if (accept != null) {
      request.header("Accept", accept);
    }
    HttpResponse<Stream<String>> response =
        client(proxy()).send(request.build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                response.body().forEach(line -> events.add(parse(line)));
              } catch (java.io.UncheckedIOException e) {
                // The server stopped at the end of the test.
              }
            },
            "watch-reader");
    reader.setDaemon(true);
    reader.start();
    return events;
  }

  private static JsonNode parse(String line) {
    try {
      return JSON.readTree(line);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(line, e);
    }
  }

  @Test
  void aStandbyAnswers503ForSessionsButServesDiscovery() throws Exception {
    leader.set(false);

    HttpResponse<String> r = asProxy(BASE + "/sessions", null);
    assertStatus(r, 503, "ServiceUnavailable");
    assertThat(json(r).path("message").asText()).startsWith("this replica is a standby");
    assertThat(asProxy(BASE, null).statusCode()).isEqualTo(200);
  }

  @Test
  void refusesOtherMethodsWith405() throws Exception {
    assertStatus(
        send(proxy(), "POST", BASE + "/namespaces/shop/sessions", null, "alice"),
        405,
        "MethodNotAllowed");
    assertStatus(
        send(proxy(), "DELETE", BASE + "/namespaces/shop/sessions/x", null, "alice"),
        405,
        "MethodNotAllowed");
  }

  @Test
  void servesARenewedCertificateFromItsFilesWithoutARestart(@TempDir Path tls) throws Exception {
    TestPki.Issued ca = TestPki.ca("sessions-ca");
    TestPki.Issued first = TestPki.server(ca, "localhost", "127.0.0.1");
    TestPki.writeTlsFiles(tls, first);
    server.close();
    server = startServer(tls);
    assertThat(server.generatedCaPem()).isNull();
    assertThat(servedCertificate(ca)).isEqualTo(first.certificate());
    assertThat(
            get(TestPki.clientContext(proxyClient, ca.certificate()), BASE, null, "alice")
                .statusCode())
        .isEqualTo(200);

    TestPki.Issued renewed = TestPki.server(ca, "localhost", "127.0.0.1");
    TestPki.writeTlsFiles(tls, renewed);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(servedCertificate(ca)).isEqualTo(renewed.certificate()));
  }

  /** The certificate a fresh handshake gets. */
  private X509Certificate servedCertificate(TestPki.Issued ca) throws Exception {
    SSLContext tls = TestPki.clientContext(null, ca.certificate());
    try (SSLSocket socket =
        (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", server.port())) {
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }
}
