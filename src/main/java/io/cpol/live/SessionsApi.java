package io.cpol.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The names of the {@code live.beebotte.io/v1alpha1} API and its discovery documents. */
final class SessionsApi {
  static final String GROUP = "live.beebotte.io";
  static final String VERSION = "v1alpha1";
  static final String GROUP_VERSION = GROUP + "/" + VERSION;
  static final String KIND = "Session";
  static final String LIST_KIND = "SessionList";
  static final String PLURAL = "sessions";
  static final String SINGULAR = "session";
  static final String SHORT_NAME = "bbs";
  static final String GROUP_PATH = "/apis/" + GROUP;
  static final String VERSION_PATH = GROUP_PATH + "/" + VERSION;

  private static final ObjectMapper JSON = new ObjectMapper();

  private SessionsApi() {}

  /** {@code /apis/live.beebotte.io/v1alpha1}: the one resource, read-only. */
  static byte[] resourceList() {
    ObjectNode list = JSON.createObjectNode();
    list.put("kind", "APIResourceList").put("apiVersion", "v1").put("groupVersion", GROUP_VERSION);
    ObjectNode sessions = list.putArray("resources").addObject();
    sessions
        .put("name", PLURAL)
        .put("singularName", SINGULAR)
        .put("namespaced", true)
        .put("kind", KIND);
    sessions.putArray("verbs").add("get").add("list").add("watch");
    sessions.putArray("shortNames").add(SHORT_NAME);
    return bytes(list);
  }

  /** {@code /apis/live.beebotte.io}. */
  static byte[] group() {
    ObjectNode group = JSON.createObjectNode().put("kind", "APIGroup").put("apiVersion", "v1");
    fillGroup(group);
    return bytes(group);
  }

  /** {@code /apis}: this server's one group. */
  static byte[] groupList() {
    ObjectNode list = JSON.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
    fillGroup(list.putArray("groups").addObject());
    return bytes(list);
  }

  private static void fillGroup(ObjectNode group) {
    group.put("name", GROUP);
    ArrayNode versions = group.putArray("versions");
    versions.addObject().put("groupVersion", GROUP_VERSION).put("version", VERSION);
    group.putObject("preferredVersion").put("groupVersion", GROUP_VERSION).put("version", VERSION);
  }

  static byte[] bytes(Object node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
