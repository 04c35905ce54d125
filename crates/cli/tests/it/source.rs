//! Checks over the workspace's own source: rules the compiler cannot state.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A workspace file's text, by path from the repository root.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

/// Every Rust file of the product (the crates and the workers), without test directories.
pub fn production_files() -> Vec<(PathBuf, String)> {
    let root = root();
    let mut files = Vec::new();
    let mut stack = vec![root.join("crates"), root.join("workers")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("target") {
                    stack.push(path);
                }
                continue;
            }
            let test_code = path.components().any(|c| c.as_os_str() == "tests");
            if path.extension().is_none_or(|e| e != "rs") || test_code {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            files.push((path, text));
        }
    }
    files
}

/// Typed ids (`TenantId`, `ClientId`, `BookingId`, …) are made only by the store, from rows it
/// read or wrote: nothing else calls their constructor, and none can be deserialised from
/// input. Everything else turns a number from a path, a form or a job into a row through a
/// store lookup scoped by the tenant. (Unit tests may make them, to build rows by hand.)
#[test]
fn typed_ids_are_constructed_only_by_the_store() {
    let offenders: Vec<String> = production_files()
        .into_iter()
        .filter(|(path, text)| {
            let in_store = path.components().any(|c| c.as_os_str() == "store");
            // The part of a file before its unit tests.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            !in_store && !path.ends_with("domain/src/ids.rs") && code.contains("::from_store")
        })
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "typed ids constructed outside the store: {offenders:?}");
    let ids = read("crates/domain/src/ids.rs");
    assert!(ids.contains("pub struct $name(i64);"), "the number stays private");
    assert!(!ids.contains("Deserialize"), "no typed id is deserialised from input");
}

/// `unsafe` is forbidden in every crate but the binary's, which denies it and allows it in
/// one function by name: glibc's `malloc_trim`, which has no safe binding (`memory.rs`).
#[test]
fn unsafe_code_is_only_the_allocator_trim() {
    let offenders: Vec<String> = production_files()
        .into_iter()
        .filter(|(path, text)| {
            text.contains("unsafe {") && !path.ends_with("crates/cli/src/memory.rs")
        })
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "unsafe code outside memory.rs: {offenders:?}");
    let memory = read("crates/cli/src/memory.rs");
    assert_eq!(memory.matches("unsafe {").count(), 1, "one unsafe block");
    assert!(read("Cargo.toml").contains("unsafe_code = \"forbid\""), "forbidden elsewhere");
}
