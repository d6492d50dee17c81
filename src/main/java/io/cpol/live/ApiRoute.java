package io.cpol.live;

/**
 * Which document or which sessions a request path names.
 *
 * @param namespace for {@link Kind#SESSIONS}: null for every namespace
 * @param name for {@link Kind#SESSIONS}: one session, else null
 */
record ApiRoute(Kind kind, String namespace, String name) {
  enum Kind {
    HEALTH,
    API_GROUP_LIST,
    API_GROUP,
    API_RESOURCE_LIST,
    OPENAPI_V2,
    OPENAPI_V3_INDEX,
    OPENAPI_V3,
    SESSIONS,
    UNKNOWN
  }

  private static final String SESSIONS = SessionsApi.VERSION_PATH + "/" + SessionsApi.PLURAL;
  private static final String NAMESPACES = SessionsApi.VERSION_PATH + "/namespaces/";

  static ApiRoute of(String path) {
    String p =
        path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    switch (p) {
      case "/healthz", "/livez", "/readyz":
        return simple(Kind.HEALTH);
      case "/apis":
        return simple(Kind.API_GROUP_LIST);
      case SessionsApi.GROUP_PATH:
        return simple(Kind.API_GROUP);
      case SessionsApi.VERSION_PATH:
        return simple(Kind.API_RESOURCE_LIST);
      case "/openapi/v2":
        return simple(Kind.OPENAPI_V2);
      case "/openapi/v3":
        return simple(Kind.OPENAPI_V3_INDEX);
      case SessionsOpenApi.V3_PATH:
        return simple(Kind.OPENAPI_V3);
      case SESSIONS:
        return new ApiRoute(Kind.SESSIONS, null, null);
      default:
        break;
    }
    if (p.startsWith(NAMESPACES)) {
      String[] parts = p.substring(NAMESPACES.length()).split("/", -1);
      if (parts.length >= 2
          && parts.length <= 3
          && !parts[0].isEmpty()
          && parts[1].equals(SessionsApi.PLURAL)) {
        if (parts.length == 2) {
          return new ApiRoute(Kind.SESSIONS, parts[0], null);
        }
        if (!parts[2].isEmpty()) {
          return new ApiRoute(Kind.SESSIONS, parts[0], parts[2]);
        }
      }
    }
    return simple(Kind.UNKNOWN);
  }

  private static ApiRoute simple(Kind kind) {
    return new ApiRoute(kind, null, null);
  }
}
