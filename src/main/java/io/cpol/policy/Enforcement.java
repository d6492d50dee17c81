package io.cpol.policy;

/** Whether denied connections are dropped or only reported. */
public enum Enforcement {
  Enforce,
  DryRun
}
