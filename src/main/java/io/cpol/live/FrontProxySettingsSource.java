package io.cpol.live;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front proxy's current settings: ConfigMap {@code kube-system/extension-apiserver-
 * authentication}, read at start and again every period, so a rotated front-proxy CA or a new
 * allowed name is taken without a restart. A failed read keeps the last settings; a missing
 * ConfigMap means no front proxy (every request refused).
 */
final class FrontProxySettingsSource implements Supplier<FrontProxySettings>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FrontProxySettingsSource.class);

  private final KubernetesClient kubernetes;
  private final ScheduledExecutorService timer;
  private volatile FrontProxySettings settings = FrontProxySettings.NONE;

  FrontProxySettingsSource(KubernetesClient kubernetes, Duration period) {
    this.kubernetes = kubernetes;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "sessions-api-front-proxy");
              t.setDaemon(true);
              return t;
            });
    refresh();
    long millis = Math.max(1, period.toMillis());
    timer.scheduleWithFixedDelay(this::refresh, millis, millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public FrontProxySettings get() {
    return settings;
  }

  /** Reads the ConfigMap now. */
  void refresh() {
    try {
      ConfigMap map =
          kubernetes
              .configMaps()
              .inNamespace(FrontProxySettings.NAMESPACE)
              .withName(FrontProxySettings.NAME)
              .get();
      FrontProxySettings read =
          map == null ? FrontProxySettings.NONE : FrontProxySettings.fromConfigMap(map.getData());
      if (!read.sameAs(settings)) {
        log.info(
            "sessions API front proxy: {} CA certificate(s), allowed names {}, user headers {}",
            read.anchors().size(),
            read.allowedNames().isEmpty() ? "any" : read.allowedNames(),
            read.usernameHeaders());
      }
      settings = read;
    } catch (KubernetesClientException | IllegalArgumentException e) {
      log.warn(
          "sessions API: cannot read {}/{}; keeping the last front-proxy settings: {}",
          FrontProxySettings.NAMESPACE,
          FrontProxySettings.NAME,
          e.getMessage());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
