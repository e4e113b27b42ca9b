//! A container's environment as KEDA resolves it (`resolveEnv`): `envFrom` first, then `env` in
//! order, literal values expanded against what is already resolved.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, EnvFromSource, EnvVar, PodSpec};

use super::error::{ObjectName, Problem};
use super::{ObjectSource, config_map_value, not_found, secret_value};

pub type Env = BTreeMap<String, String>;

/// A scale target's pod template, with the target's name for messages.
#[derive(Debug, Clone, Copy)]
pub struct Workload<'a> {
    pub name: &'a ObjectName,
    pub pod: &'a PodSpec,
}

impl<'a> Workload<'a> {
    /// The named container, or the first (KEDA's `ResolveContainerEnv`).
    pub fn container(&self, name: Option<&str>) -> Result<&'a Container, Problem> {
        let containers = &self.pod.containers;
        match name.filter(|n| !n.is_empty()) {
            Some(name) => {
                containers
                    .iter()
                    .find(|c| c.name == name)
                    .ok_or_else(|| Problem::NoSuchContainer {
                        workload: self.name.clone(),
                        container: name.to_string(),
                    })
            }
            None => containers.first().ok_or_else(|| Problem::NoContainers {
                workload: self.name.clone(),
            }),
        }
    }

    /// The environment of a container of this workload; objects are read from its namespace.
    pub fn env(&self, source: &dyn ObjectSource, container: &Container) -> Result<Env, Problem> {
        let namespace = self.name.namespace.as_deref().unwrap_or_default();
        container_env(source, namespace, container).map_err(|problem| Problem::ContainerEnv {
            workload: self.name.clone(),
            container: container.name.clone(),
            problem: Box::new(problem),
        })
    }
}

/// Resolves `container`'s environment from objects in `namespace`. A missing object or key that
/// is not `optional` is an error, as it keeps the pod itself from starting.
pub fn container_env(
    source: &dyn ObjectSource,
    namespace: &str,
    container: &Container,
) -> Result<Env, Problem> {
    let mut env = Env::new();
    for from in container.env_from.iter().flatten() {
        add_env_from(source, namespace, from, &mut env)?;
    }
    for var in container.env.iter().flatten() {
        if let Some(value) = env_var_value(source, namespace, var, &env)? {
            env.insert(var.name.clone(), value);
        }
    }
    Ok(env)
}

fn add_env_from(
    source: &dyn ObjectSource,
    namespace: &str,
    from: &EnvFromSource,
    env: &mut Env,
) -> Result<(), Problem> {
    let prefix = from.prefix.as_deref().unwrap_or_default();
    let entries: Vec<(String, String)> = if let Some(cm) = &from.config_map_ref {
        match source.config_map(namespace, &cm.name) {
            Some(map) => map.data.clone().unwrap_or_default().into_iter().collect(),
            None if cm.optional == Some(true) => return Ok(()),
            None => return Err(not_found(source, "ConfigMap", namespace, &cm.name)),
        }
    } else if let Some(secret_ref) = &from.secret_ref {
        match source.secret(namespace, &secret_ref.name) {
            Some(secret) => super::secret_entries(&secret),
            None if secret_ref.optional == Some(true) => return Ok(()),
            None => return Err(not_found(source, "Secret", namespace, &secret_ref.name)),
        }
    } else {
        return Ok(());
    };
    for (key, value) in entries {
        env.insert(format!("{prefix}{key}"), value);
    }
    Ok(())
}

/// The value of one `env` entry; `None` when it is skipped (an optional reference that is
/// missing, or a fieldRef/resourceFieldRef, which only a kubelet can resolve).
fn env_var_value(
    source: &dyn ObjectSource,
    namespace: &str,
    var: &EnvVar,
    env: &Env,
) -> Result<Option<String>, Problem> {
    if let Some(value) = var.value.as_deref().filter(|v| !v.is_empty()) {
        return Ok(Some(expand(value, env)));
    }
    let Some(from) = &var.value_from else {
        return Ok(Some(String::new()));
    };
    if let Some(sel) = &from.secret_key_ref {
        let object = ObjectName::namespaced("Secret", namespace, &sel.name);
        let secret = source.secret(namespace, &sel.name);
        let value = secret.as_deref().map(|s| secret_value(s, &sel.key));
        return key_value(source, object, &sel.key, value, sel.optional);
    }
    if let Some(sel) = &from.config_map_key_ref {
        let object = ObjectName::namespaced("ConfigMap", namespace, &sel.name);
        let map = source.config_map(namespace, &sel.name);
        let value = map.as_deref().map(|m| config_map_value(m, &sel.key));
        return key_value(source, object, &sel.key, value, sel.optional);
    }
    Ok(None)
}

/// `value` is `None` when the object is missing, `Some(None)` when its key is.
fn key_value(
    source: &dyn ObjectSource,
    object: ObjectName,
    key: &str,
    value: Option<Option<String>>,
    optional: Option<bool>,
) -> Result<Option<String>, Problem> {
    match value {
        Some(Some(v)) => Ok(Some(v)),
        _ if optional == Some(true) => Ok(None),
        None => {
            let ns = object.namespace.clone().unwrap_or_default();
            Err(not_found(source, &object.kind, &ns, &object.name))
        }
        Some(None) => Err(Problem::MissingKey {
            object,
            key: key.to_string(),
        }),
    }
}

/// Kubernetes' `$(VAR)` expansion: a defined variable is replaced, an undefined one is kept as
/// written, `$$` is a literal `$`, and any other `$` is kept.
pub fn expand(value: &str, env: &Env) -> String {
    let bytes = value.as_bytes();
    let mut out = String::with_capacity(value.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&value[checkpoint..cursor]);
            let rest = &value[cursor + 1..];
            let (text, consumed) = read_reference(rest, env);
            out.push_str(&text);
            cursor += 1 + consumed;
            checkpoint = cursor;
        } else {
            cursor += 1;
        }
    }
    out.push_str(&value[checkpoint..]);
    out
}

/// What follows a `$`: the replacement text and how many bytes it used.
fn read_reference(rest: &str, env: &Env) -> (String, usize) {
    match rest.as_bytes()[0] {
        b'$' => ("$".to_string(), 1),
        b'(' => match rest.find(')') {
            Some(close) => {
                let name = &rest[1..close];
                let text = env
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| format!("$({name})"));
                (text, close + 1)
            }
            // No closing parenthesis: the `$(` stays, the rest is copied as it is.
            None => ("$(".to_string(), 1),
        },
        // Not a reference: keep the `$`; the next character is copied as ordinary text.
        _ => ("$".to_string(), 0),
    }
}
