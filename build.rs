//! Compiles routes/ into `$OUT_DIR/routes.rs`. A broken config fails `cargo build` with one
//! line per problem: `routes/<file>: route "<id>": <rule>`.
//!
//! `GATEHOUSE_ROUTES` points at another routes directory (used by benchmarks); the default is
//! `routes/` next to Cargo.toml.

use gatehouse_config::{check, emit};

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-env-changed=GATEHOUSE_ROUTES");
    let dir = std::env::var("GATEHOUSE_ROUTES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("routes"));
    // Cargo rescans a directory recursively, so this one line covers every file in it.
    println!("cargo:rerun-if-changed={}", dir.display());

    let mut files = Vec::new();
    if let Err(e) = collect(&dir, &dir, &mut files) {
        fail(&[format!("routes/: cannot read {}: {e}", dir.display())]);
    }
    match check::check(&files) {
        Ok(checked) => {
            let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("routes.rs");
            std::fs::write(out, emit::emit(&checked)).expect("write $OUT_DIR/routes.rs");
        }
        Err(errors) => fail(&errors),
    }
}

/// Reads every file under `dir` (two levels), naming each `routes/<relative path>`.
fn collect(root: &Path, dir: &Path, files: &mut Vec<check::SourceFile>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with('.') || rel.ends_with(".md") {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files)?;
        } else {
            let text = std::fs::read_to_string(&path)?;
            files.push(check::SourceFile {
                path: format!("routes/{rel}"),
                text,
            });
        }
    }
    Ok(())
}

fn fail(errors: &[String]) -> ! {
    eprintln!("\nGatehouse: routes/ has {} problem(s):", errors.len());
    for e in errors {
        eprintln!("error: {e}");
    }
    eprintln!();
    std::process::exit(1);
}
