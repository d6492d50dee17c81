package io.cpol.reconciler;

import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The status this process last wrote for each policy, until the informer's copy catches up with it.
 * A status write is a conditional update on the {@code resourceVersion} it was built on; built on
 * the informer's copy right after a write of ours (during a pass each drop's count is stored before
 * the next call), it names a version the API server has already replaced and is refused (409), then
 * redone once the informer has the new version. Built on our own last write instead, it goes
 * through first time. Only our own writes are taken for the cache's: once the informer shows a
 * version that is neither one our writes replaced nor our last, someone else changed the policy (a
 * spec edit, another writer), and the informer's copy is used again, so a real conflict is still
 * refused and redone on the fresh copy. Thread-safe.
 */
final class WrittenStatuses {
  /**
   * Our last write: the version and status the API server returned, and every version our writes
   * replaced since the informer last caught up (the informer may show any of them meanwhile).
   */
  private record Written(
      String resourceVersion, ConnectionPolicyStatus status, Set<String> replaced) {}

  private final Map<String, Written> byUid = new ConcurrentHashMap<>();

  /**
   * The copy to build the next status on: {@code cached}, or, while the informer has not seen our
   * last write yet, {@code cached} with that write's resourceVersion and status (a new object: the
   * informer's copy is never changed).
   */
  ConnectionPolicy freshest(ConnectionPolicy cached) {
    String uid = cached.getMetadata().getUid();
    Written written = uid == null ? null : byUid.get(uid);
    if (written == null) {
      return cached;
    }
    String seen = cached.getMetadata().getResourceVersion();
    if (seen == null || !written.replaced().contains(seen)) {
      // Caught up with our write, or changed by someone else since: the informer knows best.
      byUid.remove(uid, written);
      return cached;
    }
    ConnectionPolicy fresher = new ConnectionPolicy();
    fresher.setMetadata(
        new ObjectMetaBuilder(cached.getMetadata())
            .withResourceVersion(written.resourceVersion())
            .build());
    fresher.setSpec(cached.getSpec());
    fresher.setStatus(written.status());
    return fresher;
  }

  /** {@code stored} is what the API server returned for a status write built on {@code basedOn}. */
  void wrote(ConnectionPolicy basedOn, ConnectionPolicy stored) {
    String uid = basedOn.getMetadata().getUid();
    String from = basedOn.getMetadata().getResourceVersion();
    String to = stored.getMetadata().getResourceVersion();
    if (uid == null || from == null || to == null) {
      return;
    }
    byUid.compute(
        uid,
        (u, before) -> {
          Set<String> replaced = new HashSet<>();
          if (before != null && before.resourceVersion().equals(from)) {
            // A chain of our own writes: the informer may still show any version in it.
            replaced.addAll(before.replaced());
          }
          replaced.add(from);
          return new Written(to, stored.getStatus(), Set.copyOf(replaced));
        });
  }

  /** A write was refused or the policy is gone: the informer's copy is used again. */
  void forget(String uid) {
    if (uid != null) {
      byUid.remove(uid);
    }
  }

  void forget(Set<String> uids) {
    byUid.keySet().removeAll(uids);
  }
}
