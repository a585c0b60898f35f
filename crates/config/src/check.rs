//! Checks the routes/ directory and turns it into a [`Checked`] model for `emit.rs`.
//!
//! Pure: it takes file names and contents, so tests feed it tables of broken configs. Every
//! error reads `routes/<file>: route "<id>": <rule>` (or `upstream "<name>"`, `policy "<name>"`)
//! so the user can find and fix it without reading Gatehouse's source.
//!
//! Each policy's settings are parsed once by its kind's module ([`super::kinds`]); this file
//! checks what spans kinds: files, upstreams, routes, and where policies may stand.

use super::fan_out::{self, CheckedFanOut};
use super::kinds::PolicySpec;
use super::kinds::{self, graphql, Placement, Settings};
use super::lex::{clean, is_name, is_path_char, is_route_id, is_token_byte};
use super::lifecycle::{self, LifecycleSettings};
use super::limits::CheckedLimits;
use super::schema::{
    GatewayFile, LifecycleSpec, MatchSpec, PolicyRef, RouteSpec, RoutesFile, UpstreamSpec,
    VersioningSpec,
};
use super::upstream::CheckedFallback;
pub use super::upstream::CheckedUpstream;
use crate::table::gc_pace;
use crate::table::log::LogMode;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

pub use super::json_schema::CompiledSchema;
pub use super::lex::METHODS;

/// One file of the routes/ directory.
pub struct SourceFile {
    /// Path as the user sees it, e.g. `routes/v1/users.toml`.
    pub path: String,
    pub text: String,
}

/// A piece of a rewrite template.
#[derive(Debug, Clone, PartialEq)]
pub enum RewritePart {
    Lit(String),
    Param(String),
}

#[derive(Debug)]
pub struct CheckedPolicy {
    /// The `[policies.<name>]` name, or `<route-id>#<n>` for an inline policy.
    pub name: String,
    pub settings: Settings,
    /// For `any`: the member policies (indices into [`Checked::policies`]).
    pub members: Vec<usize>,
}

#[derive(Debug)]
pub struct CheckedRoute {
    pub id: String,
    pub file: String,
    /// Public path including the version prefix, e.g. `/v1/users/{id}`.
    pub path: String,
    pub methods: Vec<String>,
    pub host: Option<String>,
    pub upstream: usize,
    pub rewrite: Option<Vec<RewritePart>>,
    /// Indices into [`Checked::policies`], the route's own policies only.
    pub policies: Vec<usize>,
    pub websocket: bool,
    /// Skip the double-encoding check (`%252e`) for this route.
    pub allow_double_encoding: bool,
    /// `retry_non_idempotent = true`: POST and PATCH may be retried too.
    pub retry_unsafe: bool,
    /// `match`: sorted, so two routes' sets compare directly.
    pub conditions: Vec<Condition>,
    /// The route's request limits, `[gateway] limits` included.
    pub limits: CheckedLimits,
    /// Parts instead of one upstream.
    pub fan_out: Option<CheckedFanOut>,
    /// `grpc`: the method called, JSON translated.
    pub grpc: Option<crate::table::proto::GrpcCall>,
    /// `graphql`: the stored operation run, its `data` answered.
    pub graphql: Option<crate::table::graphql::GraphqlCall>,
    /// The version folder (`v1`), empty for gateway.toml routes.
    pub version: String,
    /// The path as written in the route file, without the version prefix.
    pub local_path: String,
    /// Its version's lifecycle with the route's own keys over it. `successor` is kept only
    /// when the same path exists in the successor version.
    pub lifecycle: LifecycleSettings,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// Indices into [`Checked::schemas`].
    pub body_schema: Option<usize>,
    pub query_schema: Option<usize>,
    /// `log`: over `[gateway] log`.
    pub log: Option<LogMode>,
}

/// The whole checked configuration.
#[derive(Debug, Default)]
pub struct Checked {
    pub upstreams: Vec<CheckedUpstream>,
    pub policies: Vec<CheckedPolicy>,
    pub default_policies: Vec<usize>,
    /// `[gateway] limits`.
    pub limits: CheckedLimits,
    /// `[gateway] plans`.
    pub plans: Vec<String>,
    pub routes: Vec<CheckedRoute>,
    /// Distinct public paths, each with the routes (indices) that share it.
    pub paths: Vec<(String, Vec<usize>)>,
    /// Version folders, in name order.
    pub versions: Vec<String>,
    /// `[gateway] versioning`.
    pub versioning: Option<VersioningSpec>,
    /// The schema files routes name, compiled.
    pub schemas: Vec<CompiledSchema>,
    /// `routes/protos/*.proto`, compiled.
    pub protos: crate::table::proto::Protos,
    /// `routes/graphql/**` as (path, text), for the `graphql` policies' allowlists.
    pub documents: Vec<(String, String)>,
    /// `[gateway] docs`: title, description, and the portal's path (`None`: no portal).
    pub docs: CheckedDocs,
    /// `[gateway] log` (`LogMode::All` by default).
    pub log: LogMode,
    /// `[gateway] analytics`: the Analytics Engine dataset binding.
    pub analytics: Option<String>,
    /// `[gateway] gc_pace_slots` ([`gc_pace::DEFAULT`] when absent).
    pub gc_pace_slots: u32,
}

/// `[gateway] docs`, checked.
#[derive(Debug, Default)]
pub struct CheckedDocs {
    pub title: String,
    pub description: Option<String>,
    pub portal: Option<String>,
}

