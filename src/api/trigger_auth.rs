//! TriggerAuthentication and ClusterTriggerAuthentication (KEDA's
//! `triggerauthentication_types.go`): one spec, two scopes.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "keda.sh",
    version = "v1alpha1",
    kind = "TriggerAuthentication",
    plural = "triggerauthentications",
    singular = "triggerauthentication",
    shortname = "ta",
    shortname = "triggerauth",
    namespaced,
    status = "TriggerAuthenticationStatus",
    derive = "Default",
    derive = "PartialEq",
    printcolumn = r#"{"name":"PodIdentity","type":"string","jsonPath":".spec.podIdentity.provider"}"#,
    printcolumn = r#"{"name":"Secret","type":"string","jsonPath":".spec.secretTargetRef[*].name"}"#,
    printcolumn = r#"{"name":"Env","type":"string","jsonPath":".spec.env[*].name"}"#,
    printcolumn = r#"{"name":"VaultAddress","type":"string","jsonPath":".spec.hashiCorpVault.address"}"#,
    printcolumn = r#"{"name":"ScaledObjects","type":"string","priority":1,"jsonPath":".status.scaledobjects"}"#,
    printcolumn = r#"{"name":"ScaledJobs","type":"string","priority":1,"jsonPath":".status.scaledjobs"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAuthenticationSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_identity: Option<PodIdentity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_target_ref: Vec<TargetRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_map_target_ref: Vec<TargetRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvRef>,
    /// Only honoured on ClusterTriggerAuthentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashi_corp_vault: Option<HashiCorpVault>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_key_vault: Option<AzureKeyVault>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp_secret_manager: Option<GcpSecretManager>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_secret_manager: Option<AwsSecretManager>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bound_service_account_token: Vec<BoundServiceAccountToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
}

/// The cluster-scoped twin; its Secrets and ConfigMaps live in the operator's namespace.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "keda.sh",
    version = "v1alpha1",
    kind = "ClusterTriggerAuthentication",
    plural = "clustertriggerauthentications",
    singular = "clustertriggerauthentication",
    shortname = "cta",
    shortname = "clustertriggerauth",
    status = "TriggerAuthenticationStatus",
    derive = "Default",
    derive = "PartialEq",
    printcolumn = r#"{"name":"PodIdentity","type":"string","jsonPath":".spec.podIdentity.provider"}"#,
    printcolumn = r#"{"name":"Secret","type":"string","jsonPath":".spec.secretTargetRef[*].name"}"#,
    printcolumn = r#"{"name":"Env","type":"string","jsonPath":".spec.env[*].name"}"#,
    printcolumn = r#"{"name":"FilePath","type":"string","jsonPath":".spec.filePath"}"#,
    printcolumn = r#"{"name":"VaultAddress","type":"string","jsonPath":".spec.hashiCorpVault.address"}"#,
    printcolumn = r#"{"name":"ScaledObjects","type":"string","priority":1,"jsonPath":".status.scaledobjects"}"#,
    printcolumn = r#"{"name":"ScaledJobs","type":"string","priority":1,"jsonPath":".status.scaledjobs"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterTriggerAuthenticationSpec {
    #[serde(flatten)]
    pub spec: TriggerAuthenticationSpec,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAuthenticationStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaledobjects: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaledjobs: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodIdentity {
    #[schemars(extend("enum" = ["azure-workload", "gcp", "aws", "aws-eks", "none"]))]
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_authority_host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "externalID")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["keda", "workload"]))]
    pub identity_owner: Option<String>,
}

/// `secretTargetRef[]` / `configMapTargetRef[]`: parameter ← key of a named object.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct TargetRef {
    pub parameter: String,
    pub name: String,
    pub key: String,
}

/// `env[]`: parameter ← an environment variable of the scale target's container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvRef {
    pub parameter: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HashiCorpVault {
    pub address: String,
    #[schemars(extend("enum" = ["token", "kubernetes"]))]
    pub authentication: String,
    #[schemars(length(min = 1))]
    pub secrets: Vec<VaultSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<VaultCredential>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VaultSecret {
    pub parameter: String,
    pub path: String,
    pub key: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pki_data: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VaultCredential {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
}

/// `valueFrom.secretKeyRef`, as the cloud secret managers take credentials.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValueFromSecret {
    pub value_from: SecretKeyRefHolder,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRefHolder {
    pub secret_key_ref: SecretKeyRef,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct SecretKeyRef {
    pub name: String,
    pub key: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AzureKeyVault {
    pub vault_uri: String,
    pub secrets: Vec<AzureKeyVaultSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<AzureKeyVaultCredentials>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_identity: Option<PodIdentity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<AzureKeyVaultCloud>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AzureKeyVaultSecret {
    pub parameter: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AzureKeyVaultCredentials {
    pub client_id: String,
    pub tenant_id: String,
    pub client_secret: ValueFromSecret,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AzureKeyVaultCloud {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_vault_resource_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_directory_endpoint: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GcpSecretManager {
    pub secrets: Vec<GcpSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<GcpCredentials>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_identity: Option<PodIdentity>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GcpSecret {
    pub parameter: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GcpCredentials {
    pub client_secret: ValueFromSecret,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsSecretManager {
    pub secrets: Vec<AwsSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<AwsCredentials>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_identity: Option<PodIdentity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsSecret {
    pub parameter: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsCredentials {
    pub access_key: ValueFromSecret,
    pub access_secret_key: ValueFromSecret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<ValueFromSecret>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoundServiceAccountToken {
    pub parameter: String,
    pub service_account_name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2 {
    /// Only `clientCredentials`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["clientCredentials"], "default" = "clientCredentials"))]
    pub type_: Option<String>,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<ValueFromSecret>,
    pub token_url: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url_params: Option<BTreeMap<String, String>>,
}
