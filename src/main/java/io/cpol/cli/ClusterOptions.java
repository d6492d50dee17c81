package io.cpol.cli;

import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Where the cluster is, as kubectl's own flags say it. */
final class ClusterOptions {
  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "The kubeconfig (default: $KUBECONFIG, else ~/.kube/config).")
  Path kubeconfig;

  @Option(
      names = "--context",
      paramLabel = "NAME",
      description = "The kubeconfig context (default: the current one).")
  String context;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NS",
      description = "The namespace (default: the context's).")
  String namespace;

  @Option(
      names = "--request-timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = Durations.class,
      description =
          "How long one call to Kubernetes or Beebotte may take (default: ${DEFAULT-VALUE}).")
  Duration requestTimeout;

  @Option(
      names = "--default-endpoint",
      paramLabel = "URL",
      description =
          "The Beebotte API of policies without spec.endpoint (default: $BEEBOTTE_DEFAULT_ENDPOINT,"
              + " else what the operator reported in such a policy's status.endpoint, else"
              + " https://api.beebotte.com).")
  String defaultEndpoint;
}
