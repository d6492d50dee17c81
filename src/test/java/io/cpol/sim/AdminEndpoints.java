package io.cpol.sim;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cpol.beebotte.Connection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The simulator's {@code /admin/} side over HTTP, without credentials, for the standalone process
 * and the sandbox: seed and inspect connections, read recorded calls and drops, set faults.
 */
final class AdminEndpoints {
  private static final Set<String> FAULT_KEYS =
      Set.of(
          "clear",
          "latencyMs",
          "failNext",
          "status",
          "rateLimitNext",
          "retryAfterSeconds",
          "malformedJsonNext",
          "resetNext",
          "partial",
          "slowBodyNext",
          "perChunkMs",
          "echoNext",
          "unreadableElementsNext");
  private static final String HELP =
      """
      Beebotte simulator admin endpoints (no credentials):
        GET    /admin/connections[?owner=O]        live connections, wire format
        POST   /admin/connections[?owner=O]        add a JSON array of connections (wire format)
        DELETE /admin/connections                  remove all connections
        DELETE /admin/connections/{userid}[?sid=S] remove as if the client disconnected
        GET    /admin/requests                     recorded API calls; DELETE clears
        GET    /admin/drops                        connections closed by drops; DELETE clears
        GET    /admin/faults                       current faults
        POST   /admin/faults                       e.g. {"failNext":2,"status":503},
               {"rateLimitNext":1,"retryAfterSeconds":2}, {"latencyMs":50},
               {"malformedJsonNext":1}, {"resetNext":1,"partial":true},
               {"slowBodyNext":1,"perChunkMs":200}, {"echoNext":1,"status":400},
               {"unreadableElementsNext":1}, {"clear":true}
      """;

  private final BeebotteSimulator sim;

  AdminEndpoints(BeebotteSimulator sim) {
    this.sim = sim;
  }

  SimResponse handle(SimRequest request) {
    String path = request.path();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String method = request.method().equals("HEAD") ? "GET" : request.method();
    Map<String, String> query;
    try {
      query = PercentDecoding.query(request.rawQuery());
    } catch (IllegalArgumentException e) {
      return badRequest(e.getMessage());
    }
    try {
      switch (path) {
        case "/admin":
          return method.equals("GET")
              ? SimResponse.text(200, "text/plain; charset=utf-8", HELP)
              : wrongMethod(request, "GET");
        case "/admin/connections":
          return switch (method) {
            case "GET" -> listConnections(query.get("owner"));
            case "POST" -> addConnections(request, query.get("owner"));
            case "DELETE" -> count("removed", sim.clearConnectionsCounting());
            default -> wrongMethod(request, "GET, POST, DELETE");
          };
        case "/admin/requests":
          return switch (method) {
            case "GET" -> json(out -> writeCalls(sim.requests(), out));
            case "DELETE" -> count("cleared", sim.clearRequestsCounting());
            default -> wrongMethod(request, "GET, DELETE");
          };
        case "/admin/drops":
          return switch (method) {
            case "GET" -> json(out -> writeDrops(sim.drops(), out));
            case "DELETE" -> count("cleared", sim.clearDropsCounting());
            default -> wrongMethod(request, "GET, DELETE");
          };
        case "/admin/faults":
          return switch (method) {
            case "GET" -> faultState();
            case "POST" -> setFaults(request);
            default -> wrongMethod(request, "GET, POST");
          };
        default:
          break;
      }
      if (path.startsWith("/admin/connections/") && path.indexOf('/', 19) < 0) {
        if (!method.equals("DELETE")) {
          return wrongMethod(request, "DELETE");
        }
        String userid = PercentDecoding.pathSegment(path.substring(19));
        String sid = query.get("sid");
        return count(
            "removed", sim.removeConnections(userid, sid == null || sid.isEmpty() ? null : sid));
      }
      return WireFormat.errorResponse(404, "no admin endpoint " + path + "; see GET /admin", 1301);
    } catch (IllegalArgumentException e) {
      return badRequest(e.getMessage());
    }
  }

  private SimResponse listConnections(String owner) {
    List<Connection> cs =
        owner == null || owner.isEmpty() ? sim.connections() : sim.connections(owner);
    return json(out -> WireFormat.writeConnections(cs, out));
  }

