package io.cpol.live;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The OpenAPI documents of the sessions API (v2 at {@code /openapi/v2}, v3 at {@code
 * /openapi/v3/apis/live.beebotte.io/v1alpha1}): the Session schema with a description per field,
 * which is what {@code kubectl explain sessions} prints.
 */
final class SessionsOpenApi {
  static final String V3_PATH = "/openapi/v3/apis/" + SessionsApi.GROUP_VERSION;
  private static final String SESSION = "io.beebotte.live.v1alpha1.Session";
  private static final String SESSION_LIST = "io.beebotte.live.v1alpha1.SessionList";
  // Names of our own, not Kubernetes' ObjectMeta/ListMeta: kube-aggregator merges every server's
  // v2 document into one, and these cut-down versions must not stand in for the real ones there.
  private static final String OBJECT_META = "io.beebotte.live.v1alpha1.SessionMeta";
  private static final String LIST_META = "io.beebotte.live.v1alpha1.SessionListMeta";
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final byte[] v2;
  private final byte[] v3;
  private final String v3Hash;
  private final byte[] v3Index;

  SessionsOpenApi() {
    ObjectNode v2Doc = JSON.objectNode().put("swagger", "2.0");
    v2Doc.putObject("info").put("title", "live.beebotte.io").put("version", SessionsApi.VERSION);
    v2Doc.set("paths", paths("#/definitions/", false));
    v2Doc.set("definitions", schemas("#/definitions/"));
    v2 = SessionsApi.bytes(v2Doc);

    ObjectNode v3Doc = JSON.objectNode().put("openapi", "3.0.0");
    v3Doc.putObject("info").put("title", "live.beebotte.io").put("version", SessionsApi.VERSION);
    v3Doc.set("paths", paths("#/components/schemas/", true));
    v3Doc.putObject("components").set("schemas", schemas("#/components/schemas/"));
    v3 = SessionsApi.bytes(v3Doc);
    v3Hash = sha512(v3);
    ObjectNode index = JSON.objectNode();
    index
        .putObject("paths")
        .putObject("apis/" + SessionsApi.GROUP_VERSION)
        .put("serverRelativeURL", V3_PATH + "?hash=" + v3Hash);
    v3Index = SessionsApi.bytes(index);
  }

  byte[] v2() {
    return v2;
  }

  /** The group version's document; its ETag is {@link #v3Hash()}. */
  byte[] v3() {
    return v3;
  }

  String v3Hash() {
    return v3Hash;
  }

  /** {@code /openapi/v3}: where each group version's document is. */
  byte[] v3Index() {
    return v3Index;
  }

  private static ObjectNode schemas(String ref) {
    ObjectNode schemas = JSON.objectNode();
    ObjectNode session =
        object(
            "One live Beebotte session (MQTT or Socket.IO) as a namespace sees"
                + " it: the session in Beebotte's fields, the listing it comes from, and the verdicts of"
                + " the namespace's ConnectionPolicies that use its account. Read-only, served from the"
                + " operator's memory; nothing is stored in etcd.");
    ObjectNode p = session.putObject("properties");
    typeMeta(p);
    p.set(
        "metadata",
        ref(
            ref + OBJECT_META,
            "Standard object metadata. The name is stable per session and a valid Kubernetes"
                + " name; labels: protocol, verdict and (when a policy decided) policy."));
    p.set("userid", string("The session's user id, as Beebotte lists it."));
    p.set("sid", string("Beebotte's session id."));
    p.set("protocol", string("mqtt, socketio, or whatever Beebotte reports."));
    p.set("clientid", string("The MQTT client id."));
    p.set("clientip", string("The client's IP address."));
    p.set("owner", string("The account owner Beebotte lists the session under."));
    p.set("username", string("userinfo.username of a Socket.IO session; absent otherwise."));
    ObjectNode subscription = object("One channel/resource subscription of a Socket.IO session.");
    ObjectNode sp = subscription.putObject("properties");
    sp.set("channel", string("The channel."));
    sp.set("resource", string("The resource, or * for every resource of the channel."));
    sp.set("read", bool("Whether the session may read it."));
    sp.set("write", bool("Whether the session may write it."));
    p.set("subscriptions", array("Socket.IO subscriptions; empty for MQTT.", subscription));
    p.set(
        "account",
        string("The Beebotte account: its owner as the listing shows it, else its endpoint."));
    p.set(
        "listedAt",
        dateTime("When the account listing this object comes from was made (RFC 3339)."));
    p.set(
        "verdict",
        string(
            "The verdict shown: Allowed, Denied (an enforcing policy denies the session: it is"
                + " dropped at that policy's next drop) or WouldDrop (a DryRun policy denies it)."
                + " The first enforcing policy that denies it decides, else the first dry-run"
                + " one, else the first allow exception that kept it."));
    p.set("policy", string("The policy whose verdict is shown; absent when no rule decided."));
    p.set("rule", string("The deciding rule of that policy, such as deny[0] or allow[1]."));
    ObjectNode evaluation = object("One policy's verdict on the session.");
    ObjectNode ep = evaluation.putObject("properties");
    ep.set("policy", string("The policy's name (in the session's namespace)."));
    ep.set("verdict", string("Allowed, Denied or WouldDrop."));
    ep.set("rule", string("The deciding rule; absent when no rule matched."));
    p.set(
        "evaluations",
        array(
            "Every policy of the namespace that evaluated the session, in account order.",
            evaluation));
    gvk(session, SessionsApi.KIND);
    schemas.set(SESSION, session);

    ObjectNode list = object("A list of live sessions.");
    ObjectNode lp = list.putObject("properties");
    typeMeta(lp);
    lp.set("metadata", ref(ref + LIST_META, "Standard list metadata."));
    ObjectNode items = JSON.objectNode().put("description", "The sessions.").put("type", "array");
    items.set("items", ref(ref + SESSION, null));
    lp.set("items", items);
    list.putArray("required").add("items");
    gvk(list, SessionsApi.LIST_KIND);
    schemas.set(SESSION_LIST, list);

    ObjectNode meta = object("The metadata of a session.");
    ObjectNode mp = meta.putObject("properties");
    mp.set(
        "name",
        string(
            "The session's name: stable while the session lives, unique in its" + " namespace."));
    mp.set("namespace", string("The namespace whose policies' verdicts the object carries."));
    mp.set("uid", string("A UUID derived from namespace and name."));
    mp.set("resourceVersion", string("The store version at which this object last changed."));
    mp.set("creationTimestamp", dateTime("When the session was first listed."));
    ObjectNode labels = object("protocol, verdict and policy, for label selectors.");
    labels.putObject("additionalProperties").put("type", "string");
    mp.set("labels", labels);
    schemas.set(OBJECT_META, meta);

    ObjectNode listMeta = object("Metadata of a list.");
    ObjectNode lmp = listMeta.putObject("properties");
    lmp.set("resourceVersion", string("The store version the list is consistent with."));
    lmp.set("continue", string("Set when more items follow: pass it to get the next page."));
    lmp.set(
        "remainingItemCount",
        JSON.objectNode()
            .put("type", "integer")
            .put("format", "int64")
            .put("description", "How many items follow this page."));
    schemas.set(LIST_META, listMeta);
    return schemas;
  }

