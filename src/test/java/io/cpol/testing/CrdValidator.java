package io.cpol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The embedded API server's admission for one CRD, without a server: what a real API server would
 * do with an object of that CRD (prune, default, validate the schema and evaluate every CEL rule),
 * for tests that check the CRD itself.
 */
public final class CrdValidator {
  private final Admission admission = new Admission(namespace -> true);
  private final ApiResource type;

  private CrdValidator(ApiResource type) {
    this.type = type;
  }

  /**
   * The CRD in {@code file} (its first served version), compiled as an API server compiles it.
   *
   * @throws IllegalArgumentException when a real API server would refuse the CRD
   */
  public static CrdValidator load(Path file) {
    JsonNode crd;
    try {
      crd = Serialization.unmarshal(Files.readString(file), JsonNode.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    CrdValidator validator = new CrdValidator(ApiResource.fromCrd(crd).get(0));
    List<FieldError> errors = validator.admission.checkCrd(crd);
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(file + " would be refused: " + Admission.describe(errors));
    }
    return validator;
  }

  /** One cause of a refusal, as the Status carries it: kubectl prints "field: message". */
  public record Cause(String field, String reason, String message) {
    @Override
    public String toString() {
      return field + ": " + message;
    }
  }

  /**
   * What happened to an object sent to create.
   *
   * @param stored the object as stored (pruned, defaulted), null when refused
   * @param status the refusal's Status message, null when admitted
   */
  public record Result(JsonNode stored, List<Cause> errors, String status, List<String> warnings) {
    public boolean admitted() {
      return stored != null;
    }
  }

  /**
   * Admits {@code object} as a create with the given field validation ({@code Strict}, as kubectl
   * asks by default; {@code Warn}; {@code Ignore}).
   */
  public Result create(JsonNode object, String fieldValidation) {
    ObjectNode copy = object.deepCopy();
    String namespace = copy.path("metadata").path("namespace").asText("default");
    Admission.Outcome outcome =
        admission.admit(type, Admission.Operation.CREATE, copy, null, namespace, fieldValidation);
    if (outcome.admitted()) {
      return new Result(outcome.object(), List.of(), null, outcome.warnings());
    }
    ObjectNode status = outcome.rejection().status();
    List<Cause> errors = new java.util.ArrayList<>();
    status
        .path("details")
        .path("causes")
        .forEach(
            c ->
                errors.add(
                    new Cause(
                        c.path("field").asText(),
                        c.path("reason").asText(),
                        c.path("message").asText())));
    return new Result(null, errors, status.path("message").asText(), outcome.warnings());
  }

  /** Rules the sandbox accepts but does not evaluate (none for our CRD). */
  public List<String> unsupportedRules() {
    return admission.unsupportedRules(type);
  }
}
