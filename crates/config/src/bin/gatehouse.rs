//! `gatehouse`: the routes/ checker without a wasm build.
//!
//! ```text
//! gatehouse check   [DIR]            check DIR (default routes/); exit 1 with every problem
//! gatehouse routes  [DIR]            the compiled route table, one line per route
//! gatehouse openapi [DIR] [VERSION]  the OpenAPI document /openapi.json serves (or a version's)
//! gatehouse reference                the configuration reference (Markdown) the book commits as
//!                                    docs/src/reference/configuration.md
//! ```
//! `make check` and `make routes` run it. It runs the same checker as `cargo build`, so a
//! directory it accepts builds.

use gatehouse_config::check::{self, Checked, SourceFile};
use gatehouse_config::upstream::CheckedTarget;
use gatehouse_config::{config_reference, files, openapi};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: gatehouse check [DIR] | routes [DIR] | openapi [DIR] [VERSION] | reference";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if command == "reference" {
        if !rest.is_empty() {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
        print!("{}", config_reference::markdown());
        return ExitCode::SUCCESS;
    }
    if !matches!(command, "check" | "routes" | "openapi") || rest.len() > 2 {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let dir = PathBuf::from(rest.first().map_or("routes", String::as_str));
    let files = match files::read_routes(&dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("gatehouse: cannot read {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    let checked = match check::check(&files) {
        Ok(c) => c,
        Err(errors) => {
            eprint!("{}", files::report(&files, &errors));
            return ExitCode::FAILURE;
        }
    };
    match command {
        "check" => println!("{}", summary(&dir, &files, &checked)),
        "routes" => print!("{}", table(&checked)),
        _ => {
            let version = rest.get(1).map(String::as_str);
            if version.is_some_and(|v| !checked.versions.iter().any(|x| x == v)) {
                eprintln!(
                    "gatehouse: no version folder {:?} in {}",
                    version.unwrap(),
                    dir.display()
                );
                return ExitCode::from(2);
            }
            let doc = openapi::document(&checked, version);
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).expect("a JSON value prints")
            );
        }
    }
    ExitCode::SUCCESS
}

fn summary(dir: &std::path::Path, files: &[SourceFile], c: &Checked) -> String {
    format!(
        "{}: ok - {} files, {} routes in {} version(s), {} upstreams, {} named policies",
        dir.display(),
        files.len(),
        c.routes.len(),
        c.versions.len(),
        c.upstreams.len(),
        c.policies.iter().filter(|p| !p.name.contains('#')).count()
    )
}

/// One line per route, aligned: methods, host, path, version, the policies it runs in order
/// (`[gateway] default_policies` first), then where it goes.
fn table(c: &Checked) -> String {
    let mut rows = vec![[
        "METHODS".to_string(),
        "HOST".into(),
        "PATH".into(),
        "VERSION".into(),
        "POLICIES".into(),
        "UPSTREAM".into(),
        "TARGETS".into(),
    ]];
    for r in &c.routes {
        let policies: Vec<String> = c
            .default_policies
            .iter()
            .chain(&r.policies)
            .map(|&i| {
                let p = &c.policies[i];
                format!("{}({})", p.name, p.settings.kind())
            })
            .collect();
        let (upstream, targets) = destination(c, r);
        rows.push([
            r.methods.join(","),
            r.host.clone().unwrap_or_else(|| "*".into()),
            r.path.clone(),
            if r.version.is_empty() {
                "-".into()
            } else {
                r.version.clone()
            },
            if policies.is_empty() {
                "-".into()
            } else {
                policies.join(" > ")
            },
            upstream,
            targets,
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| format!("{cell:<w$}", w = widths[i]))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The route's upstream (or its fan-out parts) and their targets.
fn destination(c: &Checked, r: &check::CheckedRoute) -> (String, String) {
    let targets = |i: usize| {
        c.upstreams[i]
            .targets
            .iter()
            .map(|(t, w)| {
                let t = match t {
                    CheckedTarget::Url(_, url) => url.clone(),
                    CheckedTarget::Service(b) => format!("service:{b}"),
                };
                if c.upstreams[i].targets.len() > 1 {
                    format!("{t} (weight {w})")
                } else {
                    t
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(f) = &r.fan_out {
        let parts: Vec<String> = f
            .parts
            .iter()
            .map(|p| format!("{}={}", p.name, c.upstreams[p.upstream].name))
            .collect();
        let mut ups: Vec<usize> = f.parts.iter().map(|p| p.upstream).collect();
        ups.dedup();
        let t: Vec<String> = ups.into_iter().map(targets).collect();
        return (format!("fan-out: {}", parts.join(" ")), t.join(", "));
    }
    let mut upstream = c.upstreams[r.upstream].name.clone();
    if let Some(g) = &r.grpc {
        upstream.push_str(&format!(" (gRPC {})", g.path));
    }
    if r.graphql.is_some() {
        upstream.push_str(" (GraphQL)");
    }
    (upstream, targets(r.upstream))
}