/// Checks all files; returns every error found (not just the first), each one line.
pub fn check(files: &[SourceFile]) -> Result<Checked, Vec<String>> {
    // GraphQL documents (routes/graphql/**/*.graphql), read before the policies that list them.
    let documents: Vec<(String, String)> = files
        .iter()
        .filter(|f| f.path.starts_with(graphql::DIR))
        .map(|f| (f.path.clone(), f.text.clone()))
        .collect();
    let mut errors = graphql::check_documents(&documents);
    let mut out = Checked {
        documents,
        ..Checked::default()
    };

    let gateway_path = "routes/gateway.toml";
    let gateway: GatewayFile = match files.iter().find(|f| f.path == gateway_path) {
        Some(f) => match parse_file(f, &mut errors) {
            Some(g) => g,
            None => return Err(errors),
        },
        None => return Err(vec![format!("{gateway_path}: file is missing")]),
    };

    // Upstreams.
    let mut upstream_index = HashMap::new();
    for (name, raw) in &gateway.upstreams {
        let ctx = format!("{gateway_path}: upstream \"{name}\"");
        if !is_name(name) {
            errors.push(format!("{ctx}: names use a-z, 0-9, '-' and '_'"));
        }
        let spec: UpstreamSpec = match UpstreamSpec::deserialize(raw.clone()) {
            Ok(s) => s,
            Err(e) => {
                errors.push(format!("{ctx}: {}", clean(&e.to_string())));
                continue;
            }
        };
        match CheckedUpstream::parse(name, &spec) {
            Ok(u) => {
                upstream_index.insert(name.clone(), out.upstreams.len());
                out.upstreams.push(u);
            }
            Err(e) => errors.push(format!("{ctx}: {e}")),
        }
    }
    for u in &out.upstreams {
        if let Some(CheckedFallback::Upstream(f)) = &u.fallback {
            if !upstream_index.contains_key(f) {
                errors.push(format!(
                    "{gateway_path}: upstream \"{}\": fallback.upstream \"{f}\" is not defined",
                    u.name
                ));
            }
        }
        if let Some(c) = &u.canary {
            match out.upstreams.iter().find(|o| o.name == c.upstream) {
                None => errors.push(format!(
                    "{gateway_path}: upstream \"{}\": canary.upstream \"{}\" is not defined",
                    u.name, c.upstream
                )),
                Some(o) if o.canary.is_some() => errors.push(format!(
                    "{gateway_path}: upstream \"{}\": canary.upstream \"{}\" has a canary of its own",
                    u.name, c.upstream
                )),
                Some(_) => {}
            }
        }
        if let Some((m, _)) = &u.mirror {
            if !upstream_index.contains_key(m) {
                errors.push(format!(
                    "{gateway_path}: upstream \"{}\": mirror.upstream \"{m}\" is not defined",
                    u.name
                ));
            }
        }
    }

    for u in &out.upstreams {
        let named = [
            u.fallback.as_ref().and_then(|f| match f {
                CheckedFallback::Upstream(n) => Some(n),
                CheckedFallback::Static { .. } => None,
            }),
            u.canary.as_ref().map(|c| &c.upstream),
            u.mirror.as_ref().map(|(m, _)| m),
        ];
        for n in named.into_iter().flatten() {
            if out
                .upstreams
                .iter()
                .any(|o| &o.name == n && o.provider.is_some())
            {
                errors.push(format!(
                    "{gateway_path}: upstream \"{}\": \"{n}\" is an LLM provider: only an llm policy's models reach it",
                    u.name
                ));
            }
        }
    }

    out.plans = gateway.gateway.plans.clone();
    for plan in &out.plans {
        if !is_name(plan) {
            errors.push(format!(
                "{gateway_path}: gateway.plans: \"{plan}\": names use a-z, 0-9, '-' and '_'"
            ));
        }
    }

    // Named policies.
    let mut policy_index = kinds::PolicyIndex::new();
    for (name, raw) in &gateway.policies {
        let ctx = format!("{gateway_path}: policy \"{name}\"");
        if !is_name(name) {
            errors.push(format!("{ctx}: names use a-z, 0-9, '-' and '_'"));
        }
        let settings = check_policy(raw, &ctx, &out.plans, &out.documents, &mut errors);
        policy_index.insert(
            name.clone(),
            settings.is_some().then_some(out.policies.len()),
        );
        if let Some(settings) = settings {
            out.policies.push(CheckedPolicy {
                name: name.clone(),
                settings,
                members: Vec::new(),
            });
        }
    }
    for i in 0..out.policies.len() {
        let ctx = format!("{gateway_path}: policy \"{}\"", out.policies[i].name);
        let members = Settings::members(
            &out.policies[i].settings,
            &ctx,
            &policy_index,
            &out.policies,
            &mut errors,
        );
        out.policies[i].members = members;
        if let Settings::Llm(l) = &mut out.policies[i].settings {
            l.resolve(&ctx, &out.upstreams, &mut errors);
        }
    }
    if let Some(l) = &gateway.gateway.limits {
        match CheckedLimits::parse(l) {
            Ok(l) => out.limits = l,
            Err(es) => errors.extend(
                es.into_iter()
                    .map(|e| format!("{gateway_path}: gateway.{e}")),
            ),
        }
    }
    for name in &gateway.gateway.default_policies {
        match policy_index.get(name) {
            Some(Some(i)) => out.default_policies.push(*i),
            Some(None) => {}
            None => errors.push(format!(
                "{gateway_path}: gateway.default_policies: policy \"{name}\" is not defined in [policies]"
            )),
        }
    }

    // Routes: unversioned ones in gateway.toml, then each version folder in name order.
    let mut raw_routes: Vec<(String, String, toml::Value)> = gateway
        .route
        .iter()
        .map(|r| (gateway_path.to_string(), String::new(), r.clone()))
        .collect();
    let schema_files: Vec<&SourceFile> = files
        .iter()
        .filter(|f| f.path.starts_with("routes/schemas/"))
        .collect();
    out.docs = docs(&gateway.gateway.docs, &mut errors);
    out.log = match gateway.gateway.log.as_ref().map(log_mode) {
        None => LogMode::All,
        Some(Ok(m)) => m,
        Some(Err(e)) => {
            errors.push(format!("{gateway_path}: gateway.log: {e}"));
            LogMode::All
        }
    };
    out.analytics = gateway.gateway.analytics.clone();
    if let Some(a) = &out.analytics {
        if a.is_empty() || !a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            errors.push(format!(
                "{gateway_path}: gateway.analytics: \"{a}\" is not a binding name (A-Z, a-z, 0-9, _)"
            ));
        }
    }
    out.gc_pace_slots = match gateway.gateway.gc_pace_slots.as_ref().map(gc_pace_slots) {
        None => gc_pace::DEFAULT,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            errors.push(format!("{gateway_path}: gateway.gc_pace_slots: {e}"));
            gc_pace::DEFAULT
        }
    };
    let mut others: Vec<&SourceFile> = files
        .iter()
        .filter(|f| f.path != gateway_path && !f.path.starts_with("routes/schemas/"))
        .filter(|f| !f.path.starts_with(super::protos::DIR))
        .filter(|f| !f.path.starts_with(graphql::DIR))
        .collect();
    // Proto files (routes/protos/**/*.proto), compiled before the routes that call them.
    let proto_files: Vec<(String, String)> = files
        .iter()
        .filter(|f| f.path.starts_with(super::protos::DIR))
        .map(|f| (f.path.clone(), f.text.clone()))
        .collect();
    for (path, _) in proto_files.iter().filter(|(p, _)| !p.ends_with(".proto")) {
        errors.push(format!(
            "{path}: unexpected file: routes/protos/ holds .proto files only"
        ));
    }
    match super::protos::compile(&proto_files) {
        Ok(p) => out.protos = p,
        Err(found) => errors.extend(found),
    }
    // Schema files (routes/schemas/*.json), compiled whether or not a route names them, so
    // a broken one never waits to be used to fail.
    for f in &schema_files {
        if !f.path.ends_with(".json") || f.path.matches('/').count() != 2 {
            errors.push(format!(
                "{}: unexpected file: routes/schemas/ holds <name>.json JSON Schema files only",
                f.path
            ));
            continue;
        }
        match super::json_schema::compile(&f.path, &f.text) {
            Ok(c) => out.schemas.push(c),
            Err(found) => errors.extend(found),
        }
    }
    others.sort_by(|a, b| a.path.cmp(&b.path));
    for f in &others {
        if let Some(prefix) = version_prefix(&f.path, &mut Vec::new()) {
            let v = prefix[1..].to_string();
            if !out.versions.contains(&v) {
                out.versions.push(v);
            }
        }
    }
    // Lifecycle of each version (routes/<version>/version.toml).
    let mut version_specs: BTreeMap<String, LifecycleSpec> = BTreeMap::new();
    let mut version_settings: BTreeMap<String, LifecycleSettings> = BTreeMap::new();
    for f in others.iter().filter(|f| f.path.ends_with("/version.toml")) {
        let Some(prefix) = version_prefix(&f.path, &mut errors) else {
            continue;
        };
        let v = prefix[1..].to_string();
        if let Some(spec) = parse_file::<LifecycleSpec>(f, &mut errors) {
            match lifecycle::parse(&spec, &v, &out.versions) {
                Ok(settings) => {
                    version_settings.insert(v.clone(), settings);
                }
                Err(found) => errors.extend(found.into_iter().map(|e| format!("{}: {e}", f.path))),
            }
            version_specs.insert(v, spec);
        }
    }
    for (v, settings) in &version_settings {
        if let Err(e) = lifecycle::check_successor_outlives(v, settings, &version_settings) {
            errors.push(format!("routes/{v}/version.toml: {e}"));
        }
    }
    if let Some(spec) = &gateway.gateway.versioning {
        let found = lifecycle::check_versioning(spec, &out.versions);
        errors.extend(found.into_iter().map(|e| format!("{gateway_path}: {e}")));
    }
    out.versioning = gateway.gateway.versioning;
    // The protos' google.api.http bindings, read once when a file has `[[grpc_routes]]`.
    let mut bindings: Option<Vec<super::protos::HttpBinding>> = None;
    for f in others.iter().filter(|f| !f.path.ends_with("/version.toml")) {
        let Some(prefix) = version_prefix(&f.path, &mut errors) else {
            continue;
        };
        if let Some(rf) = parse_file::<RoutesFile>(f, &mut errors) {
            raw_routes.extend(
                rf.route
                    .into_iter()
                    .map(|r| (f.path.clone(), prefix.clone(), r)),
            );
            for raw in rf.grpc_routes {
                let spec = match super::grpc::GrpcRoutesSpec::deserialize(raw) {
                    Ok(s) => s,
                    Err(e) => {
                        errors.push(format!(
                            "{}: grpc_routes: {}",
                            f.path,
                            clean(&e.to_string())
                        ));
                        continue;
                    }
                };
                let bindings =
                    bindings.get_or_insert_with(|| super::protos::http_bindings(&proto_files));
                match super::grpc::generate(&spec, bindings) {
                    Ok(routes) => raw_routes.extend(
                        routes
                            .into_iter()
                            .map(|r| (f.path.clone(), prefix.clone(), r)),
                    ),
                    Err(found) => {
                        errors.extend(found.into_iter().map(|e| format!("{}: {e}", f.path)))
                    }
                }
            }
        }
    }

    let mut route_ids: HashMap<String, String> = HashMap::new();
    for (file, prefix, raw) in raw_routes {
        let id = raw
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or("<no id>")
            .to_string();
        let ctx = format!("{file}: route \"{id}\"");
        let spec = match RouteSpec::deserialize(raw) {
            Ok(s) => s,
            Err(e) => {
                errors.push(format!("{ctx}: {}", clean(&e.to_string())));
                continue;
            }
        };
        if let Some(first) = route_ids.get(&spec.id) {
            errors.push(format!(
                "{ctx}: duplicate route id (first defined in {first})"
            ));
            continue;
        }
        route_ids.insert(spec.id.clone(), file.clone());
        let version_spec = version_specs
            .get(prefix.trim_start_matches('/'))
            .cloned()
            .unwrap_or_default();
        if let Some(route) = check_route(
            spec,
            &file,
            &prefix,
            &version_spec,
            &ctx,
            &upstream_index,
            &policy_index,
            &mut out,
            &mut errors,
        ) {
            out.routes.push(route);
        }
    }
    // A successor link points at the same path in the successor version, when it has one.
    let present: Vec<(String, String)> = out
        .routes
        .iter()
        .map(|r| (r.version.clone(), r.local_path.clone()))
        .collect();
    for r in &mut out.routes {
        let keep = r
            .lifecycle
            .successor
            .as_ref()
            .is_some_and(|next| present.iter().any(|(v, p)| v == next && *p == r.local_path));
        if !keep {
            r.lifecycle.successor = None;
        }
    }

    shadowed_paths(&out, &mut errors);
    group_paths(&mut out, &mut errors);

    // The runtime tables index routes, policies and upstreams with u16.
    for (what, n) in [
        ("routes", out.routes.len()),
        ("policies", out.policies.len()),
        ("upstreams", out.upstreams.len()),
    ] {
        if n > u16::MAX as usize {
            errors.push(format!(
                "routes/: {n} {what} defined; the limit is {}",
                u16::MAX
            ));
        }
    }

    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn parse_file<T: for<'de> Deserialize<'de>>(f: &SourceFile, errors: &mut Vec<String>) -> Option<T> {
    match toml::from_str::<T>(&f.text) {
        Ok(v) => Some(v),
        Err(e) => {
            let place = e.span().map(|s| {
                let line = f.text[..s.start].matches('\n').count() + 1;
                // In characters, as editors count them (and `locate` reads them back).
                let line_start = f.text[..s.start].rfind('\n').map_or(0, |i| i + 1);
                let col = f.text[line_start..s.start].chars().count() + 1;
                format!("line {line}, column {col}: ")
            });
            let mut message = clean(e.message());
            if message.is_empty() {
                // toml says nothing for some characters (a bare carriage return): name it.
                let c = e.span().and_then(|s| f.text.get(s.start..)?.chars().next());
                message = match c {
                    Some('\r') => "a carriage return must be followed by a newline".into(),
                    Some(c) if c.is_control() => {
                        format!("control character U+{:04X} is not allowed here", c as u32)
                    }
                    Some(c) => format!("unexpected character {c:?}"),
                    None => "unexpected end of file".into(),
                };
            }
            errors.push(format!(
                "{}: {}{message}",
                f.path,
                place.unwrap_or_default(),
            ));
            None
        }
    }
}

