//! The build-time checker under hostile configuration: the real `routes/` with its TOML files
//! broken in structured ways (a value of the wrong type, an unknown `kind`, huge and negative
//! numbers, deep nesting, keys removed or added, tables where values go), arbitrary TOML text
//! and arbitrary JSON Schema files. The checker answers with a list of errors or a table (and
//! a table is emitted as Rust), never a panic nor a hang.

#![cfg(not(target_arch = "wasm32"))]

mod support;

use gatehouse_config::check::SourceFile;
use gatehouse_config::emit::emit;
use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;
use support::properties::{config, within};
use support::schema_agreement::check;
use toml::Value;

/// routes/ as the build reads it.
fn routes() -> &'static [SourceFile] {
    static FILES: OnceLock<Vec<SourceFile>> = OnceLock::new();
    FILES.get_or_init(|| {
        let mut files = Vec::new();
        read(Path::new("routes"), Path::new("routes"), &mut files);
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    })
}

/// A copy of routes/ to break.
fn copy() -> Vec<SourceFile> {
    routes()
        .iter()
        .map(|f| SourceFile {
            path: f.path.clone(),
            text: f.text.clone(),
        })
        .collect()
}

fn read(root: &Path, dir: &Path, files: &mut Vec<SourceFile>) {
    for entry in std::fs::read_dir(dir).expect("routes/ is readable") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read(root, &path, files);
        } else if !path.to_string_lossy().ends_with(".md") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.push(SourceFile {
                path: format!("routes/{rel}"),
                text: std::fs::read_to_string(&path).unwrap(),
            });
        }
    }
}

/// The checker's verdict on `files`, on a watched thread; a checked table is emitted too.
fn verdict(files: Vec<SourceFile>, what: String) -> Result<(), Vec<String>> {
    within(&what.clone(), move || {
        check(&files).map(|checked| {
            let rust = emit(&checked);
            assert!(!rust.is_empty(), "an empty table for {what}");
        })
    })
}

/// One structured break of a TOML document.
#[derive(Debug, Clone)]
enum Break {
    /// Replace the value found by walking these choices with another value.
    Replace(Vec<u16>, Value),
    /// Remove the member found by walking these choices.
    Remove(Vec<u16>),
    /// Add a member (an unknown key, or a known one where it does not belong).
    Add(Vec<u16>, String, Value),
}

/// Values that are wrong almost everywhere: other types, extremes, nesting, unknown kinds.
fn wrong_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::Integer),
        Just(Value::Integer(i64::MAX)),
        Just(Value::Integer(i64::MIN)),
        Just(Value::Integer(-1)),
        Just(Value::Integer(0)),
        any::<f64>().prop_map(Value::Float),
        Just(Value::Float(f64::NAN)),
        Just(Value::Float(f64::INFINITY)),
        Just(Value::Float(1e308)),
        any::<bool>().prop_map(Value::Boolean),
        Just(Value::String("no-such-kind".into())),
        Just(Value::String(String::new())),
        Just(Value::String("/v1/{id}/{*rest}".into())),
        Just(Value::String("http://[::1".into())),
        Just(Value::String("routes/schemas/../../etc".into())),
        ".{0,12}".prop_map(Value::String),
        Just(Value::Datetime("1979-05-27T07:32:00Z".parse().unwrap())),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| Value::Table(m.into_iter().collect())),
        ]
    })
}

/// Keys Gatehouse knows (so a break reaches deep into the checker) and a few it does not.
fn key() -> impl Strategy<Value = String> {
    proptest::sample::select(
        &[
            "kind",
            "id",
            "path",
            "methods",
            "upstream",
            "policies",
            "url",
            "targets",
            "weight",
            "timeout_ms",
            "retries",
            "breaker",
            "fallback",
            "mirror",
            "canary",
            "limit",
            "window",
            "algorithm",
            "key",
            "ttl",
            "max_age",
            "schema",
            "request",
            "response",
            "set",
            "remove",
            "rename",
            "parts",
            "name",
            "required",
            "algorithms",
            "issuer",
            "audiences",
            "secret",
            "origins",
            "sunset",
            "deprecated",
            "version",
            "percent",
            "cache",
            "route",
            "x-unknown",
        ][..],
    )
    .prop_map(str::to_string)
}

fn breaks() -> impl Strategy<Value = Vec<Break>> {
    let path = proptest::collection::vec(any::<u16>(), 1..6);
    let one = prop_oneof![
        4 => (path.clone(), wrong_value()).prop_map(|(p, v)| Break::Replace(p, v)),
        2 => path.clone().prop_map(Break::Remove),
        2 => (path, key(), wrong_value()).prop_map(|(p, k, v)| Break::Add(p, k, v)),
    ];
    proptest::collection::vec(one, 1..4)
}

/// The container walked to by `choices` (each picks a child by index modulo the count),
/// stopping before a leaf.
fn walk<'v>(v: &'v mut Value, choices: &[u16]) -> &'v mut Value {
    let child = |v: &Value, c: u16| -> Option<usize> {
        let n = match v {
            Value::Table(t) => t.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        (n > 0).then(|| usize::from(c) % n)
    };
    let mut steps = Vec::new();
    let mut here: &Value = v;
    for &c in choices {
        let Some(i) = child(here, c) else { break };
        let next = match here {
            Value::Table(t) => t.values().nth(i).unwrap(),
            Value::Array(a) => &a[i],
            _ => break,
        };
        if !matches!(next, Value::Table(_) | Value::Array(_)) {
            break;
        }
        steps.push(i);
        here = next;
    }
    let mut v = v;
    for i in steps {
        v = match v {
            Value::Table(t) => t.iter_mut().nth(i).unwrap().1,
            Value::Array(a) => &mut a[i],
            _ => unreachable!("walked above"),
        };
    }
    v
}

