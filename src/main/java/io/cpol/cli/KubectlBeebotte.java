package io.cpol.cli;

import picocli.CommandLine.Command;

/** The {@code kubectl beebotte} command and its verbs. */
@Command(
    name = "kubectl beebotte",
    mixinStandardHelpOptions = true,
    versionProvider = KubectlBeebotte.VersionProvider.class,
    description = {
      "Live Beebotte sessions and ConnectionPolicy decisions, computed by the operator's own code.",
      "Uses your kubeconfig; reads the policies' Secrets to list their Beebotte accounts."
    },
    subcommands = {SessionsCommand.class, PreviewCommand.class, WhyCommand.class},
    footer = {
      "",
      "Examples:",
      "  kubectl beebotte sessions                        the sessions of the namespace's accounts",
      "  kubectl beebotte sessions block-socketio --verdict denied -o wide",
      "  kubectl beebotte sessions --from-status          what the last syncs saw (no Secret read)",
      "  kubectl beebotte preview -f policy.yaml --fail-over 10",
      "  kubectl beebotte why device-0042"
    })
final class KubectlBeebotte implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "a command is needed: sessions, preview or why");
  }

  /** The version in the jar's manifest. */
  static final class VersionProvider implements picocli.CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"kubectl-beebotte " + Version.get()};
    }
  }
}
