//! `src/entry.js` relies on internals of four crates (the future queue reading
//! `queueMicrotask` once, the reset function of the glue, worker's recovery state). Its
//! header names the versions it was verified against in `// verified: <crate> <version>`
//! lines; these tests fail when Cargo.toml or Cargo.lock moves any of them, so an upgrade
//! cannot land without someone re-reading entry.js. The behaviour itself is checked on the
//! built worker by tests/e2e/runtime_contract.test.mjs.

use std::collections::BTreeMap;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The crates whose internals entry.js depends on: each must have a `verified:` line.
const RELIED_ON: [&str; 4] = ["js-sys", "wasm-bindgen", "wasm-bindgen-futures", "worker"];

fn read(file: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{file}")).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// `// verified: <crate> <version> - ...` lines of src/entry.js, crate -> version.
fn verified_in_entry_js() -> BTreeMap<String, String> {
    read("src/entry.js")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("// verified:"))
        .map(|rest| {
            let mut words = rest.split_whitespace();
            let name = words.next().expect("a crate name after `verified:`");
            let version = words.next().expect("a version after the crate name");
            (name.to_string(), version.to_string())
        })
        .collect()
}

/// Every dependency table of Cargo.toml (plain and per target), flattened to name -> spec.
fn manifest_dependencies() -> Vec<(String, toml::Value)> {
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml parses");
    let mut tables = vec![manifest.get("dependencies")];
    if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
        tables.extend(targets.values().map(|t| t.get("dependencies")));
    }
    tables
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_table())
        .flat_map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())))
        .collect()
}

fn requirement(spec: &toml::Value) -> Option<&str> {
    match spec {
        toml::Value::String(s) => Some(s),
        toml::Value::Table(t) => t.get("version").and_then(|v| v.as_str()),
        _ => None,
    }
}

/// The versions of `name` in Cargo.lock (one, unless two semver-incompatible ones coexist).
fn locked_versions(name: &str) -> Vec<String> {
    let lock: toml::Table = read("Cargo.lock").parse().expect("Cargo.lock parses");
    lock["package"]
        .as_array()
        .expect("[[package]] entries")
        .iter()
        .filter(|p| p["name"].as_str() == Some(name))
        .map(|p| p["version"].as_str().unwrap().to_string())
        .collect()
}

fn reverify(name: &str, version: &str) -> String {
    format!(
        "src/entry.js was verified against {name} {version}. Before moving it, re-verify what \
         entry.js relies on: js-sys src/futures/queue.rs still reads `queueMicrotask` once when \
         the queue is made (startFutureQueue); wasm-bindgen's glue still exports \
         `__wbg_reset_state` and resets into a working instance; worker's src/init.rs still \
         exports `__worker_init_state()` with `criticalError` and `instanceId` (and \
         worker-build's shim keeps that recovery contract). Then update the `verified:` line, \
         build (scripts/build-worker.sh) and run tests/e2e/runtime_contract.test.mjs"
    )
}

#[test]
fn entry_js_names_a_verified_version_for_every_crate_it_relies_on() {
    let verified = verified_in_entry_js();
    for name in RELIED_ON {
        assert!(
            verified.contains_key(name),
            "src/entry.js has no `// verified: {name} <version>` line (have: {verified:?})"
        );
    }
}

#[test]
fn cargo_toml_pins_exactly_the_versions_entry_js_was_verified_against() {
    let deps = manifest_dependencies();
    for (name, version) in verified_in_entry_js() {
        let specs: Vec<&str> = deps
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| {
                requirement(v).unwrap_or_else(|| panic!("{name}: no version in Cargo.toml"))
            })
            .collect();
        assert!(!specs.is_empty(), "Cargo.toml does not depend on {name}");
        for spec in specs {
            assert_eq!(
                spec,
                format!("={version}"),
                "Cargo.toml: {name} = \"{spec}\" is not pinned to ={version}. {}",
                reverify(&name, &version)
            );
        }
    }
}

#[test]
fn cargo_lock_resolves_exactly_the_versions_entry_js_was_verified_against() {
    for (name, version) in verified_in_entry_js() {
        assert_eq!(
            locked_versions(&name),
            vec![version.clone()],
            "Cargo.lock: {name}. {}",
            reverify(&name, &version)
        );
    }
}

#[test]
fn setup_installs_worker_build_at_the_pinned_worker_version() {
    // worker-build's shim is what entry.js replaces; setup.sh derives its version from the
    // `worker` entry of Cargo.lock, so pinning `worker` pins worker-build too.
    let setup = read("scripts/setup.sh");
    assert!(
        setup.contains(r#"/^name = "worker"$/"#)
            && setup.contains("cargo install worker-build --version \"$wkb_version\""),
        "scripts/setup.sh no longer installs worker-build at the `worker` version of Cargo.lock"
    );
}
