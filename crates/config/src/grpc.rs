//! A route's `grpc = { service = "pkg.Service", method = "Get", protocol = "grpc-web" }`: the
//! unary method of `routes/protos/` its requests call, translated from and to JSON.

use crate::leak;
use crate::protos::HttpBinding;
use crate::table::proto::{BodyRule, Cardinality, GrpcCall, Kind, Protocol, Protos};
use serde::Deserialize;

/// `grpc = { ... }` as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrpcSpec {
    pub service: String,
    pub method: String,
    /// `"grpc-web"` (the default) or `"connect"`.
    #[schemars(extend("enum" = ["grpc-web", "connect"]))]
    pub protocol: Option<String>,
    /// What the request body is: `"*"` (the message, the default), a field's name (that
    /// field's value), or `false` (not read).
    pub body: Option<BodySpec>,
    /// The output field answered instead of the whole message.
    pub response_body: Option<String>,
    /// Trailing metadata sent on to the client as response headers.
    #[serde(default)]
    pub trailers: Vec<String>,
}

/// `body = "*" | "<field>" | false`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum BodySpec {
    Read(bool),
    Field(String),
}

/// `[[grpc_routes]]` in a route file: a route for each `google.api.http` binding of the
/// service's methods (paths under the file's version).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrpcRoutesSpec {
    pub service: String,
    pub upstream: String,
    #[schemars(extend("enum" = ["grpc-web", "connect"]))]
    pub protocol: Option<String>,
    /// Policies every generated route runs (as a route's `policies`).
    #[serde(default)]
    #[schemars(with = "Vec<crate::schema::PolicyRef>")]
    pub policies: Vec<toml::Value>,
    /// The generated routes' ids start with this (default: the service's name, lower-cased).
    pub id_prefix: Option<String>,
}

