//! Reading inputs (files, directories, stdin) and splitting them into documents.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

use super::node::Node;
use super::{LoadError, ManifestSet, Source, typed};

/// One command-line input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    Path(PathBuf),
}

impl Input {
    /// `-` is stdin, as in kubectl.
    pub fn parse(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// The namespace of namespaced objects that do not name one (kubectl's default namespace).
    pub default_namespace: String,
    /// Descend into subdirectories of a directory input.
    pub recursive: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            default_namespace: "default".to_string(),
            recursive: false,
        }
    }
}

/// An input that could not be read at all (as opposed to one that is not valid YAML).
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct ReadError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// Subdirectory depth for `recursive`; a bound, so a symlink loop ends.
const MAX_DIR_DEPTH: usize = 16;

/// Loads every input in order. Directories contribute their `*.yaml`/`*.yml` files, sorted.
pub fn load_inputs(
    inputs: &[Input],
    options: &LoadOptions,
    stdin: &mut dyn Read,
) -> Result<ManifestSet, ReadError> {
    let mut set = ManifestSet::default();
    for input in inputs {
        match input {
            Input::Stdin => {
                let mut bytes = Vec::new();
                stdin.read_to_end(&mut bytes).map_err(|source| ReadError {
                    path: "<stdin>".to_string(),
                    source,
                })?;
                set.extend(load_str("<stdin>", &bytes, options));
            }
            Input::Path(path) => {
                for file in files_of(path, options.recursive, 0)? {
                    let bytes = std::fs::read(&file).map_err(|source| read_error(&file, source))?;
                    set.extend(load_str(&file.display().to_string(), &bytes, options));
                }
            }
        }
    }
    Ok(set)
}

fn read_error(path: &Path, source: std::io::Error) -> ReadError {
    ReadError {
        path: path.display().to_string(),
        source,
    }
}

/// `path` itself when it is a file (whatever its name: the user asked for it), else the YAML
/// files of the directory, sorted.
fn files_of(path: &Path, recursive: bool, depth: usize) -> Result<Vec<PathBuf>, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| read_error(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| read_error(path, e))? {
        entries.push(entry.map_err(|e| read_error(path, e))?.path());
    }
    entries.sort();
    let mut files = Vec::new();
    for entry in entries {
        if entry.is_dir() {
            if recursive && depth < MAX_DIR_DEPTH {
                files.extend(files_of(&entry, recursive, depth + 1)?);
            }
        } else if is_yaml(&entry) {
            files.push(entry);
        }
    }
    Ok(files)
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Loads one file's bytes. Never panics, whatever the bytes.
pub fn load_str(file: &str, bytes: &[u8], options: &LoadOptions) -> ManifestSet {
    let mut set = ManifestSet::default();
    match parse_documents(bytes) {
        Ok(docs) => {
            for (i, doc) in docs.iter().enumerate() {
                let source = Source {
                    file: file.to_string(),
                    document: i + 1,
                    line: doc.referenced.line(),
                };
                typed::add_document(&mut set, doc, source, options);
            }
        }
        Err(err) => set.errors.push(malformed(file, bytes, &err)),
    }
    set
}

/// YAML nesting allowed in a manifest.
pub const MAX_DEPTH: usize = 32;

fn parse_documents(bytes: &[u8]) -> Result<Vec<Spanned<Node>>, serde_saphyr::Error> {
    // The tree is built recursively, at about 35 KiB of stack per level in a debug build, so
    // nesting is bounded to fit a 2 MiB thread. The deepest Kubernetes objects (a pod's
    // affinity inside a ScaledJob) need about 16 levels. Errors are rendered on one line by us.
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! { max_depth: MAX_DEPTH, flow_nesting_limit: MAX_DEPTH },
        with_snippet: false,
    };
    serde_saphyr::from_slice_multiple_with_options(bytes, options)
}

fn malformed(file: &str, bytes: &[u8], err: &serde_saphyr::Error) -> LoadError {
    let (line, column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
    let mut message = err.without_snippet().to_string();
    // The location is printed in front; drop serde-saphyr's own copy at the end.
    if let Some(cut) = message.rfind(" at line ") {
        message.truncate(cut);
    }
    // Go templates (Helm charts, docs examples) are the usual reason for `{{` in a manifest.
    let text = String::from_utf8_lossy(bytes);
    let line_text = text.lines().nth((line as usize).saturating_sub(1));
    if line_text.is_some_and(|l| l.contains("{{")) {
        message.push_str(
            " (this line holds a `{{ }}` template placeholder: render the template first)",
        );
    }
    LoadError::Malformed {
        file: file.to_string(),
        line,
        column,
        message,
    }
}