/// `routes/v1/users.toml` -> `/v1`. Anything else under routes/ is an error.
fn version_prefix(path: &str, errors: &mut Vec<String>) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["routes", version, file] if file.ends_with(".toml") => {
            let ok = !version.is_empty()
                && version.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'-'
                        || b == b'.'
                        || b == b'_'
                })
                && !version.starts_with('.');
            if ok {
                Some(format!("/{version}"))
            } else {
                errors.push(format!(
                    "{path}: version folder \"{version}\" must use a-z, 0-9, '.', '-' and '_' (it becomes the path prefix)"
                ));
                None
            }
        }
        _ => {
            errors.push(format!(
                "{path}: unexpected file: routes/ holds gateway.toml and <version>/<name>.toml files only"
            ));
            None
        }
    }
}

/// The route's upstream index, once its policies are known: an llm route has none of its own
/// (`upstream` is `usize::MAX` then; the first model's provider stands in, never called by
/// the route itself), and no other route may name a provider upstream, directly or as a
/// fan-out part: only `llm` policies speak to providers.
fn route_upstream(
    upstream: usize,
    spec: &RouteSpec,
    fan_out: &Option<CheckedFanOut>,
    chain: &[usize],
    out: &Checked,
    ctx: &str,
    errors: &mut Vec<String>,
) -> usize {
    let llm = chain.iter().find_map(|&i| match &out.policies[i].settings {
        Settings::Llm(l) => Some(l),
        _ => None,
    });
    let is_provider = |i: usize| out.upstreams.get(i).is_some_and(|u| u.provider.is_some());
    if let Some(l) = llm {
        if spec.upstream.is_some() || fan_out.is_some() {
            errors.push(format!(
                "{ctx}: a route with an llm policy sets no upstream or fan_out: its models name the providers"
            ));
        }
        if !(spec.path.ends_with("/chat/completions") || spec.path.ends_with("/embeddings")) {
            errors.push(format!(
                "{ctx}: path \"{}\": a route with an llm policy ends in /chat/completions or /embeddings (OpenAI's API)",
                spec.path
            ));
        }
        if spec.grpc.is_some() || spec.graphql.is_some() {
            errors.push(format!(
                "{ctx}: a route with an llm policy has no grpc or graphql call"
            ));
        }
        return l
            .targets
            .iter()
            .find_map(|(_, t)| t.first())
            .map_or(0, |(u, _)| usize::from(*u));
    }
    if upstream == usize::MAX {
        errors.push(format!("{ctx}: missing key `upstream` (or fan_out parts)"));
        return 0;
    }
    let parts = fan_out
        .iter()
        .flat_map(|f| f.parts.iter().map(|p| p.upstream));
    if let Some(i) = std::iter::once(upstream)
        .chain(parts)
        .find(|&i| is_provider(i))
    {
        errors.push(format!(
            "{ctx}: upstream \"{}\" is an LLM provider: only an llm policy's models reach it",
            out.upstreams[i].name
        ));
    }
    upstream
}

