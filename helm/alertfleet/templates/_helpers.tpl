{{/* Chart name, truncated to 63 characters (DNS label). */}}
{{- define "alertfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name. */}}
{{- define "alertfleet.fullname" -}}
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

{{- define "alertfleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "alertfleet.labels" -}}
helm.sh/chart: {{ include "alertfleet.chart" . }}
{{ include "alertfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "alertfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "alertfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component: ingest, worker, flower, redis. Usage: include "alertfleet.componentLabels" (list . "ingest") */}}
{{- define "alertfleet.componentLabels" -}}
{{ include "alertfleet.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "alertfleet.componentSelector" -}}
{{ include "alertfleet.selectorLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "alertfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "alertfleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "alertfleet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "alertfleet.secretName" -}}
{{- default (include "alertfleet.fullname" .) .Values.existingSecret }}
{{- end }}

{{- define "alertfleet.redisHost" -}}
{{- printf "%s-redis" (include "alertfleet.fullname" .) }}
{{- end }}

{{/* The environment every alertfleet container gets: settings, secrets (each optional), Redis, config. */}}
{{- define "alertfleet.env" -}}
- name: LITELLM_LOCAL_MODEL_COST_MAP
  value: "True"
{{- if .Values.redis.enabled }}
{{- if or .Values.externalRedis.url .Values.externalRedis.existingSecret }}
{{- fail "externalRedis is set but redis.enabled is true: set redis.enabled=false to use an external Redis" }}
{{- end }}
- name: REDIS_URL
  value: {{ printf "redis://%s:6379/0" (include "alertfleet.redisHost" .) | quote }}
{{- else if .Values.externalRedis.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.externalRedis.existingSecret }}
      key: {{ .Values.externalRedis.existingSecretKey }}
{{- else if not .Values.externalRedis.url }}
{{- fail "redis.enabled is false: set externalRedis.url or externalRedis.existingSecret" }}
{{- else if .Values.existingSecret }}
- name: REDIS_URL
  value: {{ .Values.externalRedis.url | quote }}
{{- else }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "alertfleet.secretName" . }}
      key: REDIS_URL
{{- end }}
{{- if .Values.config }}
- name: ALERTFLEET_CONFIG
  value: /etc/alertfleet/alertfleet.yaml
{{- end }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- range $name, $_ := .Values.secrets }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "alertfleet.secretName" $ }}
      key: {{ $name }}
      optional: true
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "alertfleet.envFrom" -}}
{{- with .Values.extraEnvFrom }}
envFrom:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Volumes every alertfleet pod mounts: a writable /tmp (read-only root) and the routing config. */}}
{{- define "alertfleet.volumes" -}}
- name: tmp
  emptyDir: {}
{{- if .Values.config }}
- name: config
  configMap:
    name: {{ include "alertfleet.fullname" . }}
{{- end }}
{{- end }}

{{- define "alertfleet.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.config }}
- name: config
  mountPath: /etc/alertfleet
  readOnly: true
{{- end }}
{{- end }}

{{/* Pod-level settings shared by the alertfleet Deployments. */}}
{{- define "alertfleet.podSpec" -}}
serviceAccountName: {{ include "alertfleet.serviceAccountName" . }}
automountServiceAccountToken: {{ .Values.serviceAccount.automount }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
{{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
