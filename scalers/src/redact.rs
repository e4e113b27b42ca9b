//! Keeping secrets out of messages. Libraries sometimes echo what they were given (a URL with a
//! password, a server's reply); every message a scaler produces passes through [`Redactor`].

/// Shorter values are not scrubbed: replacing every `1` or `on` in a message would garble it,
/// and such values are not secrets worth the name.
pub const MIN_SECRET_LEN: usize = 3;

pub const REDACTED: &str = "<redacted>";

/// Replaces every known secret value in a message.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(mut secrets: Vec<String>) -> Self {
        secrets.retain(|s| s.len() >= MIN_SECRET_LEN);
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    pub fn scrub(&self, message: &str) -> String {
        let mut out = message.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_occurrence_longest_first() {
        let r = Redactor::new(vec!["pass".into(), "password123".into(), "x".into()]);
        assert_eq!(
            r.scrub("redis://u:password123@h (pass) x"),
            "redis://u:<redacted>@h (<redacted>) x"
        );
    }
}
