//! The book's configuration reference (`docs/src/reference/configuration.md`) is exactly what
//! `gatehouse reference` prints, so the committed page never drifts from the checker.
//!
//! After changing a checker shape:
//! `UPDATE_REFERENCE=1 cargo test -p gatehouse-config --test config_reference_doc`.

use gatehouse_config::config_reference;
use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/src/reference/configuration.md")
}

#[test]
fn the_book_s_configuration_reference_is_what_the_checker_renders() {
    let rendered = config_reference::markdown();
    let path = committed_path();
    if std::env::var_os("UPDATE_REFERENCE").is_some() {
        std::fs::write(&path, &rendered).expect("write the reference page");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != rendered {
        let first = committed
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "one is a prefix of the other".to_string(),
                |i| format!("first difference at line {}", i + 1),
            );
        panic!(
            "{} differs from what the checker renders ({first}); update it with\n  \
             UPDATE_REFERENCE=1 cargo test -p gatehouse-config --test config_reference_doc",
            path.display()
        );
    }
}

#[test]
fn the_cli_prints_the_reference() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("reference")
        .output()
        .expect("run gatehouse reference");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        config_reference::markdown()
    );
}

#[test]
fn the_cli_refuses_arguments_after_reference() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["reference", "routes"])
        .output()
        .expect("run gatehouse reference");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
}
