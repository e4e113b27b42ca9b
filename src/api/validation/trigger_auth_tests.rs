use super::*;
use crate::api::trigger_auth::TargetRef;

type AuthRow = (
    &'static str,
    fn(&mut TriggerAuthenticationSpec),
    &'static [&'static str],
);

fn identity(provider: &str) -> PodIdentity {
    PodIdentity {
        provider: provider.into(),
        ..PodIdentity::default()
    }
}

fn oauth2(token_url: &str) -> OAuth2 {
    OAuth2 {
        client_id: "kedars".into(),
        token_url: token_url.into(),
        ..OAuth2::default()
    }
}

#[test]
fn trigger_authentication_rules() {
    #[rustfmt::skip]
    let rows: &[AuthRow] = &[
        ("a plain secret reference", |spec| spec.secret_target_ref = vec![TargetRef {
            parameter: "password".into(), name: "redis".into(), key: "pw".into(),
        }], &[]),
        ("azure workload identity, all defaults", |spec| spec.pod_identity = Some(identity("azure-workload")), &[]),
        ("azure identityId set but empty", |spec| spec.pod_identity = Some(PodIdentity {
            identity_id: Some(String::new()), ..identity("azure-workload")
        }), &["spec.podIdentity.identityId: identityId of PodIdentity should not be empty"]),
        ("azure authority host without tenant", |spec| spec.pod_identity = Some(PodIdentity {
            identity_authority_host: Some("https://login.example".into()), ..identity("azure-workload")
        }), &["spec.podIdentity.identityTenantId: identityTenantID of PodIdentity should not be nil or empty when identityAuthorityHost"]),
        ("azure authority host with tenant", |spec| spec.pod_identity = Some(PodIdentity {
            identity_authority_host: Some("https://login.example".into()),
            identity_tenant_id: Some("t".into()),
            ..identity("azure-workload")
        }), &[]),
        ("azure tenant set but empty", |spec| spec.pod_identity = Some(PodIdentity {
            identity_tenant_id: Some(String::new()), ..identity("azure-workload")
        }), &["identityTenantId of PodIdentity should not be empty"]),
        ("aws role owned by KEDA", |spec| spec.pod_identity = Some(PodIdentity {
            role_arn: Some("arn:aws:iam::1:role/r".into()), external_id: Some("x".into()), ..identity("aws")
        }), &[]),
        ("aws role with workload owner", |spec| spec.pod_identity = Some(PodIdentity {
            role_arn: Some("arn:aws:iam::1:role/r".into()), identity_owner: Some("workload".into()), ..identity("aws")
        }), &["spec.podIdentity.roleArn: roleArn of PodIdentity can't be set if KEDA isn't identityOwner"]),
        ("aws externalID without role", |spec| spec.pod_identity = Some(PodIdentity {
            external_id: Some("x".into()), ..identity("aws")
        }), &["spec.podIdentity.externalID: externalID of PodIdentity requires roleArn to be set"]),
        ("provider outside the enum", |spec| spec.pod_identity = Some(identity("azure")),
            &["spec.podIdentity.provider: Unsupported value: \"azure\": supported values: \"azure-workload\""]),
        ("identityOwner outside the enum", |spec| spec.pod_identity = Some(PodIdentity {
            identity_owner: Some("operator".into()), ..identity("aws")
        }), &["spec.podIdentity.identityOwner: Unsupported value: \"operator\""]),
        ("oauth2 defaults to clientCredentials", |spec| spec.oauth2 = Some(oauth2("https://idp.example/token")), &[]),
        ("oauth2 other grant", |spec| spec.oauth2 = Some(OAuth2 {
            type_: Some("password".into()), ..oauth2("https://idp.example/token")
        }), &["spec.oauth2.type: oauth2.type must be 'clientCredentials', got 'password'"]),
        ("oauth2 without client id", |spec| spec.oauth2 = Some(OAuth2 { client_id: String::new(), ..oauth2("http://idp:8080/t") }),
            &["spec.oauth2.clientId: oauth2.clientId is required when oauth2 is configured"]),
        ("oauth2 without token URL", |spec| spec.oauth2 = Some(oauth2("")),
            &["spec.oauth2.tokenUrl: oauth2.tokenUrl is required when oauth2 is configured"]),
        ("oauth2 token URL without scheme", |spec| spec.oauth2 = Some(oauth2("idp.example/token")),
            &["spec.oauth2.tokenUrl: oauth2.tokenUrl must be a valid http or https URL, got \"idp.example/token\""]),
        ("oauth2 token URL with another scheme", |spec| spec.oauth2 = Some(oauth2("ftp://idp.example/token")),
            &["must be a valid http or https URL"]),
        ("oauth2 token URL without host", |spec| spec.oauth2 = Some(oauth2("https:///token")),
            &["must be a valid http or https URL"]),
        ("oauth2 token URL with user info and port", |spec| spec.oauth2 = Some(oauth2("HTTPS://u@idp:8443/t?x=1")), &[]),
        // KEDA returns early for gcp/none/aws-eks and never looks at oauth2; we still do
        ("oauth2 checked beside a gcp identity", |spec| {
            spec.pod_identity = Some(identity("gcp"));
            spec.oauth2 = Some(oauth2(""));
        }, &["oauth2.tokenUrl is required"]),
    ];
    for (what, edit, expected) in rows {
        let mut spec = TriggerAuthenticationSpec::default();
        edit(&mut spec);
        let got = super::super::validate_trigger_authentication(&spec);
        super::super::testing::assert_messages(what, &got.errors, expected);
    }
}
