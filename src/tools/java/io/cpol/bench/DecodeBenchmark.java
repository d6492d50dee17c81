package io.cpol.bench;

import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionListDecoder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: {@code ConnectionListDecoder} and {@link PlainJacksonLoop} on the simulator's response bytes
 * for a listing. Run through {@code bin/benchmark} (section {@code jmh}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class DecodeBenchmark {
  @Param({"100000"})
  public int connections;

  private byte[] body;
  private final ConnectionListDecoder decoder = new ConnectionListDecoder();
  private final PlainJacksonLoop loop = new PlainJacksonLoop();

  @Setup
  public void setUp() {
    try (ListingServer server = ListingServer.start(List.of(connections))) {
      body = server.responseBytes(connections);
    }
  }

  @Benchmark
  public List<Connection> connectionListDecoder() throws IOException {
    return decoder.decode(new ByteArrayInputStream(body));
  }

  @Benchmark
  public long plainJacksonLoop() throws IOException {
    return loop.decode(new ByteArrayInputStream(body));
  }
}
