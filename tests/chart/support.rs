//! Shared by the Rust chart tests (tests/chart_*.rs): charts/kedars rendered by Helm's own engine
//! through tests/chart/render.py (PyPI helm-python-sdk: `pip install -r
//! tests/chart/requirements.txt`). The interpreter: `KEDARS_PYTHON`, else the test command's
//! venv (target/test-venv, made by scripts/test.sh), else `python3`.
#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The namespace render.py installs the release into.
pub const NAMESPACE: &str = "keda";

/// One rendered object and the template (or CRD file) it came from.
pub struct Doc {
    pub source: String,
    pub object: Value,
}

impl Doc {
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.object["metadata"]["namespace"].as_str()
    }
}

/// The chart rendered with one values file of tests/chart/values/.
pub struct Rendered {
    pub variant: String,
    pub docs: Vec<Doc>,
    /// The values the templates saw: the chart's defaults merged with the variant's.
    pub values: Value,
}

impl Rendered {
    pub fn find(&self, kind: &str, name: &str) -> Option<&Doc> {
        self.docs
            .iter()
            .find(|d| d.kind() == kind && d.name() == name)
    }

    pub fn get(&self, kind: &str, name: &str) -> &Doc {
        self.find(kind, name)
            .unwrap_or_else(|| panic!("{}: no {kind} {name}", self.variant))
    }

    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Doc> + 'a {
        self.docs.iter().filter(move |d| d.kind() == kind)
    }
}

#[derive(Default)]
pub struct RenderOptions<'a> {
    /// Only this variant (a file name under tests/chart/values/ without `.yaml`).
    pub only: Option<&'a str>,
    /// Values merged over every variant's.
    pub extra: Option<&'a Value>,
    /// Render against this cluster, so that `lookup` sees its objects.
    pub kubeconfig: Option<&'a Path>,
    /// Render as `helm upgrade` instead of `helm install`.
    pub upgrade: bool,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python that has helm-python-sdk.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("KEDARS_PYTHON") {
        return python.into();
    }
    let venv = root().join("target/test-venv/bin/python");
    if venv.exists() {
        return venv;
    }
    "python3".into()
}

/// Renders every variant (or the one asked for) with Helm's engine.
pub fn render(options: &RenderOptions) -> Vec<Rendered> {
    let dir = tempdir("kedars-chart-render");
    let mut command = Command::new(python());
    command.arg(root().join("tests/chart/render.py")).arg(&dir);
    if let Some(only) = options.only {
        command.args(["--only", only]);
    }
    if let Some(extra) = options.extra {
        let file = dir.join("extra-values.json");
        std::fs::write(&file, extra.to_string()).unwrap();
        command.arg("--extra-values").arg(file);
    }
    if let Some(kubeconfig) = options.kubeconfig {
        command.arg("--kubeconfig").arg(kubeconfig);
    }
    if options.upgrade {
        command.arg("--upgrade");
    }
    let out = command.output().unwrap_or_else(|e| {
        panic!(
            "cannot run python3 tests/chart/render.py ({e}); set KEDARS_PYTHON or install Python 3"
        )
    });
    assert!(
        out.status.success(),
        "tests/chart/render.py failed (is helm-python-sdk installed? pip install -r \
         tests/chart/requirements.txt):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rendered = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for file in files {
        let variant = file.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let values = std::fs::read_to_string(dir.join(format!("{variant}.values.json"))).unwrap();
        rendered.push(Rendered {
            docs: parse_stream(&variant, &text),
            values: serde_json::from_str(&values).unwrap(),
            variant,
        });
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(!rendered.is_empty(), "render.py wrote nothing");
    rendered
}

/// Documents separated by `---` lines, each starting with render.py's `# Source:` comment.
fn parse_stream(variant: &str, text: &str) -> Vec<Doc> {
    let mut docs = Vec::new();
    let mut chunk = String::new();
    let mut flush = |chunk: &mut String| {
        if chunk.trim().is_empty() {
            return;
        }
        let source = chunk
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# Source: "))
            .unwrap_or_else(|| panic!("{variant}: a document without its # Source: line"))
            .to_string();
        let object: Value = serde_saphyr::from_str(chunk)
            .unwrap_or_else(|e| panic!("{variant}: {source} is not valid YAML: {e}"));
        docs.push(Doc { source, object });
        chunk.clear();
    };
    for line in text.lines() {
        if line == "---" {
            flush(&mut chunk);
        } else {
            chunk.push_str(line);
            chunk.push('\n');
        }
    }
    flush(&mut chunk);
    docs
}

/// A fresh directory under the system's temporary directory.
pub fn tempdir(prefix: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The value at a dotted path of the merged values (`operator.ports.health`).
pub fn value<'a>(values: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(values, |v, key| &v[key])
}

/// `<fullname>` as the chart's helper computes it for the release `kedars`.
pub fn fullname(values: &Value) -> String {
    let over = value(values, "fullnameOverride")
        .as_str()
        .unwrap_or_default();
    if !over.is_empty() {
        return over.to_string();
    }
    let name = match value(values, "nameOverride").as_str().unwrap_or_default() {
        "" => "kedars",
        other => other,
    };
    if "kedars".contains(name) {
        "kedars".to_string()
    } else {
        format!("kedars-{name}")
    }
}
