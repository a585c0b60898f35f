//! The book's configuration snippets pass the checker. A fenced block opened with
//! ```` ```toml,check ```` is appended to a copy of the example `routes/gateway.toml`;
//! ```` ```toml,check=v1/recipe.toml ```` goes to that file of the copy instead (appended when
//! the example has it). All the checked blocks of one page go into one copy, in page order, so a
//! page can define a policy in one block and use it in a route in the next. A page's copy must
//! pass `check` exactly as `cargo build` would run it.

use gatehouse_config::check::{check, SourceFile};
use gatehouse_config::files;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A checked block: the routes/ file it goes to and its text.
#[derive(Debug, PartialEq)]
struct Snippet {
    file: String,
    text: String,
    line: usize,
}

/// The `toml,check` blocks of one Markdown page, in order.
fn snippets(markdown: &str) -> Result<Vec<Snippet>, String> {
    let mut out = Vec::new();
    let mut open: Option<Snippet> = None;
    let mut in_other_fence = false;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(s) = open.as_mut() {
            if trimmed.starts_with("```") {
                out.push(open.take().unwrap());
            } else {
                s.text.push_str(line);
                s.text.push('\n');
            }
            continue;
        }
        if !trimmed.starts_with("```") {
            continue;
        }
        if in_other_fence {
            in_other_fence = false;
            continue;
        }
        let info = trimmed.trim_start_matches('`').trim();
        let mut parts = info.split(',');
        let is_toml = parts.next() == Some("toml");
        let check_attr = parts.find(|p| *p == "check" || p.starts_with("check="));
        match (is_toml, check_attr) {
            (true, Some(attr)) => {
                let file = match attr.strip_prefix("check=") {
                    Some(f) if !f.is_empty() && !f.contains("..") && !f.starts_with('/') => {
                        format!("routes/{f}")
                    }
                    Some(f) => return Err(format!("line {}: bad target {f:?}", i + 1)),
                    None => "routes/gateway.toml".to_string(),
                };
                open = Some(Snippet {
                    file,
                    text: String::new(),
                    line: i + 1,
                });
            }
            _ => in_other_fence = true,
        }
    }
    if let Some(s) = open {
        return Err(format!("line {}: the block is never closed", s.line));
    }
    Ok(out)
}

/// The example routes with a page's snippets applied.
fn with_snippets(example: &[SourceFile], snippets: &[Snippet]) -> Vec<SourceFile> {
    let mut files: Vec<SourceFile> = example
        .iter()
        .map(|f| SourceFile {
            path: f.path.clone(),
            text: f.text.clone(),
        })
        .collect();
    for s in snippets {
        match files.iter_mut().find(|f| f.path == s.file) {
            Some(f) => {
                f.text.push('\n');
                f.text.push_str(&s.text);
            }
            None => files.push(SourceFile {
                path: s.file.clone(),
                text: s.text.clone(),
            }),
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn pages(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            pages(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

#[test]
fn every_checked_toml_block_in_the_book_passes_the_checker() {
    let example = files::read_routes(&repo().join("routes")).expect("read routes/");
    let mut all = Vec::new();
    pages(&repo().join("docs/src"), &mut all);
    all.sort();
    let mut failures = Vec::new();
    let mut checked = 0;
    for page in &all {
        let text = std::fs::read_to_string(page).unwrap();
        let name = page
            .strip_prefix(repo())
            .unwrap_or(page)
            .display()
            .to_string();
        let blocks = match snippets(&text) {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        if blocks.is_empty() {
            continue;
        }
        checked += blocks.len();
        let files = with_snippets(&example, &blocks);
        if let Err(errors) = check(&files) {
            let lines: Vec<String> = blocks.iter().map(|b| b.line.to_string()).collect();
            failures.push(format!(
                "{name} (blocks at lines {}):\n{}",
                lines.join(", "),
                files::report(&files, &errors)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        checked >= 10,
        "only {checked} checked blocks found in docs/src"
    );
}

#[test]
fn a_snippet_the_checker_rejects_fails_its_page() {
    let example = files::read_routes(&repo().join("routes")).expect("read routes/");
    let page = "```toml,check\n[[route]]\nid = \"doc-bad\"\nmethods = [\"GET\"]\npath = \"/doc-bad\"\nupstream = \"no-such-upstream\"\n```\n";
    let blocks = snippets(page).unwrap();
    let errors = check(&with_snippets(&example, &blocks)).expect_err("an undefined upstream");
    assert!(
        errors.iter().any(|e| e.contains("no-such-upstream")),
        "{errors:?}"
    );
}

#[test]
fn only_toml_check_blocks_are_taken_with_their_target_file() {
    let page = "```toml\n[not] = checked\n```\n```sh\n# ```toml,check inside sh\n```\n\
                ```toml,check=v1/x.toml\na = 1\n```\n```toml,check\nb = 2\n```\n";
    assert_eq!(
        snippets(page).unwrap(),
        vec![
            Snippet {
                file: "routes/v1/x.toml".into(),
                text: "a = 1\n".into(),
                line: 7
            },
            Snippet {
                file: "routes/gateway.toml".into(),
                text: "b = 2\n".into(),
                line: 10
            },
        ]
    );
    assert!(snippets("```toml,check=../etc\nx\n```\n").is_err());
    assert!(snippets("```toml,check\nx = 1\n").is_err());
}
