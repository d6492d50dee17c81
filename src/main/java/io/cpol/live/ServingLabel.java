package io.cpol.live;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The label {@value #LABEL}{@code =true} on this replica's own pod while it leads, so that the
 * sessions Service (whose selector includes it) routes only to the replica that holds the listings.
 * Every replica removes it at start, since a restarted container keeps its pod's labels, and on an
 * orderly stop before the Lease is released. Never throws into the operator: a failed patch logs
 * once and is retried with back-off until the pod has the wanted label. It acts only in a pod,
 * known by both {@code POD_NAME} and {@code POD_NAMESPACE} (the Deployment sets both from the
 * downward API): {@code --pod-name} alone only names a replica in the Lease, as tests and the
 * sandbox use it, and there is no pod to label.
 */
public final class ServingLabel implements AutoCloseable {
  public static final String LABEL = "live.beebotte.io/serving";

  static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  static final Duration LAST_RETRY = Duration.ofSeconds(30);

  /** How long an orderly stop waits for the label's removal before it gives up on it. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

  private static final Logger log = LoggerFactory.getLogger(ServingLabel.class);

  private final KubernetesClient kubernetes;
  private final String namespace;
  private final String pod;
  private final ScheduledExecutorService executor;

  // Guarded by this: what the pod should carry, and what a patch last made it carry.
  private boolean wanted;
  private Boolean applied;
  private Duration retry = FIRST_RETRY;
  private boolean failing;
  private ScheduledFuture<?> pendingRetry;
  private boolean closed;

  private ServingLabel(KubernetesClient kubernetes, String namespace, String pod) {
    this.kubernetes = kubernetes;
    this.namespace = namespace;
    this.pod = pod;
    this.executor =
        pod == null
            ? null
            : Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "serving-label");
                  t.setDaemon(true);
                  return t;
                });
  }

  /**
   * The label of pod {@code podName} in {@code podNamespace}; a no-op when either is null. Removes
   * the label at once (in the background): a replica serves only once it leads.
   */
  public static ServingLabel start(
      KubernetesClient kubernetes, String podNamespace, String podName) {
    ServingLabel label =
        new ServingLabel(kubernetes, podNamespace, podNamespace == null ? null : podName);
    label.serving(false);
    return label;
  }

  /** Whether this replica holds the listings now; the pod's label follows in the background. */
  public void serving(boolean serving) {
    if (executor == null) {
      return;
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      wanted = serving;
      if (pendingRetry != null) {
        pendingRetry.cancel(false);
        pendingRetry = null;
      }
      retry = FIRST_RETRY;
      // Under the lock: close() shuts the executor down only after it has set closed.
      executor.execute(this::apply);
    }
  }

  /**
   * Removes the label (waiting up to {@link #STOP_TIMEOUT}) and stops retrying: the orderly stop,
   * before the Lease is released, so the Service stops routing here before a standby takes over.
   */
  @Override
  public void close() {
    if (executor == null) {
      return;
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      wanted = false;
      closed = true;
      if (pendingRetry != null) {
        pendingRetry.cancel(false);
      }
    }
    try {
      executor.submit(this::applyOnce).get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn(
          "could not remove {} from pod {}/{} while stopping: {}",
          LABEL,
          namespace,
          pod,
          e.getCause() != null ? e.getCause().toString() : e.toString());
    } finally {
      executor.shutdownNow();
    }
  }

  /** Patches the pod when it differs from what is wanted; on failure schedules the next try. */
  private void apply() {
    boolean target;
    synchronized (this) {
      if (closed || (applied != null && applied == wanted)) {
        return;
      }
      target = wanted;
    }
    try {
      patch(target);
      synchronized (this) {
        applied = target;
        if (failing) {
          log.info("set {}={} on pod {}/{} after failed tries", LABEL, target, namespace, pod);
        }
        failing = false;
      }
      // The leadership may have changed while the patch was on its way.
      apply();
    } catch (RuntimeException e) {
      // Whatever it is (API errors, the network, a pod not there yet): never into the operator.
      synchronized (this) {
        if (!failing) {
          log.warn(
              "could not set {}={} on pod {}/{} ({}); retrying with back-off up to {}",
              LABEL,
              target,
              namespace,
              pod,
              e instanceof KubernetesClientException k && k.getCode() != 0
                  ? "HTTP " + k.getCode()
                  : e.toString(),
              LAST_RETRY);
        }
        failing = true;
        applied = null;
        if (!closed) {
          pendingRetry = executor.schedule(this::apply, retry.toMillis(), TimeUnit.MILLISECONDS);
          retry =
              retry.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : retry.multipliedBy(2);
        }
      }
    }
  }

  /** The stop's one try: remove the label, whatever the last patch did. */
  private void applyOnce() {
    patch(false);
  }

  /**
   * A JSON merge patch of the label alone: {@code null} removes it (and is a no-op when absent),
   * and no other label or field is touched. (Fabric8 reads the pod first: RBAC get and patch on
   * pods.)
   */
  private void patch(boolean serving) {
    String value = serving ? "\"true\"" : "null";
    kubernetes
        .pods()
        .inNamespace(namespace)
        .withName(pod)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"labels\":{\"" + LABEL + "\":" + value + "}}}");
  }
}
