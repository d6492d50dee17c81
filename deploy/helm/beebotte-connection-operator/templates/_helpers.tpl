{{/* The chart's name, for app.kubernetes.io/name. */}}
{{- define "beebotte.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's full name, prefix of every object's name. A release named like the chart (the
documented one, beebotte-connection-operator) gives the same names as deploy/.
*/}}
{{- define "beebotte.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels that pick this release's pods: name and instance, so shards never select each other. */}}
{{- define "beebotte.selectorLabels" -}}
app.kubernetes.io/name: {{ include "beebotte.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "beebotte.labels" -}}
{{ include "beebotte.selectorLabels" . }}
app.kubernetes.io/part-of: beebotte-connection-operator
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "beebotte.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "beebotte.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Settings that cannot work together fail the install with a reason, not at run time. */}}
{{- define "beebotte.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "replicaCount > 1 needs leaderElection.enabled: without a leader every replica would list and drop on its own" }}
{{- end }}
{{- if and (include "beebotte.pdb" .) (ge (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) }}
{{- fail "podDisruptionBudget.minAvailable must be below replicaCount, or no node could ever be drained" }}
{{- end }}
{{- end }}

{{/* Non-empty when the PodDisruptionBudget is rendered: a single replica gets none. */}}
{{- define "beebotte.pdb" -}}
{{- if and .Values.podDisruptionBudget.enabled (gt (int .Values.replicaCount) 1) }}true{{ end }}
{{- end }}
