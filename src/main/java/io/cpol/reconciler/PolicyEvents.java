package io.cpol.reconciler;

import io.cpol.beebotte.Redactor;
import io.cpol.policy.ConnectionPolicy;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on a policy, for {@code kubectl describe}. Recording is best effort: a failed
 * event never fails a sync. Every message passes the operator's {@link Redactor} first.
 */
class PolicyEvents {
  private static final Logger log = LoggerFactory.getLogger(PolicyEvents.class);
  static final String COMPONENT = "beebotte-connection-operator";

  private final KubernetesClient client;
  private final Clock clock;
  private final String instance;
  private final Redactor redactor;

  PolicyEvents(KubernetesClient client, Clock clock, String instance, Redactor redactor) {
    this.client = client;
    this.clock = clock;
    this.instance = instance;
    this.redactor = redactor;
  }

  void normal(ConnectionPolicy policy, String reason, String message) {
    record(policy, "Normal", reason, message);
  }

  void warning(ConnectionPolicy policy, String reason, String message) {
    record(policy, "Warning", reason, message);
  }

  private void record(ConnectionPolicy policy, String type, String reason, String message) {
    Event event = event(policy, type, reason, message);
    String namespace = event.getMetadata().getNamespace();
    try {
      client.v1().events().inNamespace(namespace).resource(event).create();
    } catch (RuntimeException e) {
      // An event is a courtesy: failing to write one (API server refusing, client closed during
      // shutdown) must never fail the pass or reconcile that has something to report.
      log.warn(
          "could not record event {} on {}/{}: {}",
          reason,
          namespace,
          policy.getMetadata().getName(),
          e.getMessage());
    }
  }

  /**
   * The event as it is written. The message is scrubbed before it is cut (a cut value would no
   * longer be found) and after (the cut's "..." could complete one).
   */
  Event event(ConnectionPolicy policy, String type, String reason, String message) {
    String now = StatusTime.format(clock.instant());
    String namespace = policy.getMetadata().getNamespace();
    String text = redactor.scrub(message);
    text = redactor.scrub(text.length() > 1024 ? text.substring(0, 1021) + "..." : text);
    return new EventBuilder()
        .withNewMetadata()
        // A generateName must itself be a DNS subdomain prefix: "name." is refused.
        .withGenerateName(policy.getMetadata().getName() + "-")
        .withNamespace(namespace)
        .endMetadata()
        .withInvolvedObject(
            new ObjectReferenceBuilder()
                .withApiVersion(policy.getApiVersion())
                .withKind(policy.getKind())
                .withName(policy.getMetadata().getName())
                .withNamespace(namespace)
                .withUid(policy.getMetadata().getUid())
                .withResourceVersion(policy.getMetadata().getResourceVersion())
                .build())
        .withType(type)
        .withReason(reason)
        .withMessage(text)
        .withFirstTimestamp(now)
        .withLastTimestamp(now)
        .withCount(1)
        .withNewSource()
        .withComponent(COMPONENT)
        .endSource()
        .withReportingComponent(COMPONENT)
        .withReportingInstance(instance)
        .build();
  }
}
