package io.cpol.beebotte;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The requests Beebotte's official Node client signed, shared by the signer and client tests. */
final class SignatureVectors {

  static final String RESOURCE = "/beebotte-signatures.json";
  static final Path SHARED = Path.of("..", "shared", "testdata", "beebotte-signatures.json");

  /** One signed request as recorded from the official client. */
  record Vector(
      String apiKey,
      String secretKey,
      String method,
      String path,
      String date,
      String contentType,
      String contentMd5,
      String authorization) {}

  private SignatureVectors() {}

  /** The test-resource copy, else the shared original; failing loudly when neither is there. */
  static List<Vector> load() {
    try (InputStream in = SignatureVectors.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        return parse(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (Files.isRegularFile(SHARED)) {
      try (InputStream in = Files.newInputStream(SHARED)) {
        return parse(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return fail(
        "signature vectors not found: neither classpath %s nor %s (from %s)",
        RESOURCE, SHARED, Path.of("").toAbsolutePath());
  }

  private static List<Vector> parse(InputStream in) throws IOException {
    List<Vector> vectors = new ObjectMapper().readValue(in, new TypeReference<List<Vector>>() {});
    if (vectors.isEmpty()) {
      fail("signature vector file is empty");
    }
    return vectors;
  }
}
