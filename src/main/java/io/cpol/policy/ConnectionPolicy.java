package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Which live Beebotte connections must not exist, and what the operator last saw. */
@Group("beebotte.io")
@Version("v1alpha1")
@Plural("connectionpolicies")
@ShortNames("cpol")
@Categories("beebotte")
@AdditionalPrinterColumn(
    name = "Mode",
    jsonPath = ".status.mode",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Connected",
    jsonPath = ".status.connected",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Denied",
    jsonPath = ".status.denied",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Dropped",
    jsonPath = ".status.dropped",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Last Sync",
    jsonPath = ".status.lastSyncTime",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Enforced",
    jsonPath = ".status.conditions[?(@.type==\"Enforced\")].reason",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Interval",
    jsonPath = ".spec.interval",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Omitted",
    jsonPath = ".status.connectionsOmitted",
    type = AdditionalPrinterColumn.Type.INTEGER,
    priority = 1)
// A top-level field this version does not know must not stop the informer either.
@JsonIgnoreProperties(ignoreUnknown = true)
public class ConnectionPolicy extends CustomResource<ConnectionPolicySpec, ConnectionPolicyStatus>
    implements Namespaced {}