  private SimResponse addConnections(SimRequest request, String owner) {
    JsonNode body;
    try {
      body = WireFormat.MAPPER.readTree(request.body());
    } catch (JsonProcessingException e) {
      return badRequest("body is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (body == null || body.isMissingNode()) {
      return badRequest("empty body: expected a JSON array of connections");
    }
    List<Connection> cs = new ArrayList<>();
    for (Connection c : WireFormat.readConnections(body)) {
      cs.add(
          c.owner() != null || owner == null || owner.isEmpty()
              ? c
              : new Connection(
                  c.userid(),
                  c.sid(),
                  c.protocol(),
                  c.clientid(),
                  c.clientip(),
                  owner,
                  c.username(),
                  c.subscriptions()));
    }
    sim.addConnections(cs);
    return count("added", cs.size());
  }

  private SimResponse setFaults(SimRequest request) {
    JsonNode body;
    try {
      body = WireFormat.MAPPER.readTree(request.body());
    } catch (JsonProcessingException e) {
      return badRequest("body is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (body == null || !body.isObject()) {
      return badRequest("expected a JSON object, see GET /admin");
    }
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!FAULT_KEYS.contains(key)) {
        return badRequest("unknown fault field " + key + "; see GET /admin");
      }
    }
    Faults faults = sim.faults();
    // Validate every number before changing anything, so a bad request changes nothing.
    int failNext = count(body, "failNext");
    int status = body.has("status") ? body.get("status").asInt() : 503;
    int rateLimitNext = count(body, "rateLimitNext");
    int malformed = count(body, "malformedJsonNext");
    int resetNext = count(body, "resetNext");
    int slowNext = count(body, "slowBodyNext");
    int echoNext = count(body, "echoNext");
    int unreadableNext = count(body, "unreadableElementsNext");
    if (slowNext > 0 && !body.has("perChunkMs")) {
      return badRequest("slowBodyNext needs perChunkMs");
    }
    if ((failNext > 0 || echoNext > 0) && (status < 400 || status > 599)) {
      return badRequest("status must be 4xx or 5xx");
    }
    if (body.path("clear").asBoolean(false)) {
      faults.clear();
    }
    if (body.has("latencyMs")) {
      faults.latency(Duration.ofMillis(nonNegative(body, "latencyMs")));
    }
    faults.failNext(failNext, status);
    faults.rateLimitNext(
        rateLimitNext,
        body.has("retryAfterSeconds")
            ? Duration.ofSeconds(nonNegative(body, "retryAfterSeconds"))
            : null);
    faults.malformedJsonNext(malformed);
    faults.echoCredentialsNext(echoNext, status);
    faults.unreadableElementsNext(unreadableNext);
    faults.resetNext(resetNext, body.path("partial").asBoolean(false));
    if (slowNext > 0) {
      faults.slowBodyNext(slowNext, Duration.ofMillis(nonNegative(body, "perChunkMs")));
    }
    return faultState();
  }

  private SimResponse faultState() {
    Faults faults = sim.faults();
    return json(
        out -> {
          try (JsonGenerator g = generator(out)) {
            g.writeStartObject();
            g.writeNumberField("latencyMs", faults.latency().toMillis());
            g.writeArrayFieldStart("pending");
            for (Faults.Pending p : faults.queued()) {
              Faults.Fault f = p.fault();
              g.writeStartObject();
              g.writeStringField("kind", f.kind().name());
              g.writeNumberField("remaining", p.remaining());
              switch (f.kind()) {
                case FAIL, ECHO -> g.writeNumberField("status", f.status());
                case RATE_LIMIT -> {
                  if (f.duration() != null) {
                    g.writeNumberField("retryAfterMs", f.duration().toMillis());
                  }
                }
                case RESET -> g.writeBooleanField("partial", f.partial());
                case SLOW_BODY -> g.writeNumberField("perChunkMs", f.duration().toMillis());
                default -> {}
              }
              g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
          }
        });
  }

  private static void writeCalls(List<RecordedCall> calls, OutputStream out) throws IOException {
    try (JsonGenerator g = generator(out)) {
      g.writeStartArray();
      for (RecordedCall c : calls) {
        g.writeStartObject();
        g.writeStringField("time", c.time().toString());
        g.writeStringField("method", c.method());
        g.writeStringField("rawTarget", c.rawTarget());
        g.writeNumberField("status", c.status());
        g.writeStringField("authKind", c.authKind().name());
        g.writeStringField("account", c.account());
        g.writeStringField("endpoint", c.endpoint().name());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
  }

  private static void writeDrops(List<DropEvent> drops, OutputStream out) throws IOException {
    try (JsonGenerator g = generator(out)) {
      g.writeStartArray();
      for (DropEvent d : drops) {
        g.writeStartObject();
        g.writeStringField("time", d.time().toString());
        g.writeStringField("rawTarget", d.rawTarget());
        g.writeFieldName("connection");
        WireFormat.writeConnection(g, d.connection());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
  }

  private static JsonGenerator generator(OutputStream out) throws IOException {
    JsonGenerator g = WireFormat.JSON.createGenerator(out);
    g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    return g;
  }

  private static SimResponse json(SimResponse.BodyWriter writer) {
    return SimResponse.streamedJson(200, writer);
  }

  private static SimResponse count(String field, int n) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = generator(out)) {
      g.writeStartObject();
      g.writeNumberField(field, n);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return SimResponse.bytes(200, SimResponse.JSON, out.toByteArray());
  }

  private static int count(JsonNode body, String field) {
    return (int) Math.min(Integer.MAX_VALUE, nonNegative(body, field));
  }

  private static long nonNegative(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null) {
      return 0;
    }
    if (!v.canConvertToLong() || v.asLong() < 0) {
      throw new IllegalArgumentException(field + " must be a non-negative integer");
    }
    return v.asLong();
  }

  private static SimResponse badRequest(String message) {
    return WireFormat.errorResponse(400, message, 1401);
  }

  private static SimResponse wrongMethod(SimRequest request, String allow) {
    return WireFormat.errorResponse(
            405, "method " + request.method() + " not allowed on " + request.path(), 1403)
        .withHeader("Allow", allow);
  }
}
