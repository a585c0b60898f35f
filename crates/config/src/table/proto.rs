//! Protobuf messages, enums and services as compiled from `routes/protos/*.proto`: what the
//! worker needs to turn JSON into the binary wire format and back (proto3 JSON mapping) and to
//! call a gRPC-Web or Connect method. Messages and enums are flat tables; fields refer to them
//! by index. Nothing is parsed per request.

/// Every message, enum and service the protos define (their imports included).
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub struct Protos {
    pub messages: &'static [Message],
    pub enums: &'static [Enum],
    pub services: &'static [Service],
}

impl Default for Protos {
    fn default() -> Self {
        Protos::EMPTY
    }
}

impl Protos {
    /// No protos.
    pub const EMPTY: Protos = Protos {
        messages: &[],
        enums: &[],
        services: &[],
    };

    /// The message named `full_name` (`pkg.Name`), by index.
    pub fn message(&self, full_name: &str) -> Option<u16> {
        self.messages
            .iter()
            .position(|m| m.name == full_name)
            .map(|i| i as u16)
    }
}

/// A message type.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub struct Message {
    /// Its full name, `pkg.Outer.Inner`.
    pub name: &'static str,
    /// In field-number order.
    pub fields: &'static [Field],
    /// A well-known type with its own JSON form.
    pub wkt: Option<Wkt>,
}

/// A field of a message.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub struct Field {
    pub number: u32,
    pub name: &'static str,
    /// Its JSON member name (`json_name`, by default the name in lowerCamelCase).
    pub json_name: &'static str,
    pub kind: Kind,
    pub cardinality: Cardinality,
    /// The `oneof` it belongs to (an index among the message's real oneofs, not a proto3
    /// `optional`'s): JSON may set at most one member of each.
    pub oneof: Option<u16>,
    /// Whether it is written to JSON whenever set, even to its default: oneof members, proto3
    /// `optional` and proto2 fields, and messages. Other proto3 fields are left out at their
    /// default.
    pub presence: bool,
}

/// Whether a field holds one value, a list or a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub enum Cardinality {
    Single,
    /// `repeated`; `packed` when scalars are written as one length-delimited run.
    Repeated {
        packed: bool,
    },
    /// `map<key, value>`: on the wire, repeated entries with the key as field 1 and the value
    /// as field 2.
    Map {
        key: Kind,
        value: Kind,
    },
}

/// A field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub enum Kind {
    Double,
    Float,
    Int64,
    Uint64,
    Int32,
    Fixed64,
    Fixed32,
    Bool,
    String,
    Bytes,
    Uint32,
    Sfixed32,
    Sfixed64,
    Sint32,
    Sint64,
    /// An enum, by index in [`Protos::enums`].
    Enum(u16),
    /// A message, by index in [`Protos::messages`].
    Message(u16),
}

/// The well-known types whose JSON form is not an object of their fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub enum Wkt {
    Timestamp,
    Duration,
    FieldMask,
    Struct,
    Value,
    ListValue,
    Empty,
    Any,
    /// `google.protobuf.*Value` wrappers: JSON is the wrapped value itself.
    Wrapper,
}

impl Wkt {
    /// The well-known type named `full_name`, if it is one.
    pub fn of(full_name: &str) -> Option<Wkt> {
        Some(match full_name {
            "google.protobuf.Timestamp" => Wkt::Timestamp,
            "google.protobuf.Duration" => Wkt::Duration,
            "google.protobuf.FieldMask" => Wkt::FieldMask,
            "google.protobuf.Struct" => Wkt::Struct,
            "google.protobuf.Value" => Wkt::Value,
            "google.protobuf.ListValue" => Wkt::ListValue,
            "google.protobuf.Empty" => Wkt::Empty,
            "google.protobuf.Any" => Wkt::Any,
            "google.protobuf.DoubleValue"
            | "google.protobuf.FloatValue"
            | "google.protobuf.Int64Value"
            | "google.protobuf.UInt64Value"
            | "google.protobuf.Int32Value"
            | "google.protobuf.UInt32Value"
            | "google.protobuf.BoolValue"
            | "google.protobuf.StringValue"
            | "google.protobuf.BytesValue" => Wkt::Wrapper,
            _ => return None,
        })
    }
}

/// An enum type.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub struct Enum {
    /// Its full name; `google.protobuf.NullValue` is JSON `null`.
    pub name: &'static str,
    /// (name, number), in declaration order: the first is the default.
    pub values: &'static [(&'static str, i32)],
}

/// A service.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub struct Service {
    /// Its full name, `pkg.Service`.
    pub name: &'static str,
    pub methods: &'static [Method],
}

/// A method of a service.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub struct Method {
    pub name: &'static str,
    /// Message indexes.
    pub input: u16,
    pub output: u16,
    pub client_streaming: bool,
    pub server_streaming: bool,
    /// `option idempotency_level = NO_SIDE_EFFECTS`: Connect lets it be called with GET.
    pub no_side_effects: bool,
}

/// How a gRPC method is called over HTTP/1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub enum Protocol {
    /// gRPC-Web (`application/grpc-web+proto`): framed messages, trailers in the body.
    GrpcWeb,
    /// Connect unary (`application/proto`): the message as the body, errors as JSON.
    Connect,
}

/// A route's `grpc = { service, method, protocol }`: the method its requests call.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub struct GrpcCall {
    /// The path sent upstream: `/<package.Service>/<Method>`.
    pub path: &'static str,
    /// Message indexes in the table's [`Protos`].
    pub input: u16,
    pub output: u16,
    pub protocol: Protocol,
    /// The method streams its answer: it is sent on as NDJSON or server-sent events.
    pub server_streaming: bool,
    /// A GET or HEAD calls it with a Connect GET (the message in the query): Connect, unary,
    /// and declared `idempotency_level = NO_SIDE_EFFECTS`.
    pub connect_get: bool,
    /// What the request body is (on POST, PUT and PATCH).
    pub body: BodyRule,
    /// The output field answered instead of the whole message (`response_body`).
    pub response_body: Option<&'static str>,
    /// Trailing metadata sent on as response headers (lower-case names).
    pub trailers: &'static [&'static str],
    /// Query parameters the gateway itself reads on this route (its credentials' `query`,
    /// `[gateway] versioning.query`): never bound to the message.
    pub gateway_query: &'static [&'static str],
}

/// What a gRPC route's request body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::proto))]
pub enum BodyRule {
    /// The whole request message (`body = "*"`, the default).
    Whole,
    /// The value of this field of the message (`body = "book"`).
    Field(&'static str),
    /// Not read (`body = false`, or an HTTP rule without `body`).
    Ignored,
}
