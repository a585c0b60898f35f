//! Compiles routes/ into `$OUT_DIR/routes.rs`. A broken config fails `cargo build` with every
//! problem, in file order, each as `routes/<file>: route "<id>": <rule>` followed by its
//! `file:line:column` and the line marked (`gatehouse_config::locate`).
//!
//! `GATEHOUSE_ROUTES` points at another routes directory (used by benchmarks); the default is
//! `routes/` next to Cargo.toml.

use gatehouse_config::{check, emit, files};

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-env-changed=GATEHOUSE_ROUTES");
    let dir = std::env::var("GATEHOUSE_ROUTES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("routes"));
    // Cargo rescans a directory recursively, so this one line covers every file in it.
    println!("cargo:rerun-if-changed={}", dir.display());

    let files = match files::read_routes(&dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("\nGatehouse: routes/: cannot read {}: {e}\n", dir.display());
            std::process::exit(1);
        }
    };
    match check::check(&files) {
        Ok(checked) => {
            let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("routes.rs");
            std::fs::write(out, emit::emit(&checked)).expect("write $OUT_DIR/routes.rs");
        }
        Err(errors) => {
            eprintln!("\n{}", files::report(&files, &errors));
            std::process::exit(1);
        }
    }
}
