//! Finding documents and their truth in a corpus directory (layout of `../shared/eval`):
//! a document is any file not ending in `.expected.json`, `.ocr_boxes.csv` or `.md`; its truth
//! is `<stem>.expected.json` beside it, which must list the document under `documents`.

use std::path::{Path, PathBuf};

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("truth file {path} is not valid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// One document of the corpus.
#[derive(Debug, Clone)]
pub struct CorpusDocument {
    pub path: PathBuf,
    /// The folder it came from (the corpus' unit of reporting).
    pub source: String,
    /// The truth's `fields`, when the document has truth.
    pub truth: Option<Value>,
}

fn is_document(name: &str) -> bool {
    !(name.ends_with(".expected.json")
        || name.ends_with(".ocr_boxes.csv")
        || name.ends_with(".md")
        || name.starts_with('.'))
}

/// All documents under `dir` (recursively), sorted by path.
pub fn discover(dir: &Path) -> Result<Vec<CorpusDocument>, CorpusError> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    // Files directly in `dir` belong to a source named after `dir` itself (`doxin eval
    // corpus/sroie` reports "sroie", not "."); those in subfolders to the subfolder.
    let own_name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| ".".to_string());
    let mut docs = Vec::new();
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !is_document(name) {
            continue;
        }
        let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
        let truth_path = path.with_file_name(format!("{stem}.expected.json"));
        let truth = if truth_path.exists() {
            let text = std::fs::read_to_string(&truth_path).map_err(|source| CorpusError::Io {
                path: truth_path.clone(),
                source,
            })?;
            let json: Value = serde_json::from_str(&text).map_err(|source| CorpusError::Json {
                path: truth_path.clone(),
                source,
            })?;
            let listed = json["documents"]
                .as_array()
                .is_some_and(|docs| docs.iter().any(|d| d.as_str() == Some(name)));
            listed.then(|| json["fields"].clone())
        } else {
            None
        };
        let source = path
            .parent()
            .and_then(|p| p.strip_prefix(dir).ok())
            .map(|p| p.display().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| own_name.clone());
        docs.push(CorpusDocument {
            path,
            source,
            truth,
        });
    }
    Ok(docs)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CorpusError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CorpusError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| CorpusError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
