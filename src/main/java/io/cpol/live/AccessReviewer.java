package io.cpol.live;

import io.fabric8.kubernetes.api.model.authorization.v1.NonResourceAttributesBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributesBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Asks the Kubernetes API whether a user may do what a request does (a SubjectAccessReview, as
 * every aggregated API server delegates authorization). An allowed answer is kept for {@link
 * #ALLOWED_FOR}, so kubectl's 200 pages of one list cost one review, not 200; a denial is never
 * kept (a user given the role a moment later is let in at once), nor is a failure.
 */
final class AccessReviewer {
  static final Duration ALLOWED_FOR = Duration.ofSeconds(10);
  private static final int MAX_KEPT = 4096;

  /** The answer; {@code reason} is the authorizer's, shown in a 403. */
  record Decision(boolean allowed, String reason) {}

  private record Key(RequestUser user, Access access) {}

  private final KubernetesClient kubernetes;
  private final Clock clock;
  private final Map<Key, Instant> allowedUntil = new ConcurrentHashMap<>();

  AccessReviewer(KubernetesClient kubernetes, Clock clock) {
    this.kubernetes = kubernetes;
    this.clock = clock;
  }

  /**
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API cannot answer
   */
  Decision review(RequestUser user, Access access) {
    Key key = new Key(user, access);
    Instant now = clock.instant();
    Instant until = allowedUntil.get(key);
    if (until != null && now.isBefore(until)) {
      return new Decision(true, "");
    }
    SubjectAccessReviewStatus status =
        kubernetes
            .authorization()
            .v1()
            .subjectAccessReview()
            .create(request(user, access))
            .getStatus();
    boolean allowed = status != null && Boolean.TRUE.equals(status.getAllowed());
    if (allowed) {
      if (allowedUntil.size() >= MAX_KEPT) {
        allowedUntil.clear();
      }
      allowedUntil.put(key, now.plus(ALLOWED_FOR));
    } else {
      allowedUntil.remove(key);
    }
    String reason = status == null || status.getReason() == null ? "" : status.getReason();
    return new Decision(allowed, reason);
  }

  private static SubjectAccessReview request(RequestUser user, Access access) {
    SubjectAccessReviewBuilder review =
        new SubjectAccessReviewBuilder()
            .withNewSpec()
            .withUser(user.name())
            .withGroups(user.groups())
            .withExtra(user.extra())
            .endSpec();
    if (access.isResource()) {
      review
          .editSpec()
          .withResourceAttributes(
              new ResourceAttributesBuilder()
                  .withGroup(SessionsApi.GROUP)
                  .withVersion(SessionsApi.VERSION)
                  .withResource(SessionsApi.PLURAL)
                  .withVerb(access.verb())
                  .withNamespace(access.namespace())
                  .withName(access.name())
                  .build())
          .endSpec();
    } else {
      review
          .editSpec()
          .withNonResourceAttributes(
              new NonResourceAttributesBuilder()
                  .withPath(access.path())
                  .withVerb(access.verb())
                  .build())
          .endSpec();
    }
    return review.build();
  }
}
