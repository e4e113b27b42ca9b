{{/* The operator's rules, derived from its API calls (tests/chart_rbac.rs lists each call and
the file making it). */}}

{{/* Reading and scaling scale targets: pod templates of Deployments, StatefulSets and the kinds
in rbac.scaleTargets (their env may name Secrets), and their /scale subresource. */}}
{{- define "kedars.operator.targetRules" -}}
- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets"]
  verbs: ["get"]
{{- range .Values.rbac.scaleTargets }}
- apiGroups: [{{ .apiGroup | quote }}]
  resources: {{ toJson .resources }}
  verbs: ["get"]
{{- end }}
{{- if .Values.rbac.scaleAnyKind }}
- apiGroups: ["*"]
  resources: ["*/scale"]
  verbs: ["get", "patch"]
{{- else }}
- apiGroups: ["apps"]
  resources: ["deployments/scale", "statefulsets/scale"]
  verbs: ["get", "patch"]
{{- range .Values.rbac.scaleTargets }}
{{- $scales := list }}
{{- range .resources }}{{ $scales = append $scales (printf "%s/scale" .) }}{{ end }}
- apiGroups: [{{ .apiGroup | quote }}]
  resources: {{ toJson $scales }}
  verbs: ["get", "patch"]
{{- end }}
{{- end }}
{{- end -}}

{{/* Everything the operator does inside a namespace whose ScaledObjects it handles; call with
(dict "root" $ "listWatch" bool): list/watch of ScaledObjects and HPAs are here unless the
operator watches them cluster-wide. */}}
{{- define "kedars.operator.namespacedRules" -}}
- apiGroups: ["keda.sh"]
  resources: ["scaledobjects"]
  verbs: {{ if .listWatch }}["get", "list", "patch", "watch"]{{ else }}["get", "patch"]{{ end }}
- apiGroups: ["keda.sh"]
  resources: ["scaledobjects/status"]
  verbs: ["patch"]
- apiGroups: ["keda.sh"]
  resources: ["triggerauthentications"]
  verbs: {{ if .listWatch }}["get", "list", "watch"]{{ else }}["get"]{{ end }}
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: {{ if .listWatch }}["create", "delete", "list", "patch", "watch"]{{ else }}["create", "delete", "patch"]{{ end }}
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get"]
{{ include "kedars.operator.targetRules" .root }}
{{- end -}}
