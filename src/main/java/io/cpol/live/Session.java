package io.cpol.live;

import io.cpol.beebotte.Connection;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One live session as the {@code live.beebotte.io/v1alpha1} API serves it to one namespace: the
 * session in Beebotte's fields, the listing it comes from, and the verdicts of the namespace's
 * policies that use its account.
 *
 * @param name stable per session and a valid Kubernetes name ({@link SessionNames})
 * @param resourceVersion the store version at which this object last changed
 * @param firstSeen when the session was first listed (metadata.creationTimestamp)
 * @param account the account's owner as the listing shows it, else its endpoint
 * @param listedAt when the listing this object comes from was made
 * @param decision the verdict shown: the first enforcing policy (account order) that denies it,
 *     else the first dry-run one, else the first allow exception that kept it, else Allowed with no
 *     policy
 * @param evaluations every policy of the namespace that evaluated the session, in account order
 */
public record Session(
    String namespace,
    String name,
    long resourceVersion,
    Instant firstSeen,
    Connection connection,
    String account,
    Instant listedAt,
    PolicyVerdict decision,
    List<PolicyVerdict> evaluations) {

  /** The label keys a label selector can use. */
  public static final String PROTOCOL_LABEL = "protocol";

  public static final String VERDICT_LABEL = "verdict";
  public static final String POLICY_LABEL = "policy";

  /** The field-selector keys the API supports, as kubectl's {@code --field-selector} takes them. */
  public static final Set<String> FIELDS =
      Set.of("metadata.name", "metadata.namespace", "userid", "sid", "protocol", "clientip");

  public Session {
    evaluations = List.copyOf(evaluations);
  }

  /** {@code protocol}, {@code verdict} and, when a policy decided, {@code policy}. */
  public Map<String, String> labels() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(PROTOCOL_LABEL, connection.protocol());
    labels.put(VERDICT_LABEL, decision.verdict());
    if (decision.policy() != null) {
      labels.put(POLICY_LABEL, decision.policy());
    }
    return labels;
  }

  /** The value of one of {@link #FIELDS}; null when the session has none. */
  public String field(String key) {
    return switch (key) {
      case "metadata.name" -> name;
      case "metadata.namespace" -> namespace;
      case "userid" -> connection.userid();
      case "sid" -> connection.sid();
      case "protocol" -> connection.protocol();
      case "clientip" -> connection.clientip();
      default -> throw new IllegalArgumentException("field label not supported: " + key);
    };
  }
}
