package io.cpol.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure parts of the sessions API: routes, query parameters, content negotiation, ages, PEM. */
class SessionsApiPartsTest {

  @Test
  void routesPaths() {
    assertThat(ApiRoute.of("/apis/live.beebotte.io/v1alpha1/sessions"))
        .isEqualTo(new ApiRoute(ApiRoute.Kind.SESSIONS, null, null));
    assertThat(ApiRoute.of("/apis/live.beebotte.io/v1alpha1/namespaces/shop/sessions/"))
        .isEqualTo(new ApiRoute(ApiRoute.Kind.SESSIONS, "shop", null));
    assertThat(ApiRoute.of("/apis/live.beebotte.io/v1alpha1/namespaces/shop/sessions/s-1"))
        .isEqualTo(new ApiRoute(ApiRoute.Kind.SESSIONS, "shop", "s-1"));
    assertThat(ApiRoute.of("/apis/live.beebotte.io/v1alpha1/namespaces/shop/pods").kind())
        .isEqualTo(ApiRoute.Kind.UNKNOWN);
    assertThat(ApiRoute.of("/apis/live.beebotte.io/v1alpha1/namespaces/shop/sessions/a/b").kind())
        .isEqualTo(ApiRoute.Kind.UNKNOWN);
    assertThat(ApiRoute.of("/apis/live.beebotte.io/v1alpha1").kind())
        .isEqualTo(ApiRoute.Kind.API_RESOURCE_LIST);
    assertThat(ApiRoute.of("/livez").kind()).isEqualTo(ApiRoute.Kind.HEALTH);
  }

  @Test
  void parsesQueryParametersAsKubeApiserverDoes() {
    ListOptions o =
        ListOptions.parse(
            "limit=500&continue=abc&labelSelector=verdict%3DDenied&watch=1&timeoutSeconds=30"
                + "&allowWatchBookmarks=true&includeObject=Object&resourceVersion=12");
    assertThat(o.limit()).isEqualTo(500);
    assertThat(o.continueToken()).isEqualTo("abc");
    assertThat(o.watch()).isTrue();
    assertThat(o.timeoutSeconds()).isEqualTo(30);
    assertThat(o.allowWatchBookmarks()).isTrue();
    assertThat(o.includeObject()).isEqualTo(SessionTable.IncludeObject.OBJECT);
    assertThat(o.resourceVersion()).isEqualTo("12");
    assertThat(ListOptions.parse(null).includeObject())
        .isEqualTo(SessionTable.IncludeObject.METADATA);
    assertThat(
            ListOptions.parse("fieldSelector=userid%3Du1").fields("s-1").equalTo("metadata.name"))
        .isEqualTo("s-1");

    assertThatThrownBy(() -> ListOptions.parse("limit=-1")).hasMessageContaining("limit");
    assertThatThrownBy(() -> ListOptions.parse("watch=maybe")).hasMessageContaining("boolean");
    assertThatThrownBy(() -> ListOptions.parse("includeObject=All"))
        .hasMessageContaining("includeObject");
  }

  @Test
  void negotiatesObjectsOrTables() {
    assertThat(ResponseFormat.negotiate(null)).isEqualTo(ResponseFormat.JSON);
    assertThat(
            ResponseFormat.negotiate(
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
                    + "g=meta.k8s.io,application/json"))
        .isEqualTo(ResponseFormat.TABLE_V1);
    assertThat(ResponseFormat.negotiate("application/json;as=Table;v=v1beta1;g=meta.k8s.io"))
        .isEqualTo(ResponseFormat.TABLE_V1BETA1);
    assertThat(
            ResponseFormat.negotiate(
                "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,"
                    + "application/json"))
        .isEqualTo(ResponseFormat.JSON);
    assertThat(ResponseFormat.negotiate("application/vnd.kubernetes.protobuf")).isNull();
    assertThat(
            ResponseFormat.acceptsPlainJson(
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"))
        .isFalse();
  }

  @Test
  void printsAgesAsKubectlDoes() {
    assertThat(HumanDuration.of(Duration.ofSeconds(5))).isEqualTo("5s");
    assertThat(HumanDuration.of(Duration.ofSeconds(119))).isEqualTo("119s");
    assertThat(HumanDuration.of(Duration.ofSeconds(150))).isEqualTo("2m30s");
    assertThat(HumanDuration.of(Duration.ofMinutes(90))).isEqualTo("90m");
    assertThat(HumanDuration.of(Duration.ofMinutes(5 * 60 + 7))).isEqualTo("5h7m");
    assertThat(HumanDuration.of(Duration.ofHours(30))).isEqualTo("30h");
    assertThat(HumanDuration.of(Duration.ofHours(75))).isEqualTo("3d3h");
    assertThat(HumanDuration.of(Duration.ofSeconds(-1))).isEqualTo("0s");
  }

  @Test
  void readsAnRsaKeyInPkcs1AsCertManagerWritesItByDefault() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    var keys = rsa.generateKeyPair();
    String pkcs1 = PemCodec.encode(keys);
    assertThat(pkcs1).startsWith("-----BEGIN RSA PRIVATE KEY-----");

    assertThat(PemCodec.privateKey(pkcs1).getEncoded()).isEqualTo(keys.getPrivate().getEncoded());
    assertThatThrownBy(() -> PemCodec.privateKey("not a key"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void endsAWatchThatFallsBehindRatherThanGrowing() throws Exception {
    WatchStream stream = new WatchStream(2);
    Session s =
        new Session(
            "ns",
            "a",
            1,
            null,
            new io.cpol.beebotte.Connection("u", "s", "mqtt", null, null, null, null, List.of()),
            null,
            null,
            PolicyVerdict.NONE,
            List.of());
    for (int i = 0; i < 3; i++) {
      stream.event(new SessionEvent(SessionEvent.Type.ADDED, s, i));
    }
    assertThat(stream.overflowed()).isTrue();
    assertThat(stream.next(0).resourceVersion()).isZero();
    assertThat(stream.next(0).resourceVersion()).isEqualTo(1);
    assertThat(stream.next(0)).as("nothing after the refused event").isNull();
  }
}
