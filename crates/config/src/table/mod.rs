//! The compiled configuration's types: what `build.rs` writes as `$OUT_DIR/routes.rs` and the
//! worker reads, defined once here so the checker builds these very values (and a renamed
//! field fails where the checker builds it). Only `&'static` data, nothing parsed at runtime;
//! the worker's own modules (`src/`) give them their behaviour. Each kind's runtime type
//! lives with its checker in `kinds/<kind>.rs`.

pub mod cache_key;
pub mod fan_out;
pub mod http;
pub mod jwks;
pub mod lifecycle;
pub mod limit;
pub mod log;
pub mod route;
pub mod schema;
pub mod upstream;
