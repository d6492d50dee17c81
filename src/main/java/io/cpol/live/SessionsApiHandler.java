package io.cpol.live;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsExchange;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request of the sessions API, in kube-apiserver's order: authenticate (front-proxy client
 * certificate and headers; the health paths need none, as the kubelet's probes have none),
 * authorize (a SubjectAccessReview), then answer. Discovery and OpenAPI are answered by every
 * replica; sessions only by the leader, which holds the listings (a standby answers 503).
 */
final class SessionsApiHandler implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(SessionsApiHandler.class);
  private static final byte[] OK = "ok".getBytes(StandardCharsets.UTF_8);

  private final FrontProxyAuthenticator authenticator;
  private final AccessReviewer reviewer;
  private final BooleanSupplier leader;
  private final SessionResponses sessions;
  private final SessionsOpenApi openApi = new SessionsOpenApi();
  private final byte[] groupList = SessionsApi.groupList();
  private final byte[] group = SessionsApi.group();
  private final byte[] resourceList = SessionsApi.resourceList();

  SessionsApiHandler(
      FrontProxyAuthenticator authenticator,
      AccessReviewer reviewer,
      BooleanSupplier leader,
      SessionResponses sessions) {
    this.authenticator = authenticator;
    this.reviewer = reviewer;
    this.leader = leader;
    this.sessions = sessions;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      serve(ex);
    } catch (IOException e) {
      // The client left (a closed watch, a cancelled kubectl): nothing to answer.
      log.debug("sessions API: {} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
    } catch (RuntimeException e) {
      log.warn("sessions API: {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
      if (ex.getResponseCode() < 0) {
        ApiServerResponses.status(ex, ApiStatus.internalError(e.toString()));
      }
    }
  }

  private void serve(HttpExchange ex) throws IOException {
    ApiRoute route = ApiRoute.of(ex.getRequestURI().getRawPath());
    boolean read = "GET".equals(ex.getRequestMethod()) || "HEAD".equals(ex.getRequestMethod());
    if (route.kind() == ApiRoute.Kind.HEALTH) {
      if (read) {
        ApiServerResponses.send(ex, 200, "text/plain; charset=utf-8", OK);
      } else {
        ApiServerResponses.status(ex, ApiStatus.methodNotAllowed());
      }
      return;
    }
    FrontProxyAuthenticator.Outcome who =
        authenticator.authenticate(peerCertificates(ex), ex.getRequestHeaders());
    if (who.user() == null) {
      log.debug("sessions API: 401 for {}: {}", ex.getRequestURI().getRawPath(), who.refusal());
      ApiServerResponses.status(ex, ApiStatus.unauthorized());
      return;
    }
    if (route.kind() == ApiRoute.Kind.UNKNOWN) {
      ApiServerResponses.status(ex, ApiStatus.pathNotFound());
      return;
    }
    if (!read) {
      ApiServerResponses.status(ex, ApiStatus.methodNotAllowed());
      return;
    }
    if (route.kind() != ApiRoute.Kind.SESSIONS) {
      if (authorized(ex, who.user(), Access.nonResource(ex.getRequestURI().getRawPath()))) {
        document(ex, route);
      }
      return;
    }
    ListOptions options;
    try {
      options = ListOptions.parse(ex.getRequestURI().getRawQuery());
    } catch (IllegalArgumentException e) {
      ApiServerResponses.status(ex, ApiStatus.badRequest(e.getMessage()));
      return;
    }
    String verb = options.watch() ? "watch" : route.name() != null ? "get" : "list";
    if (!authorized(ex, who.user(), Access.sessions(verb, route.namespace(), route.name()))) {
      return;
    }
    if (!leader.getAsBoolean()) {
      ApiServerResponses.status(ex, ApiStatus.standby());
      return;
    }
    String accept = ex.getRequestHeaders().getFirst("Accept");
    ResponseFormat format = ResponseFormat.negotiate(accept);
    if (format == null) {
      ApiServerResponses.status(ex, ApiStatus.notAcceptable(accept));
      return;
    }
    try {
      if (verb.equals("get")) {
        sessions.get(ex, route, options, format);
        return;
      }
      SessionQuery query =
          new SessionQuery(route.namespace(), options.labels(), options.fields(route.name()));
      if (options.watch()) {
        sessions.watch(ex, query, options, format);
      } else {
        sessions.list(ex, query, options, format);
      }
    } catch (ExpiredException e) {
      ApiServerResponses.status(ex, ApiStatus.expired(e.getMessage()));
    } catch (IllegalArgumentException e) {
      // A malformed selector or continue token, before anything was written.
      ApiServerResponses.status(ex, ApiStatus.badRequest(e.getMessage()));
    }
  }

  private boolean authorized(HttpExchange ex, RequestUser user, Access access) throws IOException {
    AccessReviewer.Decision decision;
    try {
      decision = reviewer.review(user, access);
    } catch (KubernetesClientException e) {
      log.warn("sessions API: SubjectAccessReview failed: {}", e.getMessage());
      ApiServerResponses.status(
          ex, ApiStatus.internalError("could not authorize the request: " + e.getMessage()));
      return false;
    }
    if (!decision.allowed()) {
      ApiServerResponses.status(ex, ApiStatus.forbidden(user, access, decision.reason()));
    }
    return decision.allowed();
  }

  private void document(HttpExchange ex, ApiRoute route) throws IOException {
    String accept = ex.getRequestHeaders().getFirst("Accept");
    switch (route.kind()) {
      case API_GROUP_LIST -> {
        // kube-aggregator asks for aggregated discovery first; 406 makes it fall back to
        // /apis/<group>/<version>, which every aggregated server must serve anyway.
        if (!ResponseFormat.acceptsPlainJson(accept)) {
          ApiServerResponses.status(ex, ApiStatus.notAcceptable(accept));
        } else {
          json(ex, groupList);
        }
      }
      case API_GROUP -> json(ex, group);
      case API_RESOURCE_LIST -> json(ex, resourceList);
      case OPENAPI_V2 -> json(ex, openApi.v2());
      case OPENAPI_V3_INDEX -> json(ex, openApi.v3Index());
      case OPENAPI_V3 -> {
        ex.getResponseHeaders().set("ETag", "\"" + openApi.v3Hash() + "\"");
        String ifNoneMatch = ex.getRequestHeaders().getFirst("If-None-Match");
        if (ifNoneMatch != null && ifNoneMatch.contains(openApi.v3Hash())) {
          ex.sendResponseHeaders(304, -1);
        } else {
          json(ex, openApi.v3());
        }
      }
      default -> ApiServerResponses.status(ex, ApiStatus.pathNotFound());
    }
  }

  private static void json(HttpExchange ex, byte[] body) throws IOException {
    ApiServerResponses.send(ex, 200, SessionResponses.JSON_TYPE, body);
  }

  private static X509Certificate[] peerCertificates(HttpExchange ex) {
    if (!(ex instanceof HttpsExchange https)) {
      return null;
    }
    try {
      Certificate[] chain = https.getSSLSession().getPeerCertificates();
      X509Certificate[] x509 = new X509Certificate[chain.length];
      for (int i = 0; i < chain.length; i++) {
        x509[i] = (X509Certificate) chain[i];
      }
      return x509;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}
