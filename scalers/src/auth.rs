//! KEDA's shared HTTP authentication settings (`pkg/scalers/authentication`): which modes a
//! trigger asks for (`authModes`), and the material each needs, from the TriggerAuthentication.

use crate::params::{Key, Params, Source};

const AUTH_MODES: Key = Key::new(
    &["authModes", "authMode"],
    &[Source::Metadata, Source::Auth],
);
const BEARER_TOKEN: Key = Key::new(&["bearerToken", "token"], &[Source::Auth]).secret();
const USERNAME: Key = Key::new(&["username"], &[Source::Auth]);
const PASSWORD: Key = Key::new(&["password"], &[Source::Auth]).secret();
const CERT: Key = Key::new(&["cert"], &[Source::Auth]).secret();
const KEY: Key = Key::new(&["key"], &[Source::Auth]).secret();
const CA: Key = Key::new(&["ca"], &[Source::Auth]);
const CUSTOM_HEADER: Key = Key::new(&["customAuthHeader"], &[Source::Auth]);
const CUSTOM_VALUE: Key = Key::new(&["customAuthValue"], &[Source::Auth]).secret();

const KNOWN_MODES: &[&str] = &["apiKey", "basic", "tls", "bearer", "custom", "oauth"];

/// The request-level credential (at most one of bearer, basic; custom adds a header).
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Bearer(String),
    Basic { username: String, password: String },
}

/// Client certificate and key, PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    pub cert_pem: String,
    pub key_pem: String,
}

#[derive(Clone, Default, PartialEq, Eq)]
pub struct HttpAuth {
    pub credential: Option<Credential>,
    pub custom_header: Option<(String, String)>,
    pub client_identity: Option<ClientIdentity>,
    /// Extra trusted CA, PEM. KEDA uses `ca` whether or not `tls` mode is on.
    pub ca_pem: Option<String>,
}

impl std::fmt::Debug for HttpAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAuth")
            .field(
                "credential",
                &self.credential.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "custom_header",
                &self.custom_header.as_ref().map(|(h, _)| h),
            )
            .field("client_identity", &self.client_identity.is_some())
            .field("ca", &self.ca_pem.is_some())
            .finish()
    }
}

