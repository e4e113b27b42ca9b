//! `verifyName`: the ScaledObject's name and its HPA's name, plus the DNS-1123 shape the API
//! server would demand of both.

use super::Validation;
use crate::api::ScaledObject;

/// Kubernetes' label-value limit: the ScaledObject name is the `scaledobject.keda.sh/name` label
/// value on the object and its HPA.
const MAX_NAME_LENGTH: usize = 63;
const SUBDOMAIN_MAX_LENGTH: usize = 253;

pub(super) fn check(so: &ScaledObject, v: &mut Validation) {
    let name = so.metadata.name.as_deref().unwrap_or("");
    if name.is_empty() {
        v.error("metadata.name: Required value: name or generateName is required");
        return;
    }
    if let Err(why) = dns1123_subdomain(name) {
        v.error(format!("metadata.name: Invalid value: {name:?}: {why}"));
    }
    if name.len() > MAX_NAME_LENGTH {
        v.error(format!(
            "metadata.name: scaledobject name {name:?} is {} characters long; must be no more than \
             {MAX_NAME_LENGTH} characters because it is used as the \"scaledobject.keda.sh/name\" \
             label value",
            name.len()
        ));
    }
    hpa_name(so, v);
}

fn hpa_name(so: &ScaledObject, v: &mut Validation) {
    let hpa_name = so.hpa_name();
    let custom = so.spec.hpa_config().and_then(|c| c.name.as_deref());
    let path = match custom {
        Some(n) if !n.is_empty() => "spec.advanced.horizontalPodAutoscalerConfig.name",
        _ => "metadata.name",
    };
    if hpa_name.len() > MAX_NAME_LENGTH {
        v.error(format!(
            "{path}: HPA name {hpa_name:?} derived from scaledobject is {} characters long; must be \
             no more than {MAX_NAME_LENGTH} characters; set \
             spec.advanced.horizontalPodAutoscalerConfig.name to a shorter name or shorten the \
             scaledobject name",
            hpa_name.len()
        ));
    }
    // The derived name inherits the ScaledObject name's shape, already checked above.
    if path != "metadata.name"
        && let Err(why) = dns1123_subdomain(&hpa_name)
    {
        v.error(format!("{path}: Invalid value: {hpa_name:?}: {why}"));
    }
}

/// Kubernetes' `IsDNS1123Subdomain`, with its message.
pub(super) fn dns1123_subdomain(value: &str) -> Result<(), String> {
    let label_ok = |label: &str| {
        let bytes = label.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        !bytes.is_empty()
            && alnum(&bytes[0])
            && alnum(&bytes[bytes.len() - 1])
            && bytes.iter().all(|b| alnum(b) || *b == b'-')
    };
    if value.len() > SUBDOMAIN_MAX_LENGTH {
        return Err(format!(
            "must be no more than {SUBDOMAIN_MAX_LENGTH} characters"
        ));
    }
    if value.split('.').all(label_ok) {
        return Ok(());
    }
    Err(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' \
         or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex \
         used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::api::scaled_object::{AdvancedConfig, HorizontalPodAutoscalerConfig};

    fn custom_hpa(so: &mut ScaledObject, name: &str) {
        so.spec.advanced = Some(AdvancedConfig {
            horizontal_pod_autoscaler_config: Some(HorizontalPodAutoscalerConfig {
                name: Some(name.into()),
                behavior: None,
            }),
            ..AdvancedConfig::default()
        });
    }

    #[test]
    fn names() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("a plain name", |_| {}, &[]),
            ("dots are allowed in a subdomain", |so| so.metadata.name = Some("app.v2".into()), &[]),
            // the API server would refuse the object before KEDA saw it
            ("no name", |so| so.metadata.name = None, &["metadata.name: Required value"]),
            ("upper case", |so| so.metadata.name = Some("App".into()),
                &["metadata.name: Invalid value: \"App\": a lowercase RFC 1123 subdomain"]),
            ("underscore", |so| so.metadata.name = Some("my_app".into()), &["RFC 1123"]),
            ("trailing hyphen", |so| so.metadata.name = Some("app-".into()), &["RFC 1123"]),
            // 54 characters: keda-hpa-<name> is exactly 63
            ("longest name with the default HPA name", |so| so.metadata.name = Some("a".repeat(54)), &[]),
            // 55 characters: fine as a name, but the derived HPA name is 64
            ("default HPA name too long", |so| so.metadata.name = Some("a".repeat(55)),
                &["metadata.name: HPA name \"keda-hpa-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" derived from scaledobject is 64 characters long"]),
            ("a custom HPA name rescues a long name", |so| {
                so.metadata.name = Some("a".repeat(60));
                custom_hpa(so, "short");
            }, &[]),
            ("name itself too long", |so| {
                so.metadata.name = Some("a".repeat(64));
                custom_hpa(so, "short");
            }, &["is 64 characters long; must be no more than 63 characters because it is used as the \"scaledobject.keda.sh/name\" label value"]),
            ("custom HPA name too long", |so| custom_hpa(so, &"h".repeat(64)),
                &["spec.advanced.horizontalPodAutoscalerConfig.name: HPA name \"hhhh"]),
            // KEDA does not check this; the HPA create would fail on every reconcile
            ("custom HPA name not a subdomain", |so| custom_hpa(so, "My_HPA"),
                &["spec.advanced.horizontalPodAutoscalerConfig.name: Invalid value: \"My_HPA\""]),
            ("an empty custom HPA name means the default", |so| custom_hpa(so, ""), &[]),
        ];
        run_rows(|so| errors_of(check, so), rows);
    }
}
