//! A kubeconfig pointing at the double over plain HTTP (kubectl and kube-rs both accept an
//! `http://` server; there are no credentials to present).

use std::path::Path;

pub const CONTEXT: &str = "kedars-testcluster";

pub fn render(server: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: {server}
contexts:
- name: {CONTEXT}
  context:
    cluster: {CONTEXT}
    user: {CONTEXT}
    namespace: default
current-context: {CONTEXT}
users:
- name: {CONTEXT}
  user: {{}}
preferences: {{}}
"
    )
}

pub fn write(path: &Path, server: &str) -> std::io::Result<()> {
    std::fs::write(path, render(server))
}
