//! The `labelSelector` of an external metrics request. Only equality-based selectors make sense
//! here (KEDA converts the selector to a label map and fails on set-based ones); the ScaledObject
//! is named by `scaledobject.keda.sh/name`.

use crate::api::annotations::SCALED_OBJECT_NAME_LABEL;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("scaledObject name is not specified")]
    NoScaledObject,
    #[error(
        "labelSelector \"{0}\" is not supported: only key=value requirements can name a ScaledObject"
    )]
    Unsupported(String),
}

/// The ScaledObject name the selector asks for.
pub fn scaled_object_name(selector: Option<&str>) -> Result<String, SelectorError> {
    let selector = selector.unwrap_or("").trim();
    let mut name = None;
    for requirement in selector.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let (key, value) = requirement
            .split_once("==")
            .or_else(|| requirement.split_once('='))
            .filter(|(k, _)| !k.ends_with('!'))
            .ok_or_else(|| SelectorError::Unsupported(selector.to_string()))?;
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || key.contains(' ') || value.contains(['(', ')', ' ']) {
            return Err(SelectorError::Unsupported(selector.to_string()));
        }
        if key == SCALED_OBJECT_NAME_LABEL {
            name = Some(value.to_string());
        }
    }
    name.filter(|n| !n.is_empty())
        .ok_or(SelectorError::NoScaledObject)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        let cases: &[(&str, Option<&str>, Result<&str, SelectorError>)] = &[
            (
                "the HPA's selector",
                Some("scaledobject.keda.sh/name=web"),
                Ok("web"),
            ),
            (
                "double equals",
                Some("scaledobject.keda.sh/name==web"),
                Ok("web"),
            ),
            (
                "other labels are ignored",
                Some("app=x, scaledobject.keda.sh/name=web"),
                Ok("web"),
            ),
            ("no selector", None, Err(SelectorError::NoScaledObject)),
            (
                "empty selector",
                Some(""),
                Err(SelectorError::NoScaledObject),
            ),
            (
                "other labels only",
                Some("app=x"),
                Err(SelectorError::NoScaledObject),
            ),
            (
                "empty name",
                Some("scaledobject.keda.sh/name="),
                Err(SelectorError::NoScaledObject),
            ),
            (
                "not-equal",
                Some("scaledobject.keda.sh/name!=web"),
                Err(SelectorError::Unsupported(
                    "scaledobject.keda.sh/name!=web".into(),
                )),
            ),
            (
                "set-based",
                Some("scaledobject.keda.sh/name in (web)"),
                Err(SelectorError::Unsupported(
                    "scaledobject.keda.sh/name in (web)".into(),
                )),
            ),
            (
                "existence",
                Some("scaledobject.keda.sh/name"),
                Err(SelectorError::Unsupported(
                    "scaledobject.keda.sh/name".into(),
                )),
            ),
        ];
        for (what, selector, want) in cases {
            assert_eq!(
                scaled_object_name(*selector),
                want.clone().map(str::to_string),
                "{what}"
            );
        }
    }
}
