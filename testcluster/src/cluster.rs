//! `TestCluster`: the double on a local port, plus direct access to its objects for tests and
//! for in-process simulated controllers (which may also be HTTP clients of it).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

use crate::error::{ApiError, ApiResult};
use crate::faults::Faults;
use crate::ops::{self, DeleteOptions, DeleteOutcome, ListQuery, Sub, WriteOptions};
use crate::patch::PatchType;
use crate::registry::ResourceType;
use crate::store::State;
use crate::watch::{Watch, WatchRequest};

#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// How many changes watches can resume across; older resourceVersions get 410 Gone.
    pub history_limit: usize,
    /// How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK.
    pub bookmark_interval: Duration,
    /// Remember the last requests (`TestCluster::requests`).
    pub request_log_limit: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            history_limit: 1000,
            bookmark_interval: Duration::from_secs(5),
            request_log_limit: 10_000,
        }
    }
}

/// Everything the server and in-process components share.
pub struct Shared {
    pub state: Mutex<State>,
    pub faults: Faults,
    pub config: Config,
    pub requests: Mutex<Vec<String>>,
}

impl Shared {
    pub fn new(config: Config) -> Arc<Shared> {
        let mut st = State::new(config.history_limit);
        for ns in crate::builtin::INITIAL_NAMESPACES {
            let rt = st
                .registry
                .find("", "v1", "namespaces")
                .cloned()
                .expect("built in");
            let obj = serde_json::json!({"metadata": {"name": ns}});
            ops::create(&mut st, &rt, "", obj, &WriteOptions::default())
                .expect("initial namespace");
        }
        Arc::new(Shared {
            state: Mutex::new(st),
            faults: Faults::default(),
            config,
            requests: Mutex::new(Vec::new()),
        })
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("state lock")
    }
}

/// A group/version/resource, e.g. `Gvr::new("apps", "v1", "deployments")`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gvr {
    pub group: String,
    pub version: String,
    pub resource: String,
}

impl Gvr {
    pub fn new(group: &str, version: &str, resource: &str) -> Self {
        Gvr {
            group: group.into(),
            version: version.into(),
            resource: resource.into(),
        }
    }
}

pub struct TestCluster {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    kubeconfig: Mutex<Option<(tempfile::TempDir, PathBuf)>>,
}

impl TestCluster {
    /// Starts the double on 127.0.0.1 with a free port.
    pub async fn start() -> std::io::Result<TestCluster> {
        Self::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> std::io::Result<TestCluster> {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::new(config);
        let (tx, rx) = oneshot::channel::<()>();
        let app = crate::server::router(shared.clone());
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            let _ = serve.await;
        });
        Ok(TestCluster {
            shared,
            addr,
            shutdown: Some(tx),
            kubeconfig: Mutex::new(None),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A kubeconfig for this cluster in a temporary directory kept as long as the cluster.
    pub fn kubeconfig_path(&self) -> PathBuf {
        let mut kc = self.kubeconfig.lock().expect("kubeconfig lock");
        if let Some((_, p)) = kc.as_ref() {
            return p.clone();
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("kubeconfig");
        crate::kubeconfig::write(&path, &self.url()).expect("writing the kubeconfig");
        *kc = Some((dir, path.clone()));
        path
    }

    /// In-process access for simulated controllers and direct watches.
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// `METHOD path?query` of the requests served so far, oldest first.
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().expect("request log").clone()
    }

    /// Creates every CustomResourceDefinition found in the YAML files of `dir`.
    pub fn load_crds_from_dir(&self, dir: &Path) -> ApiResult<usize> {
        let docs = crate::crd::read_yaml_dir(dir)?;
        let mut n = 0;
        for d in docs
            .into_iter()
            .filter(|d| d["kind"] == "CustomResourceDefinition")
        {
            self.apply_json(d)?;
            n += 1;
        }
        Ok(n)
    }

    fn resource(&self, gvr: &Gvr) -> ApiResult<ResourceType> {
        let st = self.shared.lock();
        st.registry
            .find(&gvr.group, &gvr.version, &gvr.resource)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&gvr.group, &gvr.resource, ""))
    }