fn apply(doc: &mut Value, b: &Break) {
    match b {
        Break::Replace(p, new) => {
            let (last, parents) = p.split_last().unwrap();
            match walk(doc, parents) {
                Value::Table(t) if !t.is_empty() => {
                    let k = t.keys().nth(usize::from(*last) % t.len()).unwrap().clone();
                    t.insert(k, new.clone());
                }
                Value::Array(a) if !a.is_empty() => {
                    let i = usize::from(*last) % a.len();
                    a[i] = new.clone();
                }
                _ => {}
            }
        }
        Break::Remove(p) => {
            let (last, parents) = p.split_last().unwrap();
            match walk(doc, parents) {
                Value::Table(t) if !t.is_empty() => {
                    let k = t.keys().nth(usize::from(*last) % t.len()).unwrap().clone();
                    t.remove(&k);
                }
                Value::Array(a) if !a.is_empty() => {
                    let i = usize::from(*last) % a.len();
                    a.remove(i);
                }
                _ => {}
            }
        }
        Break::Add(p, k, new) => {
            if let Value::Table(t) = walk(doc, p) {
                t.insert(k.clone(), new.clone());
            }
        }
    }
}

/// routes/ with file `which` (a TOML file) broken by `breaks`; `None` when the broken
/// document cannot be written as TOML (e.g. NaN keys), which the generator then skips.
fn broken(which: usize, breaks: &[Break]) -> Option<(Vec<SourceFile>, String)> {
    let mut files = copy();
    let tomls: Vec<usize> = (0..files.len())
        .filter(|&i| files[i].path.ends_with(".toml"))
        .collect();
    let i = tomls[which % tomls.len()];
    let mut doc: Value = toml::from_str(&files[i].text).expect("routes/ parses");
    for b in breaks {
        apply(&mut doc, b);
    }
    let text = toml::to_string(&doc).ok()?;
    let what = format!("{} broken by {:?}", files[i].path, breaks);
    files[i].text = text;
    Some((files, what))
}

// One check of routes/ takes about 0.1 s in a debug build: few cases here, many in `make fuzz`.
proptest! {
    #![proptest_config(config(file!(), 60))]

    #[test]
    fn a_structurally_broken_routes_dir_gets_errors_or_a_table_never_a_panic(which in any::<usize>(), b in breaks()) {
        if let Some((files, what)) = broken(which, &b) {
            let _ = verdict(files, what);
        }
    }
}

proptest! {
    #![proptest_config(config(file!(), 30))]

    #[test]
    fn arbitrary_toml_text_in_a_route_file_gets_errors_never_a_panic(text in prop_oneof![
        ".{0,200}",
        "(\\[\\[route\\]\\]\n|id = \"[a-z]{1,3}\"\n|path = \"[/{}a-z*.]{0,12}\"\n|methods = \\[\"[A-Z]{1,6}\"\\]\n|upstream = \"[a-z]{1,5}\"\n|policies = \\[\"[a-z-]{1,8}\"\\]\n|[a-z_]{1,8} = [0-9]{1,25}\n){0,12}",
        "\\[{1,200}",
        "a = \\[{1,200}",
    ]) {
        let mut files = copy();
        files.push(SourceFile { path: "routes/v1/fuzz.toml".into(), text: text.clone() });
        let _ = verdict(files, format!("routes/v1/fuzz.toml = {text:?}"));
    }

    #[test]
    fn arbitrary_schema_files_get_errors_never_a_panic(text in prop_oneof![
        ".{0,120}",
        "[\\[\\]{}\"a-zA-Z$#/:,0-9.-]{0,120}",
        "\\[{1,300}",
    ]) {
        let mut files = copy();
        let schema = files.iter_mut().find(|f| f.path.starts_with("routes/schemas/")).expect("a schema file");
        schema.text = text.clone();
        let path = schema.path.clone();
        let result = verdict(files, format!("{path} = {text:?}"));
        if serde_json::from_str::<serde_json::Value>(&text).is_err() {
            prop_assert!(result.is_err(), "{} = {:?} is not JSON yet checked", path, text);
        }
    }
}

#[test]
fn the_unbroken_routes_dir_checks() {
    // Guards the properties above: the starting point is a valid configuration.
    assert_eq!(verdict(copy(), "routes/".into()), Ok(()));
}

#[test]
fn the_generated_breaks_reach_the_checkers_rules() {
    // Guards the structured property from passing vacuously: most breaks are caught.
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut tried, mut refused) = (0, 0);
    for _ in 0..20 {
        let which = any::<usize>().new_tree(&mut runner).unwrap().current();
        let b = breaks().new_tree(&mut runner).unwrap().current();
        if let Some((files, what)) = broken(which, &b) {
            tried += 1;
            refused += usize::from(verdict(files, what).is_err());
        }
    }
    assert!(
        refused * 2 >= tried && tried >= 10,
        "{refused} of {tried} refused"
    );
}