/// The `[[route]]` tables for `spec`'s bindings (as if written by hand), or why not.
pub fn generate(
    spec: &GrpcRoutesSpec,
    bindings: &[HttpBinding],
) -> Result<Vec<toml::Value>, Vec<String>> {
    let ours: Vec<&HttpBinding> = bindings
        .iter()
        .filter(|b| b.service == spec.service)
        .collect();
    if ours.is_empty() {
        return Err(vec![format!(
            "grpc_routes: service \"{}\" has no method with a google.api.http option in routes/protos/",
            spec.service
        )]);
    }
    let prefix = spec.id_prefix.clone().unwrap_or_else(|| {
        spec.service
            .rsplit('.')
            .next()
            .unwrap_or(&spec.service)
            .to_ascii_lowercase()
    });
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for b in ours {
        let ctx = format!(
            "grpc_routes: {}.{} ({} {})",
            b.service, b.method, b.verb, b.path
        );
        if !matches!(b.verb.as_str(), "GET" | "PUT" | "POST" | "DELETE" | "PATCH") {
            errors.push(format!("{ctx}: custom method {} is not supported", b.verb));
            continue;
        }
        let path = match route_path(&b.path) {
            Ok(p) => p,
            Err(e) => {
                errors.push(format!("{ctx}: {e}"));
                continue;
            }
        };
        let base = format!("{prefix}-{}", kebab(&b.method));
        let n = seen.iter().filter(|s| **s == base).count();
        seen.push(base.clone());
        let id = if n == 0 {
            base
        } else {
            format!("{base}-{}", n + 1)
        };
        let mut grpc = toml::map::Map::new();
        grpc.insert("service".into(), b.service.clone().into());
        grpc.insert("method".into(), b.method.clone().into());
        if let Some(p) = &spec.protocol {
            grpc.insert("protocol".into(), p.clone().into());
        }
        grpc.insert(
            "body".into(),
            match b.body.as_str() {
                "" => toml::Value::Boolean(false),
                other => other.into(),
            },
        );
        if !b.response_body.is_empty() {
            grpc.insert("response_body".into(), b.response_body.clone().into());
        }
        let mut route = toml::map::Map::new();
        route.insert("id".into(), id.into());
        route.insert(
            "methods".into(),
            toml::Value::Array(vec![b.verb.clone().into()]),
        );
        route.insert("path".into(), path.into());
        route.insert("upstream".into(), spec.upstream.clone().into());
        route.insert("grpc".into(), toml::Value::Table(grpc));
        route.insert("policies".into(), toml::Value::Array(spec.policies.clone()));
        route.insert(
            "summary".into(),
            format!("{}.{}", b.service, b.method).into(),
        );
        out.push(toml::Value::Table(route));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// An HTTP rule's path template as a route path: `{field}` and `{field=*}` are one segment,
/// `{field=**}` (last only) the rest of the path. Other patterns and custom verbs (`:verb`)
/// are not supported.
pub fn route_path(template: &str) -> Result<String, String> {
    if !template.starts_with('/') {
        return Err("the path must start with '/'".into());
    }
    // Segments split on '/' outside braces (a variable's pattern may hold '/').
    let mut segments = Vec::new();
    let (mut depth, mut start) = (0, 1);
    for (i, c) in template.char_indices().skip(1) {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            '/' if depth == 0 => {
                segments.push(&template[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    segments.push(&template[start..]);
    let mut out = String::new();
    for (i, seg) in segments.iter().enumerate() {
        out.push('/');
        let last = i + 1 == segments.len();
        if let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let (field, pattern) = inner.split_once('=').unwrap_or((inner, "*"));
            match pattern {
                "*" => out.push_str(&format!("{{{field}}}")),
                "**" if last => out.push_str(&format!("{{*{field}}}")),
                _ => return Err(format!("the variable {{{inner}}} is not supported (use {{field}}, or {{field=**}} at the end)")),
            }
        } else if seg.contains(':') || seg.contains('{') || seg.contains('*') {
            return Err(format!(
                "the segment \"{seg}\" is not supported (wildcards, and custom verbs after ':')"
            ));
        } else {
            out.push_str(seg);
        }
    }
    Ok(out)
}

/// `GetBook` as `get-book`.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Checks that `path` (`field` or `outer.inner`, by JSON or proto name) names a field of
/// message `message` that a path parameter can set (not a map, a repeated field or a
/// message).
pub fn field_path(protos: &Protos, message: u16, path: &str) -> Result<(), String> {
    let mut m = message;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let msg = &protos.messages[usize::from(m)];
        let f = msg
            .fields
            .iter()
            .find(|f| f.json_name == part || f.name == part)
            .ok_or_else(|| format!("\"{part}\" is not a field of {}", msg.name))?;
        match (parts.peek(), f.kind, f.cardinality) {
            (_, _, Cardinality::Map { .. }) => return Err(format!("\"{part}\" is a map")),
            (_, _, Cardinality::Repeated { .. }) => {
                return Err(format!("\"{part}\" is a repeated field"))
            }
            (Some(_), Kind::Message(inner), Cardinality::Single) => m = inner,
            (Some(_), _, _) => return Err(format!("\"{part}\" is not a message field")),
            (None, Kind::Message(inner), _)
                if protos.messages[usize::from(inner)].wkt.is_none() =>
            {
                return Err(format!("\"{part}\" is a message: name one of its fields"))
            }
            (None, _, _) => {}
        }
    }
    Ok(())
}

/// The call, checked against the compiled protos.
pub fn parse(spec: &GrpcSpec, protos: &Protos) -> Result<GrpcCall, String> {
    let protocol = match spec.protocol.as_deref() {
        None | Some("grpc-web") => Protocol::GrpcWeb,
        Some("connect") => Protocol::Connect,
        Some(other) => {
            return Err(format!(
                "grpc.protocol \"{other}\" must be \"grpc-web\" or \"connect\""
            ))
        }
    };
    let service = protos
        .services
        .iter()
        .find(|s| s.name == spec.service)
        .ok_or_else(|| {
            format!(
                "grpc.service \"{}\" is not defined in routes/protos/",
                spec.service
            )
        })?;
    let method = service
        .methods
        .iter()
        .find(|m| m.name == spec.method)
        .ok_or_else(|| {
            format!(
                "grpc.method \"{}\" is not a method of {}",
                spec.method, spec.service
            )
        })?;
    if method.client_streaming {
        return Err(format!(
            "grpc.method \"{}\" takes a stream; only unary and server-streaming methods can be called",
            spec.method
        ));
    }
    let body = match &spec.body {
        None | Some(BodySpec::Read(true)) => BodyRule::Whole,
        Some(BodySpec::Read(false)) => BodyRule::Ignored,
        Some(BodySpec::Field(f)) if f == "*" => BodyRule::Whole,
        Some(BodySpec::Field(f)) => {
            let field = protos.messages[usize::from(method.input)]
                .fields
                .iter()
                .find(|x| x.name == f || x.json_name == f)
                .ok_or_else(|| {
                    format!("grpc.body \"{f}\" is not a field of the request message")
                })?;
            BodyRule::Field(field.json_name)
        }
    };
    let response_body = match &spec.response_body {
        None => None,
        Some(f) => Some(
            protos.messages[usize::from(method.output)]
                .fields
                .iter()
                .find(|x| x.name == f || x.json_name == f)
                .ok_or_else(|| {
                    format!("grpc.response_body \"{f}\" is not a field of the answer message")
                })?
                .json_name,
        ),
    };
    let mut trailers = Vec::new();
    for t in &spec.trailers {
        let name = t.to_ascii_lowercase();
        if name.is_empty() || !name.bytes().all(crate::lex::is_token_byte) {
            return Err(format!("grpc.trailers: \"{t}\" is not a header name"));
        }
        if name.starts_with("grpc-") || name.starts_with("connect-") {
            return Err(format!("grpc.trailers: \"{t}\" belongs to the protocol"));
        }
        // Headers that describe the body, set cookies, grant CORS, steer caches or the
        // connection: never from the origin's trailers.
        let owned = name.starts_with("content-")
            || name.starts_with("access-control-")
            || name.starts_with("x-forwarded-")
            || matches!(
                name.as_str(),
                "set-cookie"
                    | "cache-control"
                    | "cdn-cache-control"
                    | "cloudflare-cdn-cache-control"
                    | "surrogate-control"
                    | "cache-tag"
                    | "vary"
                    | "etag"
                    | "last-modified"
                    | "expires"
                    | "age"
                    | "location"
                    | "connection"
                    | "keep-alive"
                    | "transfer-encoding"
                    | "te"
                    | "trailer"
                    | "upgrade"
                    | "proxy-authenticate"
                    | "www-authenticate"
                    | "x-request-id"
                    | "traceparent"
                    | "tracestate"
                    | "server-timing"
            );
        if owned {
            return Err(format!(
                "grpc.trailers: \"{t}\" cannot come from a trailer (it describes the body, cookies, CORS, caching or the connection)"
            ));
        }
        if method.server_streaming {
            return Err(
                "grpc.trailers: a stream's trailers come after its answer has started; they cannot become headers"
                    .into(),
            );
        }
        trailers.push(name);
    }
    Ok(GrpcCall {
        trailers: leak::strs(&trailers),
        path: leak::str(&format!("/{}/{}", service.name, method.name)),
        input: method.input,
        output: method.output,
        protocol,
        server_streaming: method.server_streaming,
        connect_get: protocol == Protocol::Connect
            && method.no_side_effects
            && !method.server_streaming,
        body,
        response_body,
        gateway_query: &[],
    })
}
