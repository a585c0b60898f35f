//! A route's `grpc = { service = "pkg.Service", method = "Get", protocol = "grpc-web" }`: the
//! unary method of `routes/protos/` its requests call, translated from and to JSON.

use crate::leak;
use crate::table::proto::{GrpcCall, Protocol, Protos};
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
    if method.client_streaming || method.server_streaming {
        return Err(format!(
            "grpc.method \"{}\" streams; only unary methods can be called yet",
            spec.method
        ));
    }
    Ok(GrpcCall {
        path: leak::str(&format!("/{}/{}", service.name, method.name)),
        input: method.input,
        output: method.output,
        protocol,
    })
}
