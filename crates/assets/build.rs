//! Embeds `templates/` and `static/` into the binary, so `portico` runs from any directory and
//! the container image needs nothing beside the executable.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().expect("workspace root");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));

    let mut code = String::from("pub static TEMPLATES: &[(&str, &str)] = &[\n");
    for (name, path) in files(&root.join("templates")) {
        writeln!(code, "    ({name:?}, include_str!({path:?})),").unwrap();
    }
    code.push_str("];\npub static STATIC_FILES: &[(&str, &[u8])] = &[\n");
    for (name, path) in files(&root.join("static")) {
        writeln!(code, "    ({name:?}, include_bytes!({path:?})),").unwrap();
    }
    code.push_str("];\n");
    std::fs::write(out.join("embedded.rs"), code).expect("write embedded.rs");

    println!("cargo::rerun-if-changed={}", root.join("templates").display());
    println!("cargo::rerun-if-changed={}", root.join("static").display());
}

/// Every file under `dir`, as (path relative to `dir` with `/`, absolute path), sorted.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    walk(dir, dir, &mut found);
    found.sort();
    found
}

fn walk(base: &Path, dir: &Path, found: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo::rerun-if-changed={}", path.display());
        if path.is_dir() {
            walk(base, &path, found);
        } else {
            let rel = path.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/");
            found.push((rel, path.display().to_string()));
        }
    }
}