#[allow(clippy::too_many_arguments)]
fn check_route(
    spec: RouteSpec,
    file: &str,
    prefix: &str,
    version_spec: &LifecycleSpec,
    ctx: &str,
    upstreams: &HashMap<String, usize>,
    named_policies: &kinds::PolicyIndex,
    out: &mut Checked,
    errors: &mut Vec<String>,
) -> Option<CheckedRoute> {
    let before = errors.len();
    if !is_route_id(&spec.id) {
        errors.push(format!(
            "{ctx}: route ids use letters, digits, '-', '_' and '.'"
        ));
    }
    if let Err(e) = check_route_path(&spec.path) {
        errors.push(format!("{ctx}: path \"{}\": {e}", spec.path));
    }
    let version = prefix.trim_start_matches('/').to_string();
    let merged = lifecycle::merge(version_spec, &spec.lifecycle());
    let lifecycle = match lifecycle::parse(&merged, &version, &out.versions) {
        Ok(l) => l,
        Err(found) => {
            errors.extend(found.into_iter().map(|e| format!("{ctx}: {e}")));
            LifecycleSettings::default()
        }
    };
    if version.is_empty() && (merged.deprecated.is_some() || merged.sunset.is_some()) {
        errors.push(format!(
            "{ctx}: deprecated and sunset apply to versioned routes (routes/<version>/)"
        ));
    }
    let path = if spec.path == "/" && !prefix.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}{}", spec.path)
    };

    if spec.methods.is_empty() {
        errors.push(format!("{ctx}: methods must list at least one method"));
    }
    let mut methods: Vec<String> = Vec::new();
    for m in &spec.methods {
        if !METHODS.contains(&m.as_str()) {
            let hint = if METHODS.contains(&m.to_ascii_uppercase().as_str()) {
                " (methods are upper-case)".to_string()
            } else {
                format!(" (allowed: {})", METHODS.join(", "))
            };
            errors.push(format!("{ctx}: unknown method \"{m}\"{hint}"));
        } else if methods.contains(m) {
            errors.push(format!("{ctx}: method \"{m}\" is listed twice"));
        } else {
            methods.push(m.clone());
        }
    }
    if methods.iter().any(|m| m == "GET") && !methods.iter().any(|m| m == "HEAD") {
        methods.push("HEAD".to_string());
    }

    let host = spec.host.as_ref().map(|h| h.to_ascii_lowercase());
    if let Some(h) = &host {
        let ok = !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && !h.starts_with('.')
            && !h.ends_with('.');
        if !ok {
            errors.push(format!(
                "{ctx}: host \"{h}\" must be a plain host name without port or scheme"
            ));
        }
    }

    let fan_out = (!spec.fan_out.is_empty()).then(|| {
        let params = path_params(&spec.path);
        let mut part_errors = Vec::new();
        let f = fan_out::parse(
            &spec.fan_out,
            spec.on_partial.as_deref(),
            &params,
            upstreams,
            &mut part_errors,
        );
        errors.extend(part_errors.into_iter().map(|e| format!("{ctx}: {e}")));
        if spec.methods.iter().any(|m| m != "GET" && m != "HEAD") {
            errors.push(format!("{ctx}: a fan_out route serves GET (and HEAD) only"));
        }
        f
    });
    if spec.on_partial.is_some() && fan_out.is_none() {
        errors.push(format!("{ctx}: on_partial is only used with fan_out"));
    }
    let upstream = match (&spec.upstream, &fan_out) {
        (Some(name), None) => match upstreams.get(name) {
            Some(&i) => i,
            None => {
                errors.push(format!(
                    "{ctx}: upstream \"{name}\" is not defined in routes/gateway.toml [upstreams]"
                ));
                0
            }
        },
        (None, Some(f)) => f.parts.first().map_or(0, |p| p.upstream),
        (Some(_), Some(_)) => {
            errors.push(format!("{ctx}: set upstream or fan_out, not both"));
            0
        }
        // An llm route's upstreams are its models' providers (checked with its policies).
        (None, None) => usize::MAX,
    };

    let rewrite = match spec
        .rewrite
        .as_deref()
        .map(|r| parse_rewrite(r, &spec.path))
    {
        None => None,
        Some(Ok(parts)) => Some(parts),
        Some(Err(e)) => {
            errors.push(format!(
                "{ctx}: rewrite \"{}\": {e}",
                spec.rewrite.as_deref().unwrap_or("")
            ));
            None
        }
    };

    let mut policies = Vec::new();
    // A named policy that failed its own check: this route is not checked further, so its
    // chain's rules (`require` needs authentication first, ...) do not report that mistake again.
    let mut names_broken_policy = false;
    for (n, p) in spec.policies.iter().enumerate() {
        match p {
            PolicyRef::Named(name) => match named_policies.get(name) {
                Some(Some(i)) => policies.push(*i),
                Some(None) => names_broken_policy = true,
                None => errors.push(format!(
                    "{ctx}: policy \"{name}\" is not defined in routes/gateway.toml [policies]"
                )),
            },
            PolicyRef::Inline(raw) => {
                let pctx = format!("{ctx}: policy #{}", n + 1);
                if let Some(mut policy) =
                    check_policy(raw, &pctx, &out.plans, &out.documents, errors)
                {
                    if let Settings::Llm(l) = &mut policy {
                        l.resolve(&pctx, &out.upstreams, errors);
                    }
                    let members =
                        Settings::members(&policy, &pctx, named_policies, &out.policies, errors);
                    policies.push(out.policies.len());
                    let name = format!("{}#{}", spec.id, n + 1);
                    out.policies.push(CheckedPolicy {
                        name,
                        settings: policy,
                        members,
                    });
                }
            }
        }
    }
    if names_broken_policy {
        return None;
    }

    // `require`, and rate limits keyed by consumer or claim, judge an identity, so an
    // authentication policy must run before them.
    // A rate limit keyed by operation needs a policy before it that names the operation.
    let mut authenticated = false;
    let mut operation = false;
    for &i in out.default_policies.iter().chain(&policies) {
        let settings = &out.policies[i].settings;
        authenticated |= settings.authenticates();
        if settings.needs_operation() && !operation {
            errors.push(format!(
                "{ctx}: policy \"{}\" (rate_limit keyed by operation) needs a graphql policy before it",
                out.policies[i].name
            ));
        }
        operation |= settings.names_operation();
        let needs = settings.needs_identity();
        if let (Some(what), false) = (needs, authenticated) {
            errors.push(format!(
                "{ctx}: policy \"{}\" ({what}) needs an authentication policy (jwt, api_key, mtls or any) before it",
                out.policies[i].name
            ));
        }
    }

    let conditions = conditions(spec.match_on.as_ref(), ctx, errors);
    let limits = match spec.limits.as_ref().map(CheckedLimits::parse) {
        None => out.limits.clone(),
        Some(Ok(l)) => l.over(&out.limits),
        Some(Err(es)) => {
            errors.extend(es.into_iter().map(|e| format!("{ctx}: {e}")));
            CheckedLimits::default()
        }
    };
    let chain: Vec<usize> = out
        .default_policies
        .iter()
        .chain(&policies)
        .copied()
        .collect();
    let upstream = route_upstream(upstream, &spec, &fan_out, &chain, out, ctx, errors);
    kinds::check_placement(
        &Placement {
            chain: &chain,
            all: &out.policies,
            methods: &methods,
            websocket: spec.websocket,
            fan_out: fan_out.as_ref(),
            ctx,
        },
        errors,
    );

    let log = match spec.log.as_ref().map(log_mode) {
        None => None,
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            errors.push(format!("{ctx}: log: {e}"));
            None
        }
    };
    let mut schema = |key: &str, file: &Option<String>| -> Option<usize> {
        let file = file.as_ref()?;
        let full = format!("routes/{file}");
        let found = out.schemas.iter().position(|c| c.file == full);
        if found.is_none() && !errors.iter().any(|e| e.starts_with(&full)) {
            errors.push(format!(
                "{ctx}: {key} \"{file}\": no such schema file (routes/schemas/<name>.json)"
            ));
        }
        found
    };
    let body_schema = schema("body_schema", &spec.body_schema);
    let query_schema = schema("query_schema", &spec.query_schema);
    if body_schema.is_some()
        && !methods
            .iter()
            .any(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH"))
    {
        errors.push(format!(
            "{ctx}: body_schema needs a method with a body (POST, PUT or PATCH)"
        ));
    }
    if body_schema.is_some() && fan_out.is_some() {
        errors.push(format!("{ctx}: body_schema cannot be used with fan_out"));
    }
    // The query parameters the gateway reads on this route (credentials, the version): a
    // gRPC or GraphQL call never binds them.
    let gateway_query = {
        let mut chain: Vec<usize> = out.default_policies.clone();
        chain.extend(&policies);
        let mut names: Vec<String> = Vec::new();
        while let Some(i) = chain.pop() {
            let p = &out.policies[i];
            chain.extend(&p.members);
            names.extend(p.settings.credential_query().map(str::to_string));
        }
        names.extend(out.versioning.as_ref().and_then(|v| v.query.clone()));
        names.sort();
        names.dedup();
        super::leak::strs(&names)
    };
    let graphql = match &spec.graphql {
        None => None,
        Some(g) => match super::graphql_call::parse(g, &out.documents) {
            Ok(checked) => {
                let mut call = checked.call;
                call.gateway_query = gateway_query;
                for param in path_params(&spec.path) {
                    if !call.variables.iter().any(|v| v.name == param) {
                        errors.push(format!(
                            "{ctx}: path parameter {{{param}}} is not a variable of the operation"
                        ));
                    }
                    if call.claims.iter().any(|(v, _)| *v == param) {
                        errors.push(format!(
                            "{ctx}: path parameter {{{param}}} is set from a claim (graphql.claims)"
                        ));
                    }
                }
                let authenticated = out
                    .default_policies
                    .iter()
                    .chain(&policies)
                    .any(|&i| out.policies[i].settings.authenticates());
                if !call.claims.is_empty() && !authenticated {
                    errors.push(format!(
                        "{ctx}: graphql.claims needs an authentication policy (jwt, api_key, mtls or any) on the route"
                    ));
                }
                // PUT and DELETE would be retried as idempotent: a mutation may run once only.
                if checked.mutation && methods.iter().any(|m| m != "POST" && m != "PATCH") {
                    errors.push(format!(
                        "{ctx}: graphql.operation is a mutation: serve it with POST or PATCH only (other methods may be cached or retried)"
                    ));
                }
                let shared_cache =
                    out.default_policies.iter().chain(&policies).any(
                        |&i| matches!(&out.policies[i].settings, Settings::Cache(c) if c.shared),
                    );
                if !call.claims.is_empty() && shared_cache {
                    errors.push(format!(
                        "{ctx}: graphql.claims makes each caller's answer their own: a cache on the route cannot be shared"
                    ));
                }
                let conflicts = [
                    (fan_out.is_some(), "fan_out"),
                    (spec.grpc.is_some(), "grpc"),
                    (spec.websocket, "websocket"),
                ];
                for (set, key) in conflicts {
                    if set {
                        errors.push(format!("{ctx}: graphql cannot be used with {key}"));
                    }
                }
                Some(call)
            }
            Err(e) => {
                errors.push(format!("{ctx}: {e}"));
                None
            }
        },
    };
    let grpc = match &spec.grpc {
        None => None,
        Some(g) => match super::grpc::parse(g, &out.protos) {
            Ok(mut call) => {
                call.gateway_query = gateway_query;
                let edits_answer = out.default_policies.iter().chain(&policies).any(|&i| {
                    matches!(&out.policies[i].settings, Settings::Transform(t) if t.edits_response())
                });
                if call.server_streaming && edits_answer {
                    errors.push(format!(
                        "{ctx}: grpc.method streams: a transform cannot edit its answer (NDJSON or server-sent events)"
                    ));
                }
                for param in path_params(&spec.path) {
                    if let Err(e) = super::grpc::field_path(&out.protos, call.input, &param) {
                        errors.push(format!("{ctx}: path parameter {{{param}}}: {e}"));
                    }
                }
                let conflicts = [
                    (fan_out.is_some(), "fan_out"),
                    (rewrite.is_some(), "rewrite"),
                    (spec.websocket, "websocket"),
                    (
                        body_schema.is_some(),
                        "body_schema (the message is the schema)",
                    ),
                ];
                for (set, key) in conflicts {
                    if set {
                        errors.push(format!("{ctx}: grpc cannot be used with {key}"));
                    }
                }
                Some(call)
            }
            Err(e) => {
                errors.push(format!("{ctx}: {e}"));
                None
            }
        },
    };
    for t in &spec.tags {
        if t.trim().is_empty() {
            errors.push(format!("{ctx}: tags: a tag cannot be empty"));
        }
    }
    (errors.len() == before).then(|| CheckedRoute {
        id: spec.id,
        file: file.to_string(),
        path,
        methods,
        host,
        upstream,
        rewrite,
        policies,
        websocket: spec.websocket,
        allow_double_encoding: spec.allow_double_encoding,
        retry_unsafe: spec.retry_non_idempotent,
        conditions,
        limits,
        fan_out,
        grpc,
        graphql,
        version,
        local_path: spec.path,
        lifecycle,
        summary: spec.summary,
        description: spec.description,
        tags: spec.tags,
        body_schema,
        query_schema,
        log,
    })
}