    fn resource_of(&self, obj: &Value) -> ApiResult<ResourceType> {
        let api_version = obj["apiVersion"].as_str().unwrap_or("");
        let kind = obj["kind"].as_str().unwrap_or("");
        let st = self.shared.lock();
        st.registry
            .find_kind(api_version, kind)
            .cloned()
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "no kind \"{kind}\" is registered for version \"{api_version}\""
                ))
            })
    }

    pub fn get_json(&self, gvr: &Gvr, ns: &str, name: &str) -> ApiResult<Value> {
        let rt = self.resource(gvr)?;
        ops::get(&self.shared.lock(), &rt, ns, name)
    }

    /// Objects of a kind, in one namespace or (None) all of them.
    pub fn list_json(&self, gvr: &Gvr, ns: Option<&str>) -> ApiResult<Vec<Value>> {
        let rt = self.resource(gvr)?;
        ops::list(&self.shared.lock(), &rt, ns, &ListQuery::default()).map(|l| l.items)
    }

    /// Makes the object (by its apiVersion/kind) look like `obj`: created if absent, else its
    /// main resource replaced and, with a status subresource, its status too.
    pub fn apply_json(&self, obj: Value) -> ApiResult<Value> {
        let rt = self.resource_of(&obj)?;
        let ns = crate::meta::str_of(&obj, "namespace")
            .unwrap_or("default")
            .to_string();
        let name = crate::meta::name(&obj).to_string();
        let opts = WriteOptions::default();
        let mut st = self.shared.lock();
        let Ok(cur) = ops::get(&st, &rt, &ns, &name) else {
            let created = ops::create(&mut st, &rt, &ns, obj.clone(), &opts)?;
            return match obj.get("status") {
                Some(_) if rt.status => self.write_status(&mut st, &rt, &ns, created, &obj),
                _ => Ok(created),
            };
        };
        let mut body = obj.clone();
        crate::meta::set_str(
            &mut body,
            "resourceVersion",
            crate::meta::str_of(&cur, "resourceVersion").unwrap_or(""),
        );
        let updated = ops::update(&mut st, &rt, &ns, &name, body, Sub::Main, &opts)?;
        match obj.get("status") {
            Some(_) if rt.status => self.write_status(&mut st, &rt, &ns, updated, &obj),
            _ => Ok(updated),
        }
    }

    fn write_status(
        &self,
        st: &mut State,
        rt: &ResourceType,
        ns: &str,
        cur: Value,
        obj: &Value,
    ) -> ApiResult<Value> {
        let mut body = cur.clone();
        body["status"] = obj["status"].clone();
        ops::update(
            st,
            rt,
            ns,
            crate::meta::name(&cur),
            body,
            Sub::Status,
            &WriteOptions::default(),
        )
    }

    pub fn patch_json(
        &self,
        gvr: &Gvr,
        ns: &str,
        name: &str,
        ptype: PatchType,
        patch: &Value,
    ) -> ApiResult<Value> {
        let rt = self.resource(gvr)?;
        let opts = WriteOptions {
            field_manager: Some("testcluster".into()),
            ..Default::default()
        };
        ops::patch(
            &mut self.shared.lock(),
            &rt,
            ns,
            name,
            ptype,
            patch,
            Sub::Main,
            &opts,
        )
        .map(|(o, _)| o)
    }

    /// Deletes with background propagation; true when the object is gone (not held by
    /// finalizers).
    pub fn delete_json(&self, gvr: &Gvr, ns: &str, name: &str) -> ApiResult<bool> {
        let rt = self.resource(gvr)?;
        let out = ops::delete(
            &mut self.shared.lock(),
            &rt,
            ns,
            name,
            &DeleteOptions::default(),
        )?;
        Ok(matches!(out, DeleteOutcome::Removed(_)))
    }

    /// A watch from now (`resource_version` None: synthetic ADDED for what exists).
    pub fn watch(
        &self,
        gvr: &Gvr,
        ns: Option<&str>,
        resource_version: Option<&str>,
    ) -> ApiResult<Watch> {
        let rt = self.resource(gvr)?;
        let req = WatchRequest {
            rt,
            namespace: ns.map(String::from),
            label: Default::default(),
            field: Default::default(),
            resource_version: resource_version.map(String::from),
            send_initial_events: false,
            bookmarks: false,
            timeout: None,
        };
        Watch::start(self.shared.clone(), req)
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock().rv
    }

    /// Stops serving: open watches end and the listener closes.
    pub fn shutdown(&mut self) {
        self.shared.lock().watchers.clear();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}
