package io.cpol.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * Reads the Kubernetes protobuf encoding that kubectl uses when it creates built-in objects ({@code
 * kubectl create secret generic}, {@code kubectl create namespace}, {@code kubectl create
 * configmap}) and turns it into the JSON the mock stores. Only Secret, ConfigMap and Namespace are
 * understood, and of ObjectMeta only what a client sets (name, generateName, namespace, labels,
 * annotations, finalizers); anything else is answered with 415 by the dispatcher.
 */
final class ProtobufObjects {
  private static final byte[] MAGIC = {'k', '8', 's', 0};
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private ProtobufObjects() {}

  static boolean isProtobuf(String contentType) {
    return contentType != null && contentType.startsWith("application/vnd.kubernetes.protobuf");
  }

  /** The object as JSON, or empty when it is not one of the types understood here. */
  static Optional<ObjectNode> decode(byte[] body) {
    if (body.length < MAGIC.length || !Arrays.equals(body, 0, MAGIC.length, MAGIC, 0, 4)) {
      return Optional.empty();
    }
    String apiVersion = "";
    String kind = "";
    byte[] raw = new byte[0];
    Reader unknown = new Reader(body, MAGIC.length, body.length);
    while (unknown.more()) {
      int tag = unknown.tag();
      if (tag >>> 3 == 1 && (tag & 7) == 2) {
        Reader typeMeta = unknown.message();
        while (typeMeta.more()) {
          int t = typeMeta.tag();
          switch (t >>> 3) {
            case 1 -> apiVersion = typeMeta.string();
            case 2 -> kind = typeMeta.string();
            default -> typeMeta.skip(t);
          }
        }
      } else if (tag >>> 3 == 2 && (tag & 7) == 2) {
        raw = unknown.bytes();
      } else {
        unknown.skip(tag);
      }
    }
    if (!apiVersion.equals("v1")) {
      return Optional.empty();
    }
    ObjectNode object = JSON.objectNode();
    object.put("apiVersion", apiVersion);
    object.put("kind", kind);
    Reader r = new Reader(raw, 0, raw.length);
    switch (kind) {
      case "Secret" -> {
        while (r.more()) {
          int t = r.tag();
          switch (t >>> 3) {
            case 1 -> object.set("metadata", metadata(r.message()));
            case 2 -> entry(object, "data", r.message(), true);
            case 3 -> object.put("type", r.string());
            case 4 -> entry(object, "stringData", r.message(), false);
            case 5 -> object.put("immutable", r.varint() != 0);
            default -> r.skip(t);
          }
        }
      }
      case "ConfigMap" -> {
        while (r.more()) {
          int t = r.tag();
          switch (t >>> 3) {
            case 1 -> object.set("metadata", metadata(r.message()));
            case 2 -> entry(object, "data", r.message(), false);
            case 3 -> entry(object, "binaryData", r.message(), true);
            case 4 -> object.put("immutable", r.varint() != 0);
            default -> r.skip(t);
          }
        }
      }
      case "Namespace" -> {
        while (r.more()) {
          int t = r.tag();
          if (t >>> 3 == 1) {
            object.set("metadata", metadata(r.message()));
          } else {
            // spec.finalizers and status are the server's to set.
            r.skip(t);
          }
        }
        object.putObject("status").put("phase", "Active");
      }
      default -> {
        return Optional.empty();
      }
    }
    return Optional.of(object);
  }

  private static ObjectNode metadata(Reader r) {
    ObjectNode meta = JSON.objectNode();
    while (r.more()) {
      int t = r.tag();
      switch (t >>> 3) {
        case 1 -> putIfSet(meta, "name", r.string());
        case 2 -> putIfSet(meta, "generateName", r.string());
        case 3 -> putIfSet(meta, "namespace", r.string());
        case 11 -> entry(meta, "labels", r.message(), false);
        case 12 -> entry(meta, "annotations", r.message(), false);
        case 14 -> {
          ArrayNode finalizers =
              meta.has("finalizers")
                  ? (ArrayNode) meta.get("finalizers")
                  : meta.putArray("finalizers");
          finalizers.add(r.string());
        }
        default -> r.skip(t);
      }
    }
    return meta;
  }

  private static void putIfSet(ObjectNode node, String field, String value) {
    if (!value.isEmpty()) {
      node.put(field, value);
    }
  }

  /** One map entry (a message with key = 1, value = 2) into {@code parent.field}. */
  private static void entry(ObjectNode parent, String field, Reader r, boolean bytes) {
    String key = "";
    String value = "";
    while (r.more()) {
      int t = r.tag();
      switch (t >>> 3) {
        case 1 -> key = r.string();
        case 2 -> value = bytes ? Base64.getEncoder().encodeToString(r.bytes()) : r.string();
        default -> r.skip(t);
      }
    }
    ObjectNode map =
        parent.path(field).isObject() ? (ObjectNode) parent.get(field) : parent.putObject(field);
    map.put(key, value);
  }

  /** The protobuf wire format, just what the messages above need. */
  private static final class Reader {
    private final byte[] buf;
    private int pos;
    private final int end;

    Reader(byte[] buf, int pos, int end) {
      this.buf = buf;
      this.pos = pos;
      this.end = end;
    }

    boolean more() {
      return pos < end;
    }

    int tag() {
      return (int) varint();
    }

    long varint() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new IllegalArgumentException("truncated varint");
        }
        byte b = buf[pos++];
        value |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return value;
        }
      }
      throw new IllegalArgumentException("varint too long");
    }

    byte[] bytes() {
      int length = (int) varint();
      if (length < 0 || pos + length > end) {
        throw new IllegalArgumentException("truncated field");
      }
      byte[] out = Arrays.copyOfRange(buf, pos, pos + length);
      pos += length;
      return out;
    }

    String string() {
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    Reader message() {
      int length = (int) varint();
      if (length < 0 || pos + length > end) {
        throw new IllegalArgumentException("truncated message");
      }
      Reader inner = new Reader(buf, pos, pos + length);
      pos += length;
      return inner;
    }

    void skip(int tag) {
      switch (tag & 7) {
        case 0 -> varint();
        case 1 -> pos += 8;
        case 2 -> bytes();
        case 5 -> pos += 4;
        default -> throw new IllegalArgumentException("unsupported wire type " + (tag & 7));
      }
    }
  }
}