/// A route's `match` condition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Condition {
    /// (lower-case name, value)
    Header(String, String),
    Query(String, String),
}

impl Condition {
    fn key(&self) -> (bool, &str) {
        match self {
            Condition::Header(n, _) => (true, n),
            Condition::Query(n, _) => (false, n),
        }
    }
}

/// Checks a route's `match` table: header names are tokens (compared lower-case), values are
/// visible ASCII without surrounding spaces; query names are non-empty.
fn conditions(spec: Option<&MatchSpec>, ctx: &str, errors: &mut Vec<String>) -> Vec<Condition> {
    let Some(spec) = spec else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let value_ok =
        |v: &str| !v.is_empty() && v.trim() == v && v.bytes().all(|b| (0x20..0x7f).contains(&b));
    for (name, value) in &spec.headers {
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            errors.push(format!(
                "{ctx}: match.headers: \"{name}\" is not a header name"
            ));
        } else if !value_ok(value) {
            errors.push(format!(
                "{ctx}: match.headers.{name}: the value must be visible ASCII without surrounding spaces"
            ));
        } else {
            out.push(Condition::Header(name.to_ascii_lowercase(), value.clone()));
        }
    }
    for (name, value) in &spec.query {
        if name.is_empty() || !value_ok(name) || name.contains(['&', '=']) {
            errors.push(format!(
                "{ctx}: match.query: \"{name}\" is not a parameter name"
            ));
        } else if value.contains('&') || !value.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            errors.push(format!(
                "{ctx}: match.query.{name}: the value must be visible ASCII, as sent (percent-encoded), without '&'"
            ));
        } else {
            out.push(Condition::Query(name.clone(), value.clone()));
        }
    }
    if spec.headers.is_empty() && spec.query.is_empty() {
        errors.push(format!("{ctx}: match: set headers, query or both"));
    }
    out.sort();
    out
}

