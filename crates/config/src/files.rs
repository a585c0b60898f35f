//! Reads a routes directory from disk into the [`SourceFile`]s the checker takes, and prints
//! the checker's errors with their places. Shared by `build.rs` and the `gatehouse` command.

use super::check::SourceFile;
use super::locate;
use std::path::Path;

/// Every file under `dir`, recursively, named `routes/<relative path>` whatever the
/// directory is called (so messages read the same for any routes directory). Names starting
/// with `.` and `*.md` files are skipped. Sorted by name, so runs are reproducible.
pub fn read_routes(dir: &Path) -> std::io::Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<SourceFile>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        if name.starts_with('.') || rel.ends_with(".md") {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files)?;
        } else {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                std::io::Error::new(e.kind(), format!("routes/{rel}: cannot read: {e}"))
            })?;
            files.push(SourceFile {
                path: format!("routes/{rel}"),
                text,
            });
        }
    }
    Ok(())
}

/// The report of a failed check: a heading, then each error with its place, in file order.
pub fn report(files: &[SourceFile], errors: &[String]) -> String {
    let mut out = format!("Gatehouse: routes/ has {} problem(s):\n\n", errors.len());
    for d in locate::locate(files, errors) {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    out
}