/// Reads `authModes` and the material for each, recording problems in `params`. `unused_modes`
/// are modes KEDA accepts but this scaler would silently ignore; asking for one is an error, so a
/// user never believes a request is authenticated when it is not.
pub fn parse(params: &mut Params<'_>, unused_modes: &[&str]) -> HttpAuth {
    let mut auth = HttpAuth {
        ca_pem: params.string(&CA),
        ..HttpAuth::default()
    };
    let Some(modes) = params.list(&AUTH_MODES) else {
        return auth;
    };
    let modes: Vec<String> = modes.into_iter().filter(|m| !m.is_empty()).collect();
    for mode in &modes {
        if !KNOWN_MODES.contains(&mode.as_str()) {
            params.problem(format!(
                "parameter \"authModes\" value \"{mode}\" is invalid: expected one of [{}]",
                KNOWN_MODES.join(", ")
            ));
        } else if unused_modes.contains(&mode.as_str()) {
            params.problem(format!(
                "authMode \"{mode}\" is not supported by the {} scaler",
                params.context().trigger_type
            ));
        }
    }
    let exclusive = modes
        .iter()
        .filter(|m| ["bearer", "basic", "oauth"].contains(&m.as_str()))
        .count();
    if exclusive > 1 {
        params.problem("authModes may contain at most one of bearer, basic and oauth");
    }
    let has = |m: &str| modes.iter().any(|x| x == m);
    if has("bearer") {
        match params.string(&BEARER_TOKEN) {
            Some(token) => auth.credential = Some(Credential::Bearer(token)),
            None => params.problem("authMode bearer needs \"bearerToken\" in authParams"),
        }
    }
    if has("basic") {
        match params.string(&USERNAME) {
            // KEDA allows an empty password with basic auth.
            Some(username) => {
                let password = params.string(&PASSWORD).unwrap_or_default();
                auth.credential = Some(Credential::Basic { username, password });
            }
            None => params.problem("authMode basic needs \"username\" in authParams"),
        }
    }
    if has("tls") {
        match (params.string(&CERT), params.string(&KEY)) {
            (Some(cert_pem), Some(key_pem)) => {
                auth.client_identity = Some(ClientIdentity { cert_pem, key_pem })
            }
            _ => params.problem("authMode tls needs both \"cert\" and \"key\" in authParams"),
        }
    }
    if has("custom") {
        match (params.string(&CUSTOM_HEADER), params.string(&CUSTOM_VALUE)) {
            (Some(header), Some(value)) => auth.custom_header = Some((header, value)),
            _ => params.problem(
                "authMode custom needs both \"customAuthHeader\" and \"customAuthValue\" in \
                 authParams",
            ),
        }
    }
    auth
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::TriggerContext;

    fn parsed(ctx: &TriggerContext) -> Result<HttpAuth, String> {
        let mut params = Params::new(ctx);
        let auth = parse(&mut params, &["apiKey", "oauth"]);
        params.finish().map(|_| auth).map_err(|e| e.to_string())
    }

    fn ctx(auth: &[(&str, &str)]) -> TriggerContext {
        TriggerContext::new("prometheus", 0).with_auth_params(auth.iter().copied())
    }

    #[test]
    fn modes() {
        let cases: &[(&str, TriggerContext, Result<(), &str>)] = &[
            ("no auth at all", ctx(&[]), Ok(())),
            (
                "bearer with token",
                ctx(&[("authModes", "bearer"), ("bearerToken", "t0k")]),
                Ok(()),
            ),
            (
                "bearer token alias",
                ctx(&[("authModes", "bearer"), ("token", "t0k")]),
                Ok(()),
            ),
            (
                "bearer without token",
                ctx(&[("authModes", "bearer")]),
                Err("needs \"bearerToken\""),
            ),
            (
                "basic, empty password allowed",
                ctx(&[("authModes", "basic"), ("username", "u")]),
                Ok(()),
            ),
            (
                "basic without username",
                ctx(&[("authModes", "basic")]),
                Err("needs \"username\""),
            ),
            (
                "bearer and basic together",
                ctx(&[
                    ("authModes", "bearer,basic"),
                    ("token", "t"),
                    ("username", "u"),
                ]),
                Err("at most one"),
            ),
            (
                "tls needs cert and key",
                ctx(&[("authModes", "tls"), ("cert", "c")]),
                Err("needs both \"cert\" and \"key\""),
            ),
            (
                "custom needs header and value",
                ctx(&[("authModes", "custom"), ("customAuthHeader", "X-Api")]),
                Err("customAuthValue"),
            ),
            (
                "unknown mode",
                ctx(&[("authModes", "kerberos")]),
                Err("value \"kerberos\" is invalid"),
            ),
            (
                "mode the scaler would ignore",
                ctx(&[("authModes", "oauth")]),
                Err("not supported by the prometheus scaler"),
            ),
            (
                "tls and basic combine",
                ctx(&[
                    ("authModes", "tls, basic"),
                    ("cert", "c"),
                    ("key", "k"),
                    ("username", "u"),
                ]),
                Ok(()),
            ),
        ];
        for (what, ctx, want) in cases {
            match (parsed(ctx), want) {
                (Ok(_), Ok(())) => {}
                (Err(e), Err(fragment)) => assert!(e.contains(fragment), "{what}: {e}"),
                (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn authmodes_may_come_from_metadata() {
        let ctx = TriggerContext::new("prometheus", 0)
            .with_metadata([("authModes", "bearer")])
            .with_auth_params([("bearerToken", "secret-token")]);
        let auth = parsed(&ctx).unwrap();
        assert!(matches!(&auth.credential, Some(Credential::Bearer(t)) if t == "secret-token"));
        assert!(!format!("{auth:?}").contains("secret-token"));
    }
}