/// Whether some request could meet both condition sets and neither route is the more
/// specific: no name has different values in the two, and neither set strictly contains the
/// other.
fn could_both_match(a: &[Condition], b: &[Condition]) -> bool {
    let contradict = a
        .iter()
        .any(|x| b.iter().any(|y| x.key() == y.key() && x != y));
    let a_in_b = a.iter().all(|x| b.contains(x));
    let b_in_a = b.iter().all(|y| a.contains(y));
    !contradict && (a_in_b == b_in_a)
}

fn check_policy(
    raw: &toml::Value,
    ctx: &str,
    plans: &[String],
    documents: &[(String, String)],
    errors: &mut Vec<String>,
) -> Option<Settings> {
    if raw.get("kind").is_none() {
        errors.push(format!("{ctx}: missing key `kind`"));
        return None;
    }
    let spec = match PolicySpec::deserialize(raw.clone()) {
        Ok(s) => s,
        Err(e) => {
            errors.push(format!("{ctx}: {}", clean(&e.to_string())));
            return None;
        }
    };
    match Settings::parse(&spec, plans, documents) {
        Ok(settings) => Some(settings),
        Err(found) => {
            errors.extend(found.into_iter().map(|e| format!("{ctx}: {e}")));
            None
        }
    }
}

/// A route path must already be in the form the runtime normalises requests to, or it could
/// never match: starts with `/`, no empty, `.` or `..` segments, no trailing slash, no
/// percent-escapes, only characters valid in a URL path.
fn check_route_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err("must start with '/'".into());
    }
    if path == "/" {
        return Ok(());
    }
    if path.ends_with('/') {
        return Err("must not end with '/' (requests are matched without trailing slashes)".into());
    }
    for seg in path[1..].split('/') {
        if seg.is_empty() {
            return Err("must not contain '//'".into());
        }
        if seg == "." || seg == ".." {
            return Err("must not contain '.' or '..' segments".into());
        }
    }
    if let Some(c) = path
        .chars()
        .find(|&c| !(is_path_char(c) || c == '{' || c == '}'))
    {
        return Err(format!(
            "character '{c}' is not allowed (use plain, unescaped characters)"
        ));
    }
    let mut probe = matchit::Router::new();
    probe.insert(path, ()).map_err(|e| e.to_string())
}

