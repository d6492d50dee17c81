package io.cpol.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MediaType;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.JsonDiff;
import io.fabric8.zjsonpatch.JsonPatch;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Fabric8's CRUD mock with what kubectl needs from a real API server, so the sandbox can be driven
 * with the kubectl people already have:
 *
 * <ul>
 *   <li>discovery ({@link Discovery}) built from the stored CRDs, with short names and categories;
 *   <li>server-side printing ({@link ServerTables}) for {@code Accept: ...;as=Table};
 *   <li>field selectors on any field for lists, e.g. the {@code involvedObject.*} ones {@code
 *       kubectl describe} uses to find events (the mock only knows {@code metadata.*});
 *   <li>JSON merge patches that replace lists and remove nulls (RFC 7386; the mock appends to
 *       lists), and strategic merge patches treated as merge patches;
 *   <li>typed list kinds ({@code ConnectionPolicyList}, {@code EventList}), Status bodies on 404,
 *       and Secrets whose {@code stringData} is folded into {@code data} on write.
 * </ul>
 *
 * Watches are still served over WebSockets only, as the mock does; {@link ApiServerFrontend} adds
 * kubectl's HTTP streaming watches on top.
 */
public class ApiServerDispatcher extends KubernetesCrudDispatcher {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final String CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

  // Every write goes through this monitor, so a merge patch reads and replaces one version.
  private final Object writes = new Object();
  private final Clock clock;
  private final Admission admission;

  public ApiServerDispatcher() {
    this(Clock.systemUTC(), false);
  }

  public ApiServerDispatcher(Clock clock) {
    this(clock, false);
  }

  /**
   * @param admission whether writes go through {@link Admission} (schema, CEL, strict field
   *     validation, namespaces, metadata) as on a real API server, or are stored as sent
   */
  public ApiServerDispatcher(Clock clock, boolean admission) {
    this.clock = clock;
    this.admission =
        admission
            ? new Admission(ns -> super.handleGet("/api/v1/namespaces/" + ns).code() == 200)
            : null;
  }

  private final java.util.concurrent.atomic.AtomicInteger failingStatusWrites =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * Failure switch: the next {@code n} writes of a status subresource answer 500, as an API server
   * under trouble (or an admission webhook failing) would.
   */
  public void failNextStatusWrites(int n) {
    failingStatusWrites.set(n);
  }

  /** Whether writes are validated as on a real API server. */
  public boolean validatesWrites() {
    return admission != null;
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    MockResponse response = route(request);
    if (response != null
        && response.getWebSocketListener() == null
        && response.getBody() != null
        && response.getBody().size() > 0
        && response.header("Content-Type") == null) {
      response.setHeader("Content-Type", "application/json");
    }
    return response;
  }

  private MockResponse route(RecordedRequest request) {
    ResourcePath target = ResourcePath.parse(request.getPath());
    if ((request.method() == HttpMethod.PUT || request.method() == HttpMethod.PATCH)
        && target.path().endsWith("/status")
        && failingStatusWrites.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return status(422, "Invalid", "admission webhook \"test.example\" denied the request");
    }
    if (request.method() == HttpMethod.POST) {
      MockResponse review = AccessReviews.answer(target.path(), request);
      if (review != null) {
        return review;
      }
    }
    if (ProtobufObjects.isProtobuf(request.getHeader("Content-Type"))) {
      if (request.method() == HttpMethod.DELETE) {
        // Delete options are ignored here, whatever their encoding.
        request = withBody(request, new byte[0], null);
      } else {
        Optional<ObjectNode> object = ProtobufObjects.decode(request.getBody().getBytes());
        if (object.isEmpty()) {
          return status(
              415,
              "UnsupportedMediaType",
              "the sandbox API reads protobuf for Secrets, ConfigMaps and Namespaces only;"
                  + " send JSON");
        }
        request = withBody(request, bytes(object.get()), "application/json");
      }
    }
    if (admission != null && target.isResource() && isWrite(request)) {
      synchronized (writes) {
        return admitted(request, target);
      }
    }
    return unchecked(request, target);
  }

  private static boolean isWrite(RecordedRequest request) {
    return request.method() == HttpMethod.POST
        || request.method() == HttpMethod.PUT
        || request.method() == HttpMethod.PATCH;
  }

