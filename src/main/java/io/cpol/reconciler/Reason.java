package io.cpol.reconciler;

/** The reasons of the Ready and Enforced conditions, as the contract names them. */
enum Reason {
  // Ready=True
  Synced,
  Suspended,
  // Ready=False
  CredentialsNotFound,
  InvalidCredentials,
  AuthenticationFailed,
  BeebotteUnavailable,
  InvalidSpec,
  ReconcileError,
  // Enforced
  AllDropped,
  DryRun,
  DropBudgetExceeded,
  DropFailed;

  /** Reasons that are a mode the user chose, not a failure to warn about. */
  boolean chosenByUser() {
    return this == Suspended || this == DryRun;
  }
}
