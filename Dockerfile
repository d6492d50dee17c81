# syntax=docker/dockerfile:1
#
# Image for the Beebotte connection operator.
#
#   docker build -t REGISTRY/beebotte-connection-operator:TAG .
#
# Build stage: dependencies are resolved in their own layer, from pom.xml alone, so
# editing sources does not download the world again.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline
COPY src ./src
# `package` also builds the kubectl plugin (not part of the image) from these two.
COPY bin/kubectl-beebotte ./bin/
COPY deploy/krew/beebotte.yaml ./deploy/krew/
# Spotless and the tests run in `verify`, not here: CI runs them on every change. Test
# classes still compile: a test-scope tool orders the generated CRD's printer columns.
RUN mvn -B -DskipTests package dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory=target/lib \
 && mkdir -p /out \
 && cp target/beebotte-connection-operator-*.jar /out/operator.jar \
 && cp -r target/lib /out/lib

# Runtime stage: a JRE and nothing else (no shell, no package manager), running as the
# distroless "nonroot" user 65532, as the Deployment's securityContext expects.
FROM gcr.io/distroless/java17-debian12:nonroot
WORKDIR /app
# The jar's manifest has Main-Class and Class-Path lib/..., resolved next to the jar.
# Libraries first: they change less often than the operator itself.
COPY --from=build /out/lib/ /app/lib/
COPY --from=build /out/operator.jar /app/operator.jar
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/bin/java", "-jar", "/app/operator.jar"]
