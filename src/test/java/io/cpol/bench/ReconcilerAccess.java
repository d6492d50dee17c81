package io.cpol.bench;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.CompiledPolicy;
import io.cpol.enforce.Evaluation;
import io.cpol.policy.ConnectionPolicyStatus;
import io.cpol.policy.ConnectionReport;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Reaches the reconciler's package-private sync steps ({@code PolicySync}, {@code StatusBuilder})
 * so that the benchmarks time exactly the code the operator runs, step by step, without widening
 * that package's API. If those steps are renamed, this fails at once, naming what it looked for;
 * the quick-mode test in {@code mvn verify} notices.
 */
final class ReconcilerAccess {
  private static final String PACKAGE = "io.cpol.reconciler.";

  private static final Class<?> DROPPER;
  private static final MethodHandle RUN;
  private static final MethodHandle REPORT;
  private static final MethodHandle SNAPSHOT;
  private static final MethodHandle STATUS_BUILDER;
  private static final MethodHandle SYNCED;

  static {
    try {
      Class<?> policySync = Class.forName(PACKAGE + "PolicySync");
      Class<?> snapshot = Class.forName(PACKAGE + "ConnectionSnapshot");
      Class<?> statusBuilder = Class.forName(PACKAGE + "StatusBuilder");
      Class<?> syncReport = Class.forName(PACKAGE + "SyncReport");
      DROPPER = Class.forName(PACKAGE + "PolicySync$Dropper");
      MethodHandles.Lookup lookup =
          MethodHandles.privateLookupIn(policySync, MethodHandles.lookup());
      RUN =
          lookup.findStatic(
              policySync,
              "run",
              MethodType.methodType(
                  syncReport, CompiledPolicy.class, snapshot, boolean.class, DROPPER, Clock.class));
      REPORT =
          lookup.findStatic(
              policySync,
              "report",
              MethodType.methodType(
                  List.class, Evaluation.class, Set.class, boolean.class, int.class));
      SNAPSHOT =
          lookup.findConstructor(
              snapshot,
              MethodType.methodType(void.class, List.class, Instant.class, boolean.class));
      STATUS_BUILDER =
          lookup.findConstructor(statusBuilder, MethodType.methodType(void.class, Duration.class));
      SYNCED =
          lookup.findVirtual(
              statusBuilder,
              "synced",
              MethodType.methodType(
                  ConnectionPolicyStatus.class,
                  ConnectionPolicyStatus.class,
                  long.class,
                  syncReport,
                  Instant.class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(
          new IllegalStateException(
              "the benchmarks time io.cpol.reconciler's PolicySync.run/report and"
                  + " StatusBuilder.synced; one of them changed: "
                  + e,
              e));
    }
  }

  private ReconcilerAccess() {}

  /** A {@code PolicySync.Dropper} that counts calls and closes nothing. */
  static Object countingDropper(int[] calls) {
    return Proxy.newProxyInstance(
        DROPPER.getClassLoader(),
        new Class<?>[] {DROPPER},
        (proxy, method, args) ->
            switch (method.getName()) {
              case "drop" -> {
                calls[0]++;
                yield null;
              }
              case "hashCode" -> System.identityHashCode(proxy);
              case "equals" -> proxy == args[0];
              case "toString" -> "counting dropper";
              default -> throw new UnsupportedOperationException(method.toString());
            });
  }

  /** {@code new ConnectionSnapshot(connections, listedAt, false)}. */
  static Object snapshot(List<Connection> connections, Instant listedAt) {
    try {
      return SNAPSHOT.invoke(connections, listedAt, false);
    } catch (Throwable e) {
      throw rethrow(e);
    }
  }

  /** {@code PolicySync.run(policy, snapshot, dryRun, dropper, clock)}: a SyncReport. */
  static Object runSync(
      CompiledPolicy policy, Object snapshot, boolean dryRun, Object dropper, Clock clock) {
    try {
      return RUN.invoke(policy, snapshot, dryRun, dropper, clock);
    } catch (Throwable e) {
      throw rethrow(e);
    }
  }

  /** {@code PolicySync.report(...)}: the sessions status lists, selected and ordered. */
  @SuppressWarnings("unchecked")
  static List<ConnectionReport> selectReported(
      Evaluation evaluation, Set<Connection> closed, boolean dryRun, int limit) {
    try {
      return (List<ConnectionReport>) REPORT.invoke(evaluation, closed, dryRun, limit);
    } catch (Throwable e) {
      throw rethrow(e);
    }
  }

  /** {@code new StatusBuilder(heartbeat)}. */
  static Object statusBuilder(Duration heartbeat) {
    try {
      return STATUS_BUILDER.invoke(heartbeat);
    } catch (Throwable e) {
      throw rethrow(e);
    }
  }

  /** {@code statusBuilder.synced(old, generation, syncReport, now)}. */
  static ConnectionPolicyStatus synced(
      Object statusBuilder,
      ConnectionPolicyStatus old,
      long generation,
      Object syncReport,
      Instant now) {
    try {
      return (ConnectionPolicyStatus)
          SYNCED.invoke(statusBuilder, old, generation, syncReport, now);
    } catch (Throwable e) {
      throw rethrow(e);
    }
  }

  private static RuntimeException rethrow(Throwable e) {
    if (e instanceof RuntimeException r) {
      throw r;
    }
    if (e instanceof Error error) {
      throw error;
    }
    throw new IllegalStateException(e);
  }
}
