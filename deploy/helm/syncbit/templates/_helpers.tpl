{{/* The chart's name, or nameOverride. */}}
{{- define "syncbit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The objects' name: the release's when it holds the chart's name (syncbit). */}}
{{- define "syncbit.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "syncbit.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "syncbit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "syncbit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* k8s/'s labels (name, part-of) and Helm's. */}}
{{- define "syncbit.labels" -}}
{{ include "syncbit.selectorLabels" . }}
app.kubernetes.io/part-of: syncbit
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "syncbit.secretName" -}}
{{- default (printf "%s-secrets" (include "syncbit.fullname" .)) .Values.secret.name -}}
{{- end -}}

{{- define "syncbit.tokenSecretName" -}}
{{- default (printf "%s-tokens" (include "syncbit.fullname" .)) .Values.tokenSecret.name -}}
{{- end -}}

{{- define "syncbit.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The scrape endpoint of the ServiceMonitor and the VMServiceScrape. */}}
{{- define "syncbit.scrapeSpec" -}}
jobLabel: app.kubernetes.io/name
selector:
  matchLabels:
    {{- include "syncbit.selectorLabels" .root | nindent 4 }}
endpoints:
  - port: http-metrics
    path: /metrics
    interval: {{ .cfg.interval }}
    scrapeTimeout: {{ .cfg.scrapeTimeout }}
{{- end -}}
