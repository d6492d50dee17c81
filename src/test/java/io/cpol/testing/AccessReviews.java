package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

/**
 * "Who am I, what may I do?" as a single-user API server without RBAC answers it: everything, for
 * the one user every token maps to. Serves {@code kubectl auth can-i} (SelfSubjectAccessReview,
 * SelfSubjectRulesReview for {@code --list}) and {@code kubectl auth whoami} (SelfSubjectReview),
 * whatever encoding the request body has: kubectl sends these as protobuf, and nothing in them
 * changes the answer.
 */
final class AccessReviews {
  static final String USER = "sandbox";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private AccessReviews() {}

  /** The review's answer, or null when {@code path} is not a review endpoint. */
  static MockResponse answer(String path, RecordedRequest request) {
    return switch (path) {
      case "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" -> accessReview(request);
      case "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews" -> rulesReview(request);
      case "/apis/authentication.k8s.io/v1/selfsubjectreviews" -> whoAmI();
      default -> null;
    };
  }

  private static MockResponse accessReview(RecordedRequest request) {
    ObjectNode review = review("authorization.k8s.io/v1", "SelfSubjectAccessReview");
    review.set("spec", jsonSpec(request));
    review
        .putObject("status")
        .put("allowed", true)
        .put("reason", "the sandbox API has one user and no RBAC: everything is allowed");
    return created(review);
  }

  private static MockResponse rulesReview(RecordedRequest request) {
    ObjectNode review = review("authorization.k8s.io/v1", "SelfSubjectRulesReview");
    review.set("spec", jsonSpec(request));
    ObjectNode status = review.putObject("status");
    ObjectNode rule = status.putArray("resourceRules").addObject();
    rule.putArray("verbs").add("*");
    rule.putArray("apiGroups").add("*");
    rule.putArray("resources").add("*");
    ObjectNode nonResource = status.putArray("nonResourceRules").addObject();
    nonResource.putArray("verbs").add("*");
    nonResource.putArray("nonResourceURLs").add("*");
    status.put("incomplete", false);
    return created(review);
  }

  private static MockResponse whoAmI() {
    ObjectNode review = review("authentication.k8s.io/v1", "SelfSubjectReview");
    ObjectNode user = review.putObject("status").putObject("userInfo");
    user.put("username", USER);
    user.putArray("groups").add("system:masters").add("system:authenticated");
    return created(review);
  }

  private static ObjectNode review(String apiVersion, String kind) {
    ObjectNode review = JSON.objectNode();
    review.put("kind", kind).put("apiVersion", apiVersion);
    review.putObject("metadata").putNull("creationTimestamp");
    return review;
  }

  /** The request's spec when it came as JSON; protobuf requests get an empty one back. */
  private static JsonNode jsonSpec(RecordedRequest request) {
    if (request.getBody() == null || request.getBody().size() == 0) {
      return JSON.objectNode();
    }
    try {
      JsonNode body = MAPPER.readTree(request.getBody().getBytes());
      return body != null && body.path("spec").isObject() ? body.get("spec") : JSON.objectNode();
    } catch (java.io.IOException e) {
      return JSON.objectNode();
    }
  }

  private static MockResponse created(ObjectNode body) {
    try {
      return new MockResponse()
          .setResponseCode(201)
          .setHeader("Content-Type", "application/json")
          .setBody(new Buffer(MAPPER.writeValueAsBytes(body)));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