  /** A write that admission lets through, rewritten to what admission made of it. */
  private MockResponse admitted(RecordedRequest request, ResourcePath target) {
    if (request.getBody() != null && request.getBody().size() > Admission.MAX_REQUEST_BYTES) {
      return status(
          413,
          "RequestEntityTooLarge",
          "Request entity too large: limit is " + Admission.MAX_REQUEST_BYTES);
    }
    ApiResource type = typeOf(target);
    if (type == null || "apply-patch+yaml".equals(patchType(request))) {
      return unchecked(request, target);
    }
    JsonNode before = null;
    if (target.name() != null) {
      Map.Entry<AttributeSet, String> current = findResource(getKey(request.getPath()));
      before = current == null ? null : parse(current.getValue());
    }
    JsonNode sent;
    try {
      sent =
          request.method() == HttpMethod.PATCH
              ? (before == null ? null : patched(request, target, before))
              : MAPPER.readTree(text(request.getBody(), "null"));
    } catch (JsonProcessingException | RuntimeException e) {
      return status(400, "BadRequest", "the request body is not valid JSON: " + e.getMessage());
    }
    if (sent == null) {
      return unchecked(request, target);
    }
    if (!sent.isObject()) {
      return status(400, "BadRequest", "the request body must be a JSON object");
    }
    if (type.plural().equals("customresourcedefinitions")) {
      List<FieldError> errors = admission.checkCrd(sent);
      if (!errors.isEmpty()) {
        Admission.Rejection rejection =
            Admission.invalid(type, sent.path("metadata").path("name").asText(""), errors);
        return json(rejection.code(), rejection.status());
      }
    }
    boolean status = "status".equals(target.subresource());
    Admission.Operation operation =
        status
            ? Admission.Operation.STATUS
            : switch (request.method()) {
              case POST -> Admission.Operation.CREATE;
              case PUT -> Admission.Operation.UPDATE;
              default -> Admission.Operation.PATCH;
            };
    Admission.Outcome outcome =
        admission.admit(
            type,
            operation,
            (ObjectNode) sent.deepCopy(),
            before,
            target.namespace(),
            target.query().get("fieldValidation"));
    if (!outcome.admitted()) {
      return json(outcome.rejection().code(), outcome.rejection().status());
    }
    RecordedRequest rewritten =
        request.method() == HttpMethod.PATCH
            ? withBody(
                request,
                bytes(JsonDiff.asJson(before, outcome.object())),
                "application/json-patch+json")
            : withBody(request, bytes(outcome.object()), "application/json");
    MockResponse response = unchecked(rewritten, target);
    for (String warning : outcome.warnings()) {
      response.addHeader("Warning", Admission.warningHeader(warning));
    }
    for (String rule : admission.unsupportedRules(type)) {
      response.addHeader(
          "Warning",
          Admission.warningHeader(
              "not evaluated by the sandbox (unsupported CEL library): " + rule));
    }
    return response;
  }

  private MockResponse unchecked(RecordedRequest request, ResourcePath target) {
    if (target.isResource()
        && request.method() != HttpMethod.GET
        && !target.query().getOrDefault("dryRun", "").isEmpty()) {
      return dryRun(withSecretDefaults(request, target), target);
    }
    switch (request.method()) {
      case GET:
        if (!target.isResource()) {
          JsonNode document = Discovery.document(target.path(), resourceTypes());
          if (document != null) {
            return json(200, document);
          }
          if (target.path().startsWith("/openapi/")) {
            return OpenApi.document(target.path(), resourceTypes())
                .map(d -> json(200, d))
                .orElseGet(() -> notFound(target, null));
          }
          return notFound(target, null);
        }
        if (target.isWatch()) {
          return super.dispatch(withPlainFieldSelector(request, target));
        }
        return read(request, target);
      case POST:
      case PUT:
        return super.dispatch(withSecretDefaults(request, target));
      case DELETE:
        return withStatusOnNotFound(super.dispatch(request), target);
      default:
        return super.dispatch(request);
    }
  }

  /**
   * A watch event as {@code request}'s client should get it over HTTP streaming, or null to skip
   * it: objects the client already has (ADDED at or below the watch's resourceVersion; the mock
   * replays every object when a watch opens) are skipped, and a client that asked for Tables gets
   * each object as a one-row Table, as from a real API server.
   */
  public String watchEventFor(RecordedRequest request, String eventJson) {
    ResourcePath target = ResourcePath.parse(request.getPath());
    JsonNode event = parse(eventJson);
    JsonNode object = event.path("object");
    long since = number(target.query().get("resourceVersion"));
    long version = number(object.path("metadata").path("resourceVersion").asText(null));
    if ("ADDED".equals(event.path("type").asText()) && since > 0 && version <= since) {
      return null;
    }
    String accept = Objects.requireNonNullElse(request.getHeader("Accept"), "");
    ApiResource type = typeOf(target);
    if (!accept.contains("as=Table") || type == null) {
      return eventJson;
    }
    ObjectNode converted = event.deepCopy();
    converted.set(
        "object",
        ServerTables.toTable(object, type, target.query().get("includeObject"), clock.instant()));
    return new String(bytes(converted), StandardCharsets.UTF_8);
  }

