//! The crate's top-level modules form layers with no cycle (docs/src/contributing/source-layout.md).
//!
//! Each `src/<name>.rs` or `src/<name>/` is one node; any `crate::<name>` path outside comments
//! and string literals is an edge. These tests read the source, so a reintroduced edge fails
//! `cargo test` with the file that adds it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Removes comments, string and char literals, keeping everything else.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") || rest.starts_with("br\"") {
            let start = rest.find('r').unwrap() + 1;
            let hashes = rest[start..].bytes().take_while(|&c| c == b'#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = start + hashes + 1;
            i += rest[body..]
                .find(&close)
                .map_or(rest.len(), |e| body + e + close.len());
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            i = j + 1;
        } else if b[i] == b'\'' && (rest.starts_with("'\\") || rest.get(2..3) == Some("'")) {
            // A char literal ('"', '\'', '\u{..}'); lifetimes ('a) have no closing quote.
            let mut j = i + 1;
            if b[j] == b'\\' {
                j += 2;
            }
            while j < b.len() && b[j] != b'\'' {
                j += 1;
            }
            i = j + 1;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for e in entries {
            rust_files(&e, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The module graph: module -> module it names -> files that name it.
fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || !(path.is_dir() || path.extension().is_some_and(|e| e == "rs")) {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&path, &mut files);
        if !files.is_empty() {
            modules.insert(name, files);
        }
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut graph = Graph::new();
    for (module, files) in &modules {
        let edges = graph.entry(module.clone()).or_default();
        for file in files {
            let code = code_only(&std::fs::read_to_string(file).unwrap());
            let shown = file
                .strip_prefix(src.parent().unwrap())
                .unwrap()
                .display()
                .to_string();
            for named in crate_paths(&code) {
                if named != *module && names.contains(&named) {
                    edges.entry(named).or_default().insert(shown.clone());
                }
            }
        }
    }
    graph
}

/// The first segment of every `crate::...` path, including each one in `crate::{a, b::c}`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue; // `gatehouse_crate::` and the like
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                found.push(ident(item.trim_start()));
            }
        } else {
            found.push(ident(rest));
        }
    }
    found
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every cycle's members, found with Tarjan's strongly connected components.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        for w in s.graph[v].keys() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(lw));
            } else if s.stack.contains(&w) {
                let iw = s.index[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let at = s.stack.iter().rposition(|x| *x == v).unwrap();
            let members: Vec<String> = s.stack.drain(at..).map(str::to_string).collect();
            if members.len() > 1 {
                s.found.push(members);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

fn describe(graph: &Graph, members: &[String]) -> String {
    let mut lines = Vec::new();
    for m in members {
        for (to, files) in &graph[m] {
            if members.contains(to) {
                lines.push(format!(
                    "  {m} -> {to} ({})",
                    files.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    lines.join("\n")
}

#[test]
fn top_level_modules_form_layers_with_no_cycle() {
    let graph = graph();
    let found = cycles(&graph);
    let report: Vec<String> = found
        .iter()
        .map(|c| {
            format!(
                "{} modules import each other:\n{}",
                c.len(),
                describe(&graph, c)
            )
        })
        .collect();
    assert!(found.is_empty(), "{}", report.join("\n"));
}

fn assert_never_imports(graph: &Graph, module: &str, forbidden: &[&str], why: &str) {
    let bad: Vec<String> = graph[module]
        .iter()
        .filter(|(to, _)| forbidden.contains(&to.as_str()))
        .map(|(to, files)| {
            format!(
                "{module} -> {to} ({})",
                files.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    assert!(bad.is_empty(), "{why}:\n{}", bad.join("\n"));
}

#[test]
fn cache_rules_are_pure_and_know_no_policy_or_runtime() {
    assert_never_imports(
        &graph(),
        "cache",
        &["runtime", "policy", "exchange", "pipeline", "gateway", "config"],
        "cache/ holds the RFC 9111 rules over plain facts; its JS and phases live in runtime/ and policy/cache/",
    );
}

#[test]
fn exchange_names_no_policy_kind() {
    assert_never_imports(
        &graph(),
        "exchange",
        &[
            "policy",
            "cache",
            "aggregate",
            "validation",
            "transform",
            "ratelimit",
        ],
        "exchange/ sends and answers; each kind's rules live in its policy module",
    );
}

/// Files under `src/<module>/` (or `src/<module>.rs`) that name `gatehouse_config::kinds`,
/// where each kind's runtime type is defined (their rules stay in `policy/`).
fn files_naming_kinds(module: &str) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for path in [src.join(module), src.join(format!("{module}.rs"))] {
        if path.exists() {
            rust_files(&path, &mut files);
        }
    }
    files
        .iter()
        .filter(|f| {
            code_only(&std::fs::read_to_string(f).unwrap()).contains("gatehouse_config::kinds")
        })
        .map(|f| f.display().to_string())
        .collect()
}

#[test]
fn cache_and_exchange_name_no_kind_type_either() {
    for module in ["cache", "exchange"] {
        let found = files_naming_kinds(module);
        assert!(
            found.is_empty(),
            "{module}/ names the kinds' types (gatehouse_config::kinds): {found:?}"
        );
    }
}

#[test]
fn the_edge_finder_sees_grouped_paths_and_skips_strings_and_comments() {
    let code = code_only(
        "use crate::{a, b::c};\n// crate::d\nlet s = \"crate::e\"; let c = '\"'; crate::f::g();",
    );
    assert_eq!(crate_paths(&code), ["a", "b", "f"]);
}
