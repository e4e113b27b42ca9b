//! Fault injection for tests: fail or delay chosen requests, selected by method and a path
//! substring (the path includes the query string, so `watch=true` selects watches).

use std::sync::Mutex;
use std::time::Duration;

use crate::error::ApiError;

/// Selects requests: an optional HTTP method and a substring of `path?query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub method: Option<String>,
    pub path_contains: String,
}

impl Matcher {
    /// Any method, path containing `fragment`.
    pub fn path(fragment: &str) -> Self {
        Matcher {
            method: None,
            path_contains: fragment.into(),
        }
    }

    /// `method` (e.g. "PATCH") and a path containing `fragment`.
    pub fn method_path(method: &str, fragment: &str) -> Self {
        Matcher {
            method: Some(method.to_ascii_uppercase()),
            path_contains: fragment.into(),
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method) && path.contains(&self.path_contains)
    }
}

#[derive(Debug, Clone)]
enum Action {
    Fail(u16),
    Delay(Duration),
}

#[derive(Debug, Clone)]
struct Rule {
    matcher: Matcher,
    action: Action,
    /// None: every matching request.
    remaining: Option<usize>,
}

/// The decision for one request.
#[derive(Debug, Default)]
pub struct Verdict {
    pub delay: Option<Duration>,
    pub fail: Option<ApiError>,
}

#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Rule>>,
}

fn reason(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        410 => "Expired",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    }
}

impl Faults {
    /// The next `times` matching requests fail with `code` (a Status object saying so).
    pub fn fail(&self, matcher: Matcher, code: u16, times: usize) {
        self.push(matcher, Action::Fail(code), Some(times));
    }

    /// Every matching request fails with `code` until `clear`.
    pub fn fail_always(&self, matcher: Matcher, code: u16) {
        self.push(matcher, Action::Fail(code), None);
    }

    /// Every matching request waits `by` before it is served, until `clear`.
    pub fn delay(&self, matcher: Matcher, by: Duration) {
        self.push(matcher, Action::Delay(by), None);
    }

    /// The next `times` matching requests wait `by`.
    pub fn delay_times(&self, matcher: Matcher, by: Duration, times: usize) {
        self.push(matcher, Action::Delay(by), Some(times));
    }

    pub fn clear(&self) {
        self.rules.lock().expect("faults lock").clear();
    }

    fn push(&self, matcher: Matcher, action: Action, remaining: Option<usize>) {
        let rule = Rule {
            matcher,
            action,
            remaining,
        };
        self.rules.lock().expect("faults lock").push(rule);
    }

    /// Consumes the rules that match this request.
    pub fn check(&self, method: &str, path: &str) -> Verdict {
        let mut v = Verdict::default();
        let mut rules = self.rules.lock().expect("faults lock");
        for r in rules.iter_mut() {
            if !r.matcher.matches(method, path) || r.remaining == Some(0) {
                continue;
            }
            if let Some(n) = r.remaining.as_mut() {
                *n -= 1;
            }
            match r.action {
                Action::Delay(d) => v.delay = Some(v.delay.unwrap_or_default() + d),
                Action::Fail(code) if v.fail.is_none() => {
                    let msg = format!("injected fault: {method} {path} answered {code}");
                    v.fail = Some(ApiError::new(code, reason(code), msg));
                }
                Action::Fail(_) => {}
            }
        }
        rules.retain(|r| r.remaining != Some(0));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_and_permanent_rules() {
        let f = Faults::default();
        f.fail(Matcher::method_path("patch", "/scale"), 503, 2);
        f.delay(Matcher::path("watch=true"), Duration::from_millis(5));
        assert!(
            f.check("GET", "/apis/apps/v1/deployments/x/scale")
                .fail
                .is_none()
        );
        for _ in 0..2 {
            let v = f.check("PATCH", "/apis/apps/v1/namespaces/d/deployments/x/scale");
            assert_eq!(v.fail.unwrap().code, 503);
        }
        assert!(f.check("PATCH", "/x/scale").fail.is_none(), "used up");
        assert!(f.check("GET", "/api/v1/pods?watch=true").delay.is_some());
        f.clear();
        assert!(f.check("GET", "/api/v1/pods?watch=true").delay.is_none());
    }
}
