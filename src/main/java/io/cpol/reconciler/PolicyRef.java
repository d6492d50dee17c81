package io.cpol.reconciler;

import io.cpol.policy.ConnectionPolicy;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Comparator;
import java.util.Objects;

/**
 * One ConnectionPolicy object: its uid (a policy deleted and created again under the same name is
 * another policy) and its name. Orders by namespace then name, the order in which policies of one
 * account are numbered, and so the order that decides which policy a shared drop counts for.
 */
record PolicyRef(String uid, String namespace, String name) implements Comparable<PolicyRef> {
  private static final Comparator<PolicyRef> ORDER =
      Comparator.comparing(PolicyRef::namespace)
          .thenComparing(PolicyRef::name)
          .thenComparing(PolicyRef::uid);

  PolicyRef {
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  static PolicyRef of(ConnectionPolicy policy) {
    String namespace = policy.getMetadata().getNamespace();
    String name = policy.getMetadata().getName();
    String uid = policy.getMetadata().getUid();
    return new PolicyRef(uid == null ? namespace + "/" + name : uid, namespace, name);
  }

  ResourceID resourceId() {
    return new ResourceID(name, namespace);
  }

  @Override
  public int compareTo(PolicyRef other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
