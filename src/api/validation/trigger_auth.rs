//! The TriggerAuthentication / ClusterTriggerAuthentication webhook (`validateSpec`), plus the
//! CRD enums on `podIdentity`. KEDA returns early for pod identity providers other than
//! azure-workload and aws, which skips its oauth2 checks; we always run them.

use super::Validation;
use crate::api::TriggerAuthenticationSpec;
use crate::api::trigger_auth::{OAuth2, PodIdentity};

const PROVIDERS: [&str; 5] = ["azure-workload", "gcp", "aws", "aws-eks", "none"];

pub(super) fn check(spec: &TriggerAuthenticationSpec, v: &mut Validation) {
    if let Some(identity) = &spec.pod_identity {
        pod_identity(identity, v);
    }
    if let Some(oauth2) = &spec.oauth2 {
        oauth(oauth2, v);
    }
}

const PATH: &str = "spec.podIdentity";

fn pod_identity(identity: &PodIdentity, v: &mut Validation) {
    match identity.provider.as_str() {
        "azure-workload" => azure_workload(identity, v),
        "aws" => aws(identity, v),
        provider if !PROVIDERS.contains(&provider) => v.error(format!(
            "{PATH}.provider: Unsupported value: {provider:?}: supported values: {}",
            PROVIDERS.map(|p| format!("{p:?}")).join(", ")
        )),
        _ => {}
    }
    if let Some(owner) = identity
        .identity_owner
        .as_deref()
        .filter(|o| !["keda", "workload"].contains(o))
    {
        v.error(format!(
            "{PATH}.identityOwner: Unsupported value: {owner:?}: supported values: \"keda\", \
             \"workload\""
        ));
    }
}

/// Set and not empty.
fn set(field: &Option<String>) -> bool {
    field.as_deref().is_some_and(|s| !s.is_empty())
}

fn azure_workload(identity: &PodIdentity, v: &mut Validation) {
    if identity.identity_id.as_deref() == Some("") {
        v.error(format!(
            "{PATH}.identityId: identityId of PodIdentity should not be empty. If it's set, \
             identityId has to be different than \"\""
        ));
    }
    if set(&identity.identity_authority_host) && !set(&identity.identity_tenant_id) {
        v.error(format!(
            "{PATH}.identityTenantId: identityTenantID of PodIdentity should not be nil or empty \
             when identityAuthorityHost of PodIdentity is set"
        ));
    } else if identity.identity_tenant_id.as_deref() == Some("") {
        v.error(format!(
            "{PATH}.identityTenantId: identityTenantId of PodIdentity should not be empty. If \
             it's set, identityTenantId has to be different than \"\""
        ));
    }
}

fn aws(identity: &PodIdentity, v: &mut Validation) {
    let workload_owner = identity.identity_owner.as_deref() == Some("workload");
    if set(&identity.role_arn) && workload_owner {
        v.error(format!(
            "{PATH}.roleArn: roleArn of PodIdentity can't be set if KEDA isn't identityOwner"
        ));
    }
    if set(&identity.external_id) && !set(&identity.role_arn) {
        v.error(format!(
            "{PATH}.externalID: externalID of PodIdentity requires roleArn to be set"
        ));
    }
}

fn oauth(oauth2: &OAuth2, v: &mut Validation) {
    // Unset means the CRD default, clientCredentials.
    let grant = oauth2.type_.as_deref().unwrap_or("clientCredentials");
    if grant != "clientCredentials" {
        v.error(format!(
            "spec.oauth2.type: oauth2.type must be 'clientCredentials', got '{grant}'"
        ));
    }
    if oauth2.client_id.is_empty() {
        v.error("spec.oauth2.clientId: oauth2.clientId is required when oauth2 is configured");
    }
    if oauth2.token_url.is_empty() {
        v.error("spec.oauth2.tokenUrl: oauth2.tokenUrl is required when oauth2 is configured");
    } else if !is_http_url_with_host(&oauth2.token_url) {
        v.error(format!(
            "spec.oauth2.tokenUrl: oauth2.tokenUrl must be a valid http or https URL, got {:?}",
            oauth2.token_url
        ));
    }
}

/// What KEDA asks of Go's `url.Parse`: scheme http or https (any case) and a non-empty host.
fn is_http_url_with_host(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    let scheme_ok = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    scheme_ok && !host.is_empty() && !text.contains(char::is_whitespace)
}

#[cfg(test)]
#[path = "trigger_auth_tests.rs"]
mod tests;
