package io.cpol.live;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A failed request's answer, as kube-apiserver words it: a {@code v1} Status with code, reason and
 * message (and the session's name in details when there is one).
 */
record ApiStatus(int code, String reason, String message, String name) {
  static ApiStatus unauthorized() {
    return new ApiStatus(401, "Unauthorized", "Unauthorized", null);
  }

  /** As kube-apiserver's authorization filter words a denial. */
  static ApiStatus forbidden(RequestUser user, Access access, String why) {
    String message;
    if (access.isResource()) {
      String subject =
          access.name() == null
              ? SessionsApi.PLURAL + "." + SessionsApi.GROUP
              : SessionsApi.PLURAL + "." + SessionsApi.GROUP + " \"" + access.name() + "\"";
      message =
          subject
              + " is forbidden: User \""
              + user.name()
              + "\" cannot "
              + access.verb()
              + " resource \""
              + SessionsApi.PLURAL
              + "\" in API group \""
              + SessionsApi.GROUP
              + "\""
              + (access.namespace() == null
                  ? " at the cluster scope"
                  : " in the namespace \"" + access.namespace() + "\"");
    } else {
      message =
          "forbidden: User \""
              + user.name()
              + "\" cannot "
              + access.verb()
              + " path \""
              + access.path()
              + "\"";
    }
    if (why != null && !why.isEmpty()) {
      message += ": " + why;
    }
    return new ApiStatus(403, "Forbidden", message, access.name());
  }

  static ApiStatus notFound(String name) {
    return new ApiStatus(
        404,
        "NotFound",
        SessionsApi.PLURAL + "." + SessionsApi.GROUP + " \"" + name + "\" not found",
        name);
  }

  static ApiStatus pathNotFound() {
    return new ApiStatus(404, "NotFound", "the server could not find the requested resource", null);
  }

  static ApiStatus methodNotAllowed() {
    return new ApiStatus(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        null);
  }

  static ApiStatus badRequest(String message) {
    return new ApiStatus(400, "BadRequest", message, null);
  }

  static ApiStatus notAcceptable(String accept) {
    return new ApiStatus(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/json;as=Table;"
            + "v=v1;g=meta.k8s.io (asked for "
            + accept
            + ")",
        null);
  }

  static ApiStatus expired(String message) {
    return new ApiStatus(410, "Expired", message, null);
  }

  static ApiStatus internalError(String message) {
    return new ApiStatus(500, "InternalError", message, null);
  }

  /** What a replica that does not hold the listings answers. */
  static ApiStatus standby() {
    return new ApiStatus(
        503,
        "ServiceUnavailable",
        "this replica is a standby: live sessions are served by the leader, which the Service"
            + " routes to once it has taken the Lease; retry in a few seconds",
        null);
  }

  ObjectNode toJson() {
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    status.put("kind", "Status").put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", "Failure").put("message", message).put("reason", reason);
    if (code == 403 || code == 404) {
      ObjectNode details = status.putObject("details");
      if (name != null) {
        details.put("name", name);
      }
      details.put("group", SessionsApi.GROUP).put("kind", SessionsApi.PLURAL);
    }
    status.put("code", code);
    return status;
  }

  byte[] bytes() {
    return SessionsApi.bytes(toJson());
  }
}
