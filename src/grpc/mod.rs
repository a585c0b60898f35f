//! Protocol translation to gRPC (pure, tested natively): proto3 JSON to the binary format and
//! back over the messages `routes/protos/` compiled to ([`to_proto`], [`to_json`], the
//! well-known types in [`wkt`]), gRPC-Web framing ([`frame`]) and status codes ([`status`]).
//! The protos' tables come from the build (`gatehouse_config::table::proto`).

pub mod bind;
pub mod client;
pub mod details;
pub mod frame;
pub mod status;
pub mod stream;
pub mod to_json;
pub mod to_proto;
pub mod wire;
pub mod wkt;
