package io.cpol.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionListDecoder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * {@code ConnectionListDecoder} against {@link PlainJacksonLoop} on the same bytes: once from
 * memory (the decoders alone) and once over loopback HTTP (the operator's client against a bare
 * OkHttp GET feeding the plain loop). Runs alternate so that load on the machine hits both alike.
 */
final class DecodeSection {
  private final BenchOptions options;
  private final ListingServer server;
  private final Results results;

  DecodeSection(BenchOptions options, ListingServer server, Results results) {
    this.options = options;
    this.server = server;
    this.results = results;
  }

  void run() {
    results.heading(
        "Decoding a listing: ConnectionListDecoder vs the plain Jackson loop (median / p99 of "
            + options.runs()
            + " alternating runs)");
    results.print(
        "%9s %9s  %-8s  %-17s %-17s %6s  %8s %8s",
        "conns", "bytes", "path", "ours", "plain loop", "ratio", "MB/s", "ns/conn");
    ArrayNode array = results.arraySection("decode");
    ConnectionListDecoder decoder = new ConnectionListDecoder();
    PlainJacksonLoop loop = new PlainJacksonLoop();
    for (int size : options.sizes()) {
      byte[] body = server.responseBytes(size);
      Samples oursMemory = new Samples();
      Samples plainMemory = new Samples();
      Samples oursHttp = new Samples();
      Samples plainHttp = new Samples();
      for (int run = 0; run < options.warmup() + options.runs(); run++) {
        boolean measured = run >= options.warmup();
        // Whichever goes second may meet the other's garbage; take turns.
        boolean oursFirst = run % 2 == 0;
        long plainMemoryNs = 0;
        long plainHttpNs = 0;
        if (!oursFirst) {
          plainMemoryNs = timePlain(loop, body, size);
        }
        long a = System.nanoTime();
        List<Connection> decoded = decode(decoder, body);
        long oursMemoryNs = System.nanoTime() - a;
        if (oursFirst) {
          plainMemoryNs = timePlain(loop, body, size);
        }
        if (!oursFirst) {
          plainHttpNs = timePlainHttp(loop, size);
        }
        long b = System.nanoTime();
        List<Connection> listed = server.list(size);
        long oursHttpNs = System.nanoTime() - b;
        if (oursFirst) {
          plainHttpNs = timePlainHttp(loop, size);
        }
        if (decoded.size() != size || listed.size() != size) {
          throw new IllegalStateException("the decoder lost connections at size " + size);
        }
        if (measured) {
          oursMemory.add(oursMemoryNs);
          plainMemory.add(plainMemoryNs);
          oursHttp.add(oursHttpNs);
          plainHttp.add(plainHttpNs);
        }
      }
      ObjectNode node = array.addObject();
      node.put("connections", size);
      node.put("responseBytes", body.length);
      node.set("fromMemory", row(size, body.length, "memory", oursMemory, plainMemory));
      node.set("overLoopbackHttp", row(size, body.length, "http", oursHttp, plainHttp));
      if (size == options.largestSize()) {
        double memoryRatio = oursMemory.medianMs() / plainMemory.medianMs();
        double httpRatio = oursHttp.medianMs() / plainHttp.medianMs();
        results.target(
            "decode " + size + " conns from the same bytes vs plain Jackson loop",
            "within 1.5×",
            Results.fmt(
                "%.2f× (%s vs %s)",
                memoryRatio, Results.ms(oursMemory.medianMs()), Results.ms(plainMemory.medianMs())),
            memoryRatio <= 1.5);
        results.target(
            "list+decode " + size + " conns over loopback HTTP vs GET + plain Jackson loop",
            "within 1.5×",
            Results.fmt(
                "%.2f× (%s vs %s)",
                httpRatio, Results.ms(oursHttp.medianMs()), Results.ms(plainHttp.medianMs())),
            httpRatio <= 1.5);
      }
    }
  }

  private ObjectNode row(int size, int bytes, String path, Samples ours, Samples plain) {
    double ratio = ours.medianMs() / plain.medianMs();
    double megabytesPerSecond = bytes / 1e6 / (ours.medianMs() / 1e3);
    double nsPerConnection = ours.medianMs() * 1e6 / size;
    results.print(
        "%9d %9d  %-8s  %-17s %-17s %5.2f×  %8.0f %8.0f",
        size,
        bytes,
        path,
        SyncCostSection.pair(ours),
        SyncCostSection.pair(plain),
        ratio,
        megabytesPerSecond,
        nsPerConnection);
    ObjectNode node = Results.JSON.createObjectNode();
    node.set("connectionListDecoder", ours.toJson());
    node.set("plainJacksonLoop", plain.toJson());
    node.put("ratio", Samples.round(ratio));
    node.put("oursMegabytesPerSecond", Math.round(megabytesPerSecond));
    node.put("oursNsPerConnection", Math.round(nsPerConnection));
    return node;
  }

  private static List<Connection> decode(ConnectionListDecoder decoder, byte[] body) {
    try {
      return decoder.decode(new ByteArrayInputStream(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long timePlain(PlainJacksonLoop loop, byte[] body, int size) {
    long start = System.nanoTime();
    long counted;
    try {
      counted = loop.decode(new ByteArrayInputStream(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long elapsed = System.nanoTime() - start;
    if (counted != size) {
      throw new IllegalStateException("the plain loop counted " + counted + ", not " + size);
    }
    return elapsed;
  }

  private long timePlainHttp(PlainJacksonLoop loop, int size) {
    long start = System.nanoTime();
    long counted = server.listWithPlainLoop(size, loop);
    long elapsed = System.nanoTime() - start;
    if (counted != size) {
      throw new IllegalStateException("the plain loop counted " + counted + ", not " + size);
    }
    return elapsed;
  }
}