  /**
   * The read operations, each with the kind it serves ({@code x-kubernetes-group-version-kind}):
   * how {@code kubectl explain} finds the schema of a resource.
   */
  private static ObjectNode paths(String ref, boolean v3) {
    ObjectNode paths = JSON.objectNode();
    String namespaced = SessionsApi.VERSION_PATH + "/namespaces/{namespace}/" + SessionsApi.PLURAL;
    operation(
        paths, SessionsApi.VERSION_PATH + "/" + SessionsApi.PLURAL, "list", false, false, ref, v3);
    operation(paths, namespaced, "list", true, false, ref, v3);
    operation(paths, namespaced + "/{name}", "get", true, true, ref, v3);
    return paths;
  }

  private static void operation(
      ObjectNode paths,
      String path,
      String action,
      boolean namespaced,
      boolean named,
      String ref,
      boolean v3) {
    ObjectNode item = paths.putObject(path);
    ObjectNode get = item.putObject("get");
    boolean list = action.equals("list");
    get.put("description", list ? "list or watch live sessions" : "read one live session");
    get.put(
        "operationId",
        (list ? "list" : "read")
            + "LiveBeebotteIoV1alpha1"
            + (namespaced ? "Namespaced" : "")
            + "Session"
            + (list && !namespaced ? "ForAllNamespaces" : ""));
    String schema = ref + (list ? SESSION_LIST : SESSION);
    ObjectNode ok = get.putObject("responses").putObject("200").put("description", "OK");
    if (v3) {
      ok.putObject("content").putObject("application/json").putObject("schema").put("$ref", schema);
    } else {
      ok.putObject("schema").put("$ref", schema);
    }
    get.put("x-kubernetes-action", action);
    get.putObject("x-kubernetes-group-version-kind")
        .put("group", SessionsApi.GROUP)
        .put("version", SessionsApi.VERSION)
        .put("kind", SessionsApi.KIND);
    var parameters = item.putArray("parameters");
    if (named) {
      parameter(parameters, "name", "name of the Session", v3);
    }
    if (namespaced) {
      parameter(parameters, "namespace", "object name and auth scope, such as for teams", v3);
    }
  }

  private static void parameter(
      com.fasterxml.jackson.databind.node.ArrayNode parameters,
      String name,
      String description,
      boolean v3) {
    ObjectNode p =
        parameters
            .addObject()
            .put("name", name)
            .put("in", "path")
            .put("required", true)
            .put("description", description);
    if (v3) {
      p.putObject("schema").put("type", "string");
    } else {
      p.put("type", "string");
    }
  }

  private static void typeMeta(ObjectNode properties) {
    properties.set(
        "apiVersion", string("The versioned schema of this object: live.beebotte.io/v1alpha1."));
    properties.set("kind", string("The kind of this object."));
  }

  private static void gvk(ObjectNode schema, String kind) {
    schema
        .putArray("x-kubernetes-group-version-kind")
        .addObject()
        .put("group", SessionsApi.GROUP)
        .put("version", SessionsApi.VERSION)
        .put("kind", kind);
  }

  private static ObjectNode object(String description) {
    return JSON.objectNode().put("description", description).put("type", "object");
  }

  private static ObjectNode string(String description) {
    return JSON.objectNode().put("description", description).put("type", "string");
  }

  private static ObjectNode dateTime(String description) {
    return string(description).put("format", "date-time");
  }

  private static ObjectNode bool(String description) {
    return JSON.objectNode().put("description", description).put("type", "boolean");
  }

  private static ObjectNode array(String description, ObjectNode items) {
    ObjectNode array = JSON.objectNode().put("description", description).put("type", "array");
    array.set("items", items);
    return array;
  }

  /** A reference; in OpenAPI a $ref's siblings are ignored, so a description goes in allOf. */
  private static ObjectNode ref(String target, String description) {
    if (description == null) {
      return JSON.objectNode().put("$ref", target);
    }
    ObjectNode node = JSON.objectNode().put("description", description);
    node.putArray("allOf").addObject().put("$ref", target);
    return node;
  }

  private static String sha512(byte[] bytes) {
    try {
      return HexFormat.of()
          .withUpperCase()
          .formatHex(MessageDigest.getInstance("SHA-512").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