fn path_params(path: &str) -> Vec<String> {
    let mut params = Vec::new();
    let mut rest = path;
    while let Some(s) = rest.find('{') {
        let Some(e) = rest[s..].find('}') else { break };
        params.push(rest[s + 1..s + e].trim_start_matches('*').to_string());
        rest = &rest[s + e + 1..];
    }
    params
}

fn parse_rewrite(rewrite: &str, route_path: &str) -> Result<Vec<RewritePart>, String> {
    if !rewrite.starts_with('/') {
        return Err("must start with '/'".into());
    }
    let params = path_params(route_path);
    let mut parts = Vec::new();
    let mut rest = rewrite;
    while !rest.is_empty() {
        match rest.find('{') {
            Some(0) => {
                let end = rest.find('}').ok_or("unclosed '{'")?;
                let name = rest[1..end].trim_start_matches('*');
                if !params.iter().any(|p| p == name) {
                    return Err(format!("{{{name}}} is not a parameter of the route path"));
                }
                parts.push(RewritePart::Param(name.to_string()));
                rest = &rest[end + 1..];
            }
            found => {
                let end = found.unwrap_or(rest.len());
                let lit = &rest[..end];
                if let Some(c) = lit.chars().find(|&c| !is_path_char(c)) {
                    return Err(format!("character '{c}' is not allowed"));
                }
                parts.push(RewritePart::Lit(lit.to_string()));
                rest = &rest[end..];
            }
        }
    }
    Ok(parts)
}

