package io.cpol.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;

/** Wall-clock durations of repeated runs of one thing, in nanoseconds. */
final class Samples {
  private long[] nanos = new long[32];
  private int size;

  void add(long elapsedNanos) {
    if (size == nanos.length) {
      nanos = Arrays.copyOf(nanos, size * 2);
    }
    nanos[size++] = elapsedNanos;
  }

  int size() {
    return size;
  }

  /** Median, in milliseconds. */
  double medianMs() {
    return percentileNanos(50) / 1e6;
  }

  /** 99th percentile by nearest rank, in milliseconds; the slowest run when there are < 100. */
  double p99Ms() {
    return percentileNanos(99) / 1e6;
  }

  double minMs() {
    return sorted()[0] / 1e6;
  }

  double maxMs() {
    return sorted()[size - 1] / 1e6;
  }

  /** Nearest-rank percentile: the smallest sample at or above p percent of the samples. */
  long percentileNanos(double p) {
    if (size == 0) {
      throw new IllegalStateException("no samples");
    }
    long[] sorted = sorted();
    int rank = (int) Math.ceil(p / 100.0 * size);
    return sorted[Math.max(0, Math.min(size, rank) - 1)];
  }

  /** {@code {"runs", "medianMs", "p99Ms", "minMs", "maxMs"}}. */
  ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("runs", size);
    node.put("medianMs", round(medianMs()));
    node.put("p99Ms", round(p99Ms()));
    node.put("minMs", round(minMs()));
    node.put("maxMs", round(maxMs()));
    return node;
  }

  private long[] sorted() {
    long[] copy = Arrays.copyOf(nanos, size);
    Arrays.sort(copy);
    return copy;
  }

  /** Three decimals: microsecond resolution is all a wall clock on a shared machine gives. */
  static double round(double value) {
    return Math.round(value * 1000.0) / 1000.0;
  }
}
