//! Shared helpers for the integration tests.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use voisinage::parse::{ParseInput, Parser, Post};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpus directory (../shared/corpus beside the repository), or a clear panic.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("VOISINAGE_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus"));
    assert!(
        dir.join("dev.jsonl").is_file() && dir.join("score.py").is_file(),
        "the labelled corpus is missing: expected dev.jsonl and score.py in {} (set VOISINAGE_CORPUS_DIR)",
        dir.display()
    );
    dir
}

pub fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).expect("test time")
}

/// Parses `text` as sent at `when`, in a Europe/Paris zone B area.
pub fn parse_at(text: &str, when: &str) -> Vec<Post> {
    Parser::embedded().parse(&ParseInput::new(text, at(when)))
}
