package io.cpol.live;

/**
 * What a request does, as a SubjectAccessReview asks it: a verb on sessions (in a namespace, or
 * every namespace when null; one session when {@code name} is set), or a GET of a path that is no
 * resource (discovery, OpenAPI).
 */
record Access(String verb, String namespace, String name, String path) {
  static Access sessions(String verb, String namespace, String name) {
    return new Access(verb, namespace, name, null);
  }

  static Access nonResource(String path) {
    return new Access("get", null, null, path);
  }

  boolean isResource() {
    return path == null;
  }
}
