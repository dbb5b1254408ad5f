//! The shape the code keeps: the domain decides as plain values — it names no database, web,
//! runtime, mail or API-document crate and reads no clock or environment — so the console, the
//! CLI, the jobs and the API can all be adapters over the same rules.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src/domain") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every line of a `.rs` file under `dir` that names one of `forbidden` outside a comment, as
/// `file:line: word: line`.
fn lines_naming(dir: &Path, forbidden: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    assert!(!files.is_empty(), "no Rust files under {}", dir.display());
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in forbidden {
                if code.contains(word) {
                    found.push(format!(
                        "{}:{}: {word}: {}",
                        file.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    found
}

/// What the domain may not name: I/O and framework crates, and every way to read the time or
/// the process's surroundings (time comes in as a value).
const FORBIDDEN: &[&str] = &[
    "diesel",
    "actix",
    "tokio",
    "lettre",
    "utoipa",
    "reqwest",
    "std::fs",
    "std::net",
    "std::env",
    "std::process",
    "SystemTime",
    "Instant::now",
    "Timestamp::now",
    "Zoned::now",
    "::now()",
    "crate::store",
    "crate::service",
    "crate::http",
    "crate::jobs",
    "crate::mail",
    "crate::config",
    "crate::cli",
];

#[test]
fn the_domain_does_no_io_and_reads_no_clock() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() >= 10, "found the domain's files: {files:?}");
    let found = lines_naming(&root, FORBIDDEN);
    assert!(
        found.is_empty(),
        "the domain must stay pure:\n{}",
        found.join("\n")
    );
}

/// The check itself sees what it looks for (a test that cannot fail would prove nothing).
#[test]
fn the_purity_check_catches_a_clock_read() {
    let line = "    let now = jiff::Timestamp::now();";
    assert!(FORBIDDEN.iter().any(|w| line.contains(w)));
    let line = "use diesel::prelude::*;";
    assert!(FORBIDDEN.iter().any(|w| line.contains(w)));
}

/// The faces do not lean on each other: the background jobs and the mail code run on the
/// runtime, never through the HTTP layer, and HTTP does not reach into the jobs.
#[test]
fn the_faces_depend_on_the_runtime_not_on_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rules: [(&str, &[&str]); 5] = [
        // The console is a face over the use cases: no SQL, no jobs, no JSON API handlers.
        (
            "console",
            &["crate::store", "diesel", "crate::jobs", "crate::http"],
        ),
        ("jobs", &["crate::http"]),
        ("mail", &["crate::http", "crate::jobs"]),
        (
            "runtime",
            &["crate::http", "crate::jobs", "crate::cli", "actix_web"],
        ),
        ("http", &["crate::jobs"]),
    ];
    let found: Vec<String> = rules
        .iter()
        .flat_map(|(dir, forbidden)| lines_naming(&src.join(dir), forbidden))
        .collect();
    assert!(found.is_empty(), "layers crossed:\n{}", found.join("\n"));
}

/// Lines of a source file before its inline tests (`#[cfg(test)]`).
fn code_lines(text: &str) -> usize {
    text.lines()
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .count()
}

#[test]
fn a_long_source_file_says_why_at_its_top() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut unexplained = Vec::new();
    for file in files.iter().filter(|f| !f.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(file).expect("read");
        let top: Vec<&str> = text.lines().take_while(|l| l.starts_with("//!")).collect();
        let n = code_lines(&text);
        if n > 400 && !top.iter().any(|l| l.starts_with("//! Long because: ")) {
            unexplained.push(format!("{}: {n} lines", file.display()));
        }
    }
    assert!(
        unexplained.is_empty(),
        "files over 400 lines need a `//! Long because: ...` line in their module docs:\n{}",
        unexplained.join("\n")
    );
}
