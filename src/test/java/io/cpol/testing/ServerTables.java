package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Server-side printing, as kubectl asks for it with {@code Accept: application/json;as=Table;...}:
 * a {@code meta.k8s.io/v1} Table whose columns are a custom resource's {@code
 * additionalPrinterColumns} (or a built-in type's usual ones), {@code Name} first. Like the real
 * API server, {@code date} cells are rendered as ages ("5m3s") and missing values are null, which
 * kubectl prints as {@code <none>}.
 */
final class ServerTables {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private ServerTables() {}

  /** One column: where its value comes from and how it is typed. */
  private record Column(
      String name, String type, String format, String description, int priority, Cell cell) {}

  @FunctionalInterface
  private interface Cell {
    JsonNode of(JsonNode object, Instant now);
  }

  /**
   * Converts a GET response body (one object or a list) to a Table.
   *
   * @param includeObject the request's includeObject: None, Object, or Metadata (the default)
   */
  static ObjectNode toTable(JsonNode body, ApiResource type, String includeObject, Instant now) {
    List<Column> columns = columns(type);
    ObjectNode table = JSON.objectNode();
    table.put("kind", "Table");
    table.put("apiVersion", "meta.k8s.io/v1");
    ObjectNode metadata = table.putObject("metadata");
    String resourceVersion = body.path("metadata").path("resourceVersion").asText("");
    if (body.has("items") && !resourceVersion.isEmpty()) {
      metadata.put("resourceVersion", resourceVersion);
    }
    ArrayNode definitions = table.putArray("columnDefinitions");
    for (Column c : columns) {
      ObjectNode d = definitions.addObject();
      d.put("name", c.name());
      d.put("type", c.type());
      d.put("format", c.format());
      d.put("description", c.description());
      d.put("priority", c.priority());
    }
    ArrayNode rows = table.putArray("rows");
    List<JsonNode> objects = new ArrayList<>();
    if (body.has("items")) {
      body.path("items").forEach(objects::add);
    } else {
      objects.add(body);
    }
    for (JsonNode object : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      for (Column c : columns) {
        cells.add(c.cell().of(object, now));
      }
      switch (includeObject == null ? "Metadata" : includeObject) {
        case "None" -> {}
        case "Object" -> row.set("object", object);
        default -> {
          ObjectNode partial = row.putObject("object");
          partial.put("kind", "PartialObjectMetadata");
          partial.put("apiVersion", "meta.k8s.io/v1");
          partial.set("metadata", object.path("metadata").deepCopy());
        }
      }
    }
    return table;
  }

  private static List<Column> columns(ApiResource type) {
    List<Column> columns = new ArrayList<>();
    columns.add(
        new Column(
            "Name",
            "string",
            "name",
            "Name must be unique within a namespace.",
            0,
            (o, now) -> o.path("metadata").path("name")));
    if (type.crdVersion() != null) {
      JsonNode printerColumns = type.crdVersion().path("additionalPrinterColumns");
      if (printerColumns.isEmpty()) {
        columns.add(age());
      }
      for (JsonNode pc : printerColumns) {
        SimpleJsonPath path = SimpleJsonPath.parse(pc.path("jsonPath").asText());
        String columnType = pc.path("type").asText("string");
        columns.add(
            new Column(
                pc.path("name").asText(),
                columnType,
                pc.path("format").asText(""),
                pc.path("description").asText(""),
                pc.path("priority").asInt(0),
                (o, now) -> {
                  List<JsonNode> found = path.select(o);
                  return found.isEmpty() ? JSON.nullNode() : typed(columnType, found.get(0), now);
                }));
      }
      return columns;
    }
    switch (type.plural()) {
      case "secrets" -> {
        columns.add(text("Type", o -> o.path("type").asText("Opaque")));
        columns.add(
            new Column(
                "Data",
                "string",
                "",
                "",
                0,
                (o, now) -> JSON.numberNode(o.path("data").size() + o.path("stringData").size())));
      }
      case "namespaces" ->
          columns.add(text("Status", o -> o.path("status").path("phase").asText("Active")));
      case "configmaps" ->
          columns.add(
              new Column(
                  "Data",
                  "string",
                  "",
                  "",
                  0,
                  (o, now) ->
                      JSON.numberNode(o.path("data").size() + o.path("binaryData").size())));
      case "leases" ->
          columns.add(text("Holder", o -> o.path("spec").path("holderIdentity").asText("")));
      case "events" -> {
        // The real event table leads with Last Seen and keeps Name out of the default view.
        columns.clear();
        columns.add(
            new Column(
                "Last Seen",
                "string",
                "",
                "",
                0,
                (o, now) -> JSON.textNode(age(lastSeen(o), now))));
        columns.add(text("Type", o -> o.path("type").asText("")));
        columns.add(text("Reason", o -> o.path("reason").asText("")));
        columns.add(
            text(
                "Object",
                o ->
                    o.path("involvedObject").path("kind").asText("").toLowerCase()
                        + "/"
                        + o.path("involvedObject").path("name").asText("")));
        columns.add(text("Message", o -> o.path("message").asText("")));
        columns.add(
            new Column(
                "Name", "string", "name", "", 1, (o, now) -> o.path("metadata").path("name")));
        return columns;
      }
      case "customresourcedefinitions" ->
          columns.add(
              text("Created At", o -> o.path("metadata").path("creationTimestamp").asText("")));
      default -> {}
    }
    if (!type.plural().equals("customresourcedefinitions")) {
      columns.add(age());
    }
    return columns;
  }

  private static Column age() {
    return new Column(
        "Age",
        "string",
        "",
        "CreationTimestamp is a timestamp representing the server time when this object was"
            + " created.",
        0,
        (o, now) -> typed("date", o.path("metadata").path("creationTimestamp"), now));
  }

  private static Column text(String name, java.util.function.Function<JsonNode, String> value) {
    return new Column(name, "string", "", "", 0, (o, now) -> JSON.textNode(value.apply(o)));
  }

  private static String lastSeen(JsonNode event) {
    for (String field : List.of("lastTimestamp", "eventTime", "firstTimestamp")) {
      String value = event.path(field).asText("");
      if (!value.isEmpty()) {
        return value;
      }
    }
    return event.path("metadata").path("creationTimestamp").asText("");
  }

  /** The cell the real API server would produce for a value of a column of this type. */
  private static JsonNode typed(String type, JsonNode value, Instant now) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return JSON.nullNode();
    }
    return switch (type) {
      case "integer" -> value.isNumber() ? JSON.numberNode(value.asLong()) : JSON.nullNode();
      case "number" -> value.isNumber() ? JSON.numberNode(value.asDouble()) : JSON.nullNode();
      case "boolean" -> value.isBoolean() ? value : JSON.nullNode();
      case "date" -> value.isTextual() ? JSON.textNode(age(value.asText(), now)) : JSON.nullNode();
      default -> JSON.textNode(value.isValueNode() ? value.asText() : value.toString());
    };
  }

  private static String age(String timestamp, Instant now) {
    if (timestamp.isEmpty()) {
      return "<unknown>";
    }
    try {
      return humanDuration(Duration.between(Instant.parse(timestamp), now));
    } catch (DateTimeParseException e) {
      return "<invalid>";
    }
  }

  /** Kubernetes' duration.HumanDuration: "45s", "3m20s", "5h10m", "3d4h", "2y30d". */
  static String humanDuration(Duration d) {
    long seconds = d.getSeconds();
    if (seconds < -1) {
      return "<invalid>";
    } else if (seconds < 0) {
      return "0s";
    } else if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = d.toMinutes();
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    } else if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = d.toHours();
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    } else if (hours < 48) {
      return hours + "h";
    } else if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
    } else if (hours < 24 * 365 * 2) {
      return hours / 24 + "d";
    } else if (hours < 24 * 365 * 8) {
      long days = (hours / 24) % 365;
      return days == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + days + "d";
    }
    return hours / 24 / 365 + "y";
  }
}