  private static long number(String value) {
    try {
      return value == null ? -1 : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * The mock reads a watch's {@code metadata.name} selector by splitting the raw query on '=', so
   * kubectl's percent-encoded {@code fieldSelector=metadata.name%3Dx} must reach it decoded.
   */
  private static RecordedRequest withPlainFieldSelector(
      RecordedRequest request, ResourcePath target) {
    String selector = target.query().get("fieldSelector");
    if (selector == null || !selector.matches("[A-Za-z0-9._/=,!-]*")) {
      return request;
    }
    String path = ResourcePath.without(request.getPath(), "fieldSelector");
    path += (path.contains("?") ? "&" : "?") + "fieldSelector=" + selector;
    return new RecordedRequest(
        request.getHttpVersion(), request.method(), path, request.getHeaders(), request.getBody());
  }

  /** Built-in types and every served version of every stored CustomResourceDefinition. */
  List<ApiResource> resourceTypes() {
    List<ApiResource> types = new ArrayList<>(ApiResource.BUILT_IN);
    AttributeSet crds = getKey(CRDS);
    List<String> stored = new ArrayList<>();
    synchronized (map) {
      map.forEach(
          (key, value) -> {
            if (key.matches(crds)) {
              stored.add(value);
            }
          });
    }
    for (String crd : stored) {
      types.addAll(ApiResource.fromCrd(parse(crd)));
    }
    return types;
  }

  private ApiResource typeOf(ResourcePath target) {
    return resourceTypes().stream()
        .filter(
            t ->
                t.group().equals(target.group())
                    && t.version().equals(target.version())
                    && t.plural().equals(target.plural()))
        .findFirst()
        .orElse(null);
  }

  // --- reads

  private MockResponse read(RecordedRequest request, ResourcePath target) {
    String fieldSelector = target.query().get("fieldSelector");
    boolean filter = target.isList() && fieldSelector != null && !fieldSelector.isBlank();
    MockResponse response =
        super.handleGet(
            filter ? ResourcePath.without(request.getPath(), "fieldSelector") : request.getPath());
    ApiResource type = typeOf(target);
    if (response.code() == 404) {
      return notFound(target, type);
    }
    if (response.code() != 200 || type == null) {
      return response;
    }
    JsonNode body = parse(text(response.getBody(), "null"));
    if (target.isList()) {
      ObjectNode list = (ObjectNode) body;
      list.put("kind", type.listKind());
      list.put("apiVersion", type.groupVersion());
      JsonNode items =
          filter
              ? FieldSelector.parse(fieldSelector).filter(list.path("items"))
              : list.path("items");
      list.set("items", sortedByKey(items));
    }
    String accept = Objects.requireNonNullElse(request.getHeader("Accept"), "");
    if (accept.contains("as=Table")) {
      body = ServerTables.toTable(body, type, target.query().get("includeObject"), clock.instant());
    }
    return json(200, body);
  }

  /** Lists come back in key order (namespace, then name), as from etcd. */
  private static ArrayNode sortedByKey(JsonNode items) {
    List<JsonNode> sorted = new ArrayList<>();
    items.forEach(sorted::add);
    sorted.sort(
        java.util.Comparator.comparing(
                (JsonNode i) -> i.path("metadata").path("namespace").asText(""))
            .thenComparing(i -> i.path("metadata").path("name").asText("")));
    ArrayNode out = JSON.arrayNode();
    sorted.forEach(out::add);
    return out;
  }

  // --- writes

  @Override
  public MockResponse handleCreate(RecordedRequest request) {
    synchronized (writes) {
      return super.handleCreate(request);
    }
  }

  @Override
  public MockResponse handleUpdate(RecordedRequest request) {
    synchronized (writes) {
      return super.handleUpdate(request);
    }
  }

  @Override
  public MockResponse handleDelete(String path) {
    synchronized (writes) {
      return super.handleDelete(path);
    }
  }

  /**
   * Merge and strategic merge patches are applied here (RFC 7386) and handed to the mock as the
   * equivalent JSON patch, which keeps its metadata, generation and status-subresource handling.
   */
  @Override
  public MockResponse handlePatch(RecordedRequest request) {
    ResourcePath target = ResourcePath.parse(request.getPath());
    String subtype = patchType(request);
    if (subtype.equals("apply-patch+yaml")) {
      return status(
          415, "UnsupportedMediaType", "server-side apply is not supported by the sandbox API");
    }
    synchronized (writes) {
      if (subtype.equals("json-patch+json")) {
        return withStatusOnNotFound(super.handlePatch(request), target);
      }
      Map.Entry<AttributeSet, String> current = findResource(getKey(request.getPath()));
      if (current == null) {
        return notFound(target, typeOf(target));
      }
      JsonNode before = parse(current.getValue());
      byte[] ops = bytes(JsonDiff.asJson(before, patched(request, target, before)));
      return withStatusOnNotFound(
          super.handlePatch(withBody(request, ops, "application/json-patch+json")), target);
    }
  }

  /** The patch's media subtype, e.g. {@code merge-patch+json}; JSON patch when unset. */
  private static String patchType(RecordedRequest request) {
    MediaType type =
        MediaType.parse(Objects.requireNonNullElse(request.getHeader("Content-Type"), ""));
    return type == null ? "json-patch+json" : type.subtype();
  }

  /** {@code before} with the request's patch applied (JSON, merge or strategic merge patch). */
  private static JsonNode patched(RecordedRequest request, ResourcePath target, JsonNode before) {
    String subtype = patchType(request);
    JsonNode patch =
        parse(text(request.getBody(), subtype.equals("json-patch+json") ? "[]" : "{}"));
    JsonNode after;
    if (subtype.equals("json-patch+json")) {
      after = JsonPatch.apply(patch, before);
    } else {
      if (subtype.equals("strategic-merge-patch+json")) {
        patch = MergePatch.fromStrategic(patch, before);
      }
      after = MergePatch.apply(before, patch);
    }
    if ("secrets".equals(target.plural()) && after.isObject()) {
      foldStringData((ObjectNode) after);
    }
    return after;
  }

  /**
   * A write with {@code ?dryRun=All} ({@code kubectl diff}, {@code --dry-run=server}): the object
   * the write would produce, with nothing stored.
   */
  private MockResponse dryRun(RecordedRequest request, ResourcePath target) {
    ApiResource type = typeOf(target);
    JsonNode before = null;
    if (target.name() != null) {
      Map.Entry<AttributeSet, String> current = findResource(getKey(request.getPath()));
      before = current == null ? null : parse(current.getValue());
    }
    boolean status = "status".equals(target.subresource());
    boolean statusSubresource = type != null && type.statusSubresource();
    switch (request.method()) {
      case POST -> {
        ObjectNode created = (ObjectNode) parse(text(request.getBody(), "{}"));
        ObjectNode metadata = created.withObjectProperty("metadata");
        if (target.namespace() != null) {
          metadata.put("namespace", target.namespace());
        }
        metadata.put(
            "creationTimestamp", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
        metadata.put("generation", 1);
        if (statusSubresource) {
          created.remove("status");
        }
        return json(201, created);
      }
      case DELETE -> {
        return before == null ? notFound(target, type) : json(200, before);
      }
      case PUT, PATCH -> {
        if (before == null) {
          return notFound(target, type);
        }
        JsonNode after =
            request.method() == HttpMethod.PUT
                ? parse(text(request.getBody(), "{}"))
                : patched(request, target, before);
        ObjectNode result = before.deepCopy();
        if (status) {
          result.set("status", after.path("status"));
        } else {
          result = after.deepCopy();
          result.set("metadata", MergePatch.apply(before.path("metadata"), after.path("metadata")));
          if (statusSubresource && before.has("status")) {
            result.set("status", before.get("status"));
          }
        }
        return json(200, result);
      }
      default -> {
        return super.dispatch(request);
      }
    }
  }

  /** A Secret as the API server stores it: stringData folded into data, type Opaque if unset. */
  private RecordedRequest withSecretDefaults(RecordedRequest request, ResourcePath target) {
    if (!"secrets".equals(target.plural()) || request.getBody() == null) {
      return request;
    }
    JsonNode secret;
    try {
      secret = MAPPER.readTree(text(request.getBody(), "null"));
    } catch (JsonProcessingException e) {
      return request;
    }
    if (secret == null || !secret.isObject()) {
      return request;
    }
    foldStringData((ObjectNode) secret);
    if (secret.path("type").asText("").isEmpty()) {
      ((ObjectNode) secret).put("type", "Opaque");
    }
    return withBody(request, bytes(secret), null);
  }

  /** The same request with another body (and content type, unless null). */
  private static RecordedRequest withBody(RecordedRequest request, byte[] body, String type) {
    Headers.Builder headers =
        request.getHeaders().newBuilder().set("Content-Length", String.valueOf(body.length));
    if (type != null) {
      headers.set("Content-Type", type);
    } else if (body.length == 0) {
      headers.removeAll("Content-Type");
    }
    return new RecordedRequest(
        request.getHttpVersion(),
        request.method(),
        request.getPath(),
        headers.build(),
        new Buffer(body));
  }

  /** What an API server does on write: stringData goes into data, base64-encoded. */
  private static void foldStringData(ObjectNode secret) {
    JsonNode stringData = secret.remove("stringData");
    if (stringData == null || !stringData.isObject()) {
      return;
    }
    ObjectNode data =
        secret.path("data").isObject() ? (ObjectNode) secret.get("data") : secret.putObject("data");
    for (Map.Entry<String, JsonNode> e : stringData.properties()) {
      data.put(
          e.getKey(),
          Base64.getEncoder()
              .encodeToString(e.getValue().asText().getBytes(StandardCharsets.UTF_8)));
    }
  }

  // --- responses

  private MockResponse withStatusOnNotFound(MockResponse response, ResourcePath target) {
    if (response.code() == 404 && (response.getBody() == null || response.getBody().size() == 0)) {
      return notFound(target, typeOf(target));
    }
    return response;
  }

  private static MockResponse notFound(ResourcePath target, ApiResource type) {
    if (target.name() == null) {
      return status(404, "NotFound", "the server could not find the requested resource");
    }
    String what = type == null ? target.plural() : type.qualifiedName();
    MockResponse response = status(404, "NotFound", what + " \"" + target.name() + "\" not found");
    ObjectNode body = parse(text(response.getBody(), "{}")).deepCopy();
    ObjectNode details = body.putObject("details");
    details.put("name", target.name());
    if (type != null) {
      details.put("group", type.group());
      details.put("kind", type.plural());
    }
    return json(404, body);
  }

  private static MockResponse status(int code, String reason, String message) {
    ObjectNode status = JSON.objectNode();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", "Failure");
    status.put("message", message);
    status.put("reason", reason);
    status.put("code", code);
    return json(code, status);
  }

  private static MockResponse json(int code, JsonNode body) {
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(new Buffer(bytes(body)));
  }

  /** The buffer's text without consuming it (Buffer.readUtf8 empties the buffer). */
  private static String text(Buffer buffer, String ifEmpty) {
    return buffer == null || buffer.size() == 0
        ? ifEmpty
        : new String(buffer.getBytes(), StandardCharsets.UTF_8);
  }

  private static JsonNode parse(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored object is not JSON", e);
    }
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The requirements of a field selector ({@code a.b=x,c!=y}), over any dotted field. */
  private record FieldSelector(List<String[]> requirements) {
    static FieldSelector parse(String selector) {
      List<String[]> requirements = new ArrayList<>();
      for (String term : selector.split(",")) {
        if (term.isBlank()) {
          continue;
        }
        boolean negated = term.contains("!=");
        String[] kv = negated ? term.split("!=", 2) : term.split("==?", 2);
        requirements.add(
            new String[] {kv[0].trim(), kv.length > 1 ? kv[1].trim() : "", negated ? "!" : "="});
      }
      return new FieldSelector(requirements);
    }

    ArrayNode filter(JsonNode items) {
      ArrayNode kept = JSON.arrayNode();
      for (JsonNode item : items) {
        if (matches(item)) {
          kept.add(item);
        }
      }
      return kept;
    }

    private boolean matches(JsonNode item) {
      for (String[] r : requirements) {
        JsonNode node = item;
        for (String part : r[0].split("\\.")) {
          node = node.path(part);
        }
        // As on a real server, a field that is not set compares as the empty string.
        String value = node.isValueNode() ? node.asText() : "";
        if (value.equals(r[1]) != r[2].equals("=")) {
          return false;
        }
      }
      return true;
    }
  }
}