/// Groups routes by public path and inserts each distinct path into a matchit router, so
/// conflicting paths fail here exactly as they would at runtime.
fn group_paths(out: &mut Checked, errors: &mut Vec<String>) {
    let mut by_path: BTreeMap<&str, usize> = BTreeMap::new();
    let mut router = matchit::Router::new();
    let mut owners: HashMap<String, usize> = HashMap::new();
    for (i, r) in out.routes.iter().enumerate() {
        if let Some(&g) = by_path.get(r.path.as_str()) {
            for &other in &out.paths[g].1 {
                let o = &out.routes[other];
                let shared: Vec<&String> =
                    r.methods.iter().filter(|m| o.methods.contains(m)).collect();
                if o.host != r.host || shared.is_empty() {
                    continue;
                }
                if r.conditions.is_empty() && o.conditions.is_empty() {
                    errors.push(format!(
                        "{}: route \"{}\": {} {} is already served by route \"{}\" ({})",
                        r.file, r.id, shared[0], r.path, o.id, o.file
                    ));
                } else if could_both_match(&r.conditions, &o.conditions) {
                    errors.push(format!(
                        "{}: route \"{}\": {} {} could match the same requests as route \"{}\" ({}): give one a match value the other contradicts, or all of the other's conditions and more",
                        r.file, r.id, shared[0], r.path, o.id, o.file
                    ));
                }
            }
            out.paths[g].1.push(i);
            continue;
        }
        match router.insert(r.path.clone(), ()) {
            Ok(()) => {
                by_path.insert(&r.path, out.paths.len());
                owners.insert(r.path.clone(), i);
                out.paths.push((r.path.clone(), vec![i]));
            }
            Err(matchit::InsertError::Conflict { with }) => {
                let other = owners.get(&with).map(|&o| &out.routes[o]);
                let who = other
                    .map(|o| format!(" (route \"{}\" in {})", o.id, o.file))
                    .unwrap_or_default();
                errors.push(format!(
                    "{}: route \"{}\": path \"{}\" conflicts with \"{with}\"{who}",
                    r.file, r.id, r.path
                ));
            }
            Err(e) => errors.push(format!(
                "{}: route \"{}\": path \"{}\": {e}",
                r.file, r.id, r.path
            )),
        }
    }
}

/// `[gateway] docs`: the title defaults to "Gatehouse API"; the portal to "/docs" (a path
/// that starts with `/` and is not under `/__gatehouse/`), or none with `portal = false`.
fn docs(spec: &super::schema::DocsSpec, errors: &mut Vec<String>) -> CheckedDocs {
    let portal = match &spec.portal {
        None => Some("/docs".to_string()),
        Some(toml::Value::Boolean(false)) => None,
        Some(toml::Value::String(p))
            if p.starts_with('/')
                && !p.starts_with("/__gatehouse")
                && p.len() > 1
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b)) =>
        {
            Some(p.clone())
        }
        Some(other) => {
            errors.push(format!(
                "routes/gateway.toml: gateway.docs.portal: a path like \"/docs\" (not under /__gatehouse/) or false, not {other}"
            ));
            None
        }
    };
    CheckedDocs {
        title: spec.title.clone().unwrap_or_else(|| "Gatehouse API".into()),
        description: spec.description.clone(),
        portal,
    }
}

/// `log = "all" | "errors" | { sample = 0.1 }` as a `LogMode` expression.
fn log_mode(v: &toml::Value) -> Result<LogMode, String> {
    match v {
        toml::Value::String(s) if s == "all" => Ok(LogMode::All),
        toml::Value::String(s) if s == "errors" => Ok(LogMode::Errors),
        toml::Value::Table(t) if t.len() == 1 => match t.get("sample") {
            Some(toml::Value::Float(f)) if *f > 0.0 && *f <= 1.0 => Ok(LogMode::Sample(*f)),
            Some(toml::Value::Integer(1)) => Ok(LogMode::All),
            _ => Err(
                "sample: a share of requests above 0 and at most 1, e.g. { sample = 0.1 }".into(),
            ),
        },
        other => Err(format!(
            "\"all\", \"errors\" or {{ sample = 0.1 }}, not {other}"
        )),
    }
}

/// `[gateway] gc_pace_slots`: a whole number from [`gc_pace::OFF`] to [`gc_pace::MAX`].
fn gc_pace_slots(v: &toml::Value) -> Result<u32, String> {
    match v {
        toml::Value::Integer(n) if (0..=i64::from(gc_pace::MAX)).contains(n) => Ok(*n as u32),
        other => Err(format!(
            "a whole number of slots from {} (off) to {}, not {other}",
            gc_pace::OFF,
            gc_pace::MAX
        )),
    }
}

/// Routes at paths the gateway answers itself fail the build: the OpenAPI documents
/// (`/openapi.json`, `/<version>/openapi.json`), the portal and its assets, and `/__gatehouse/`.
fn shadowed_paths(out: &Checked, errors: &mut Vec<String>) {
    for r in &out.routes {
        let document = r.path == "/openapi.json"
            || out
                .versions
                .iter()
                .any(|v| r.path == format!("/{v}/openapi.json"));
        let portal = out
            .docs
            .portal
            .as_deref()
            .is_some_and(|p| r.path == p || r.path.starts_with(&format!("{p}/")));
        if document || portal || r.path.starts_with("/__gatehouse/") {
            errors.push(format!(
                "{}: route \"{}\": path \"{}\" is answered by the gateway itself (OpenAPI documents, the portal or the admin API)",
                r.file, r.id, r.path
            ));
        }
    }
}
