//! `cargo run -q -p gatehouse-config --example routes_openapi -- DIR`: checks a routes
//! directory with the real checker and prints the OpenAPI document the gateway would serve at
//! `/openapi.json` for it. Every problem goes to stderr, one per line, and the exit code is 1.
//! Used by the OpenAPI import test (tests/e2e/import_openapi.test.mjs).

use gatehouse_config::{check, openapi};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: routes_openapi <routes directory>");
        return ExitCode::from(2);
    };
    let root = Path::new(&dir);
    let mut files = Vec::new();
    if let Err(e) = collect(root, root, &mut files) {
        eprintln!("error: cannot read {dir}: {e}");
        return ExitCode::FAILURE;
    }
    match check::check(&files) {
        Ok(checked) => {
            println!("{}", openapi::document(&checked, None));
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Every file under `dir`, named `routes/<path relative to root>` as build.rs names them
/// (dot files and `*.md` skipped).
fn collect(root: &Path, dir: &Path, files: &mut Vec<check::SourceFile>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let rel = path
            .strip_prefix(root)
            .map_err(std::io::Error::other)?
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with('.') || rel.ends_with(".md") {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files)?;
        } else {
            files.push(check::SourceFile {
                path: format!("routes/{rel}"),
                text: std::fs::read_to_string(&path)?,
            });
        }
    }
    Ok(())
}
