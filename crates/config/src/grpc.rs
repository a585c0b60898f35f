//! A route's `grpc = { service = "pkg.Service", method = "Get", protocol = "grpc-web" }`: the
//! unary method of `routes/protos/` its requests call, translated from and to JSON.

use crate::leak;
use crate::table::proto::{Cardinality, GrpcCall, Kind, Protocol, Protos};
use serde::Deserialize;

/// `grpc = { ... }` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcSpec {
    pub service: String,
    pub method: String,
    /// `"grpc-web"` (the default) or `"connect"`.
    pub protocol: Option<String>,
}

/// Checks that `path` (`field` or `outer.inner`, by JSON or proto name) names a field of
/// message `message` that a parameter can set (not a map, not a message).
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
    Ok(GrpcCall {
        path: leak::str(&format!("/{}/{}", service.name, method.name)),
        input: method.input,
        output: method.output,
        protocol,
        server_streaming: method.server_streaming,
        gateway_query: &[],
    })
}
