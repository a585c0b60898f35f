//! `routes/protos/*.proto`: compiled at build time in pure Rust (protox: no `protoc`), into the
//! table's flat [`Protos`]. A broken proto fails the build with `routes/protos/<file>:line:col`.
//! Imports resolve among the files of `routes/protos/` (by their path below it) and to the
//! well-known `google/protobuf/*.proto` files, which protox carries.

use crate::leak;
use crate::table::proto::{Cardinality, Enum, Field, Kind, Message, Method, Protos, Service, Wkt};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};
use std::collections::HashMap;

/// Where proto files live, relative to the routes directory.
pub const DIR: &str = "routes/protos/";

/// `google/api/annotations.proto` and `google/api/http.proto`, for `google.api.http` options
/// (Gatehouse's own minimal definitions, with the fields and numbers the HTTP rule uses; a
/// copy of the originals in `routes/protos/google/api/` takes precedence).
struct GoogleApi;

const GOOGLE_API_HTTP: &str = r#"syntax = "proto3";
package google.api;
message HttpRule {
  string selector = 1;
  oneof pattern {
    string get = 2;
    string put = 3;
    string post = 4;
    string delete = 5;
    string patch = 6;
    CustomHttpPattern custom = 8;
  }
  string body = 7;
  string response_body = 12;
  repeated HttpRule additional_bindings = 11;
}
message CustomHttpPattern {
  string kind = 1;
  string path = 2;
}
"#;

const GOOGLE_API_ANNOTATIONS: &str = r#"syntax = "proto3";
package google.api;
import "google/api/http.proto";
import "google/protobuf/descriptor.proto";
extend google.protobuf.MethodOptions {
  HttpRule http = 72295728;
}
"#;

impl FileResolver for GoogleApi {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match name {
            "google/api/http.proto" => File::from_source(name, GOOGLE_API_HTTP),
            "google/api/annotations.proto" => File::from_source(name, GOOGLE_API_ANNOTATIONS),
            _ => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// One HTTP binding of a method, from its `google.api.http` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpBinding {
    /// The service's full name and the method's name.
    pub service: String,
    pub method: String,
    /// `GET`, `PUT`, `POST`, `DELETE`, `PATCH` (a custom pattern's kind, upper-cased).
    pub verb: String,
    /// The path template as written.
    pub path: String,
    /// `*`, a field name, or empty (no body).
    pub body: String,
    /// The response field answered instead of the whole message (empty: all of it).
    pub response_body: String,
}

/// Every `google.api.http` binding of the services' methods (each rule, then its
/// `additional_bindings`), in the protos' order. Compiles the files once more: the checker
/// asks once, and only when a route file has `[[grpc_routes]]`.
pub fn http_bindings(files: &[(String, String)]) -> Vec<HttpBinding> {
    let Ok(Some(compiler)) = compiler(files) else {
        return Vec::new();
    };
    let pool = compiler.descriptor_pool();
    let Some(ext) = pool.get_extension_by_name("google.api.http") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let methods: Vec<_> = pool
        .services()
        .flat_map(|s| s.methods().collect::<Vec<_>>())
        .collect();
    for m in methods {
        let svc = m.parent_service();
        let options = m.options();
        if !options.has_extension(&ext) {
            continue;
        }
        if let Some(rule) = options.get_extension(&ext).as_message() {
            let mut rules = vec![rule.clone()];
            if let Some(more) = rule
                .get_field_by_name("additional_bindings")
                .and_then(|v| v.as_list().map(<[_]>::to_vec))
            {
                rules.extend(more.iter().filter_map(|v| v.as_message().cloned()));
            }
            for r in rules {
                let text = |name: &str| {
                    r.get_field_by_name(name)
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                };
                let mut verb_path = ["get", "put", "post", "delete", "patch"]
                    .into_iter()
                    .find(|v| r.has_field_by_name(v))
                    .map(|v| (v.to_ascii_uppercase(), text(v)));
                if verb_path.is_none() && r.has_field_by_name("custom") {
                    if let Some(c) = r
                        .get_field_by_name("custom")
                        .and_then(|c| c.as_message().cloned())
                    {
                        let f = |n: &str| {
                            c.get_field_by_name(n)
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default()
                        };
                        verb_path = Some((f("kind").to_ascii_uppercase(), f("path")));
                    }
                }
                if let Some((verb, path)) = verb_path {
                    out.push(HttpBinding {
                        service: svc.full_name().to_string(),
                        method: m.name().to_string(),
                        verb,
                        path,
                        body: text("body"),
                        response_body: text("response_body"),
                    });
                }
            }
        }
    }
    out
}

/// The files of `routes/protos/`, by their name below it.
struct RoutesProtos(Vec<(String, String)>);

impl FileResolver for RoutesProtos {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.iter().find(|(n, _)| n == name) {
            Some((n, text)) => File::from_source(n, text),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Compiles `files` (path under routes/, text), keeping those under [`DIR`] ending `.proto`.
/// Errors name the file as `routes/protos/<name>` with its line and column.
pub fn compile(files: &[(String, String)]) -> Result<Protos, Vec<String>> {
    Ok(match compiler(files)? {
        Some(c) => flatten(&c.file_descriptor_set().file),
        None => Protos::EMPTY,
    })
}

/// The compiled files as an encoded `FileDescriptorSet`, imports included (what a test's
/// gRPC server loads).
pub fn descriptor_set(files: &[(String, String)]) -> Result<Vec<u8>, Vec<String>> {
    Ok(compiler(files)?.map_or_else(Vec::new, |c| c.encode_file_descriptor_set()))
}

fn compiler(files: &[(String, String)]) -> Result<Option<protox::Compiler>, Vec<String>> {
    let protos: Vec<(String, String)> = files
        .iter()
        .filter_map(|(path, text)| {
            let name = path.strip_prefix(DIR)?;
            name.ends_with(".proto")
                .then(|| (name.to_string(), text.clone()))
        })
        .collect();
    if protos.is_empty() {
        return Ok(None);
    }
    let names: Vec<String> = protos.iter().map(|(n, _)| n.clone()).collect();
    let mut resolver = ChainFileResolver::new();
    resolver.add(RoutesProtos(protos));
    resolver.add(GoogleFileResolver::new());
    resolver.add(GoogleApi);
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(true);
    for name in &names {
        if let Err(e) = compiler.open_file(name) {
            return Err(vec![format!(
                "{DIR}{}",
                format!("{e:?}").trim_start_matches(DIR)
            )]);
        }
    }
    Ok(Some(compiler))
}

/// The descriptors as the table's flat lists.
fn flatten(files: &[FileDescriptorProto]) -> Protos {
    // First every message (map entries aside) and enum gets its index, by full name.
    let mut names = Names::default();
    for f in files {
        let package = f.package();
        names.proto2 = matches!(f.syntax(), "" | "proto2");
        for m in &f.message_type {
            names.message(package, m);
        }
        for e in &f.enum_type {
            names.enumeration(package, e);
        }
    }
    let messages = names
        .messages
        .iter()
        .map(|(name, d, proto2)| Message {
            name: leak::str(name),
            fields: leak::slice(fields(d, *proto2, &names)),
            wkt: Wkt::of(name),
        })
        .collect();
    let enums = names
        .enums
        .iter()
        .map(|(name, e)| Enum {
            name: leak::str(name),
            values: leak::slice(
                e.value
                    .iter()
                    .map(|v| (leak::str(v.name()), v.number()))
                    .collect(),
            ),
        })
        .collect();
    let mut services = Vec::new();
    for f in files {
        for s in &f.service {
            let name = qualified(f.package(), s.name());
            let methods = s
                .method
                .iter()
                .map(|m| Method {
                    name: leak::str(m.name()),
                    input: names.message_index(m.input_type()),
                    output: names.message_index(m.output_type()),
                    client_streaming: m.client_streaming(),
                    server_streaming: m.server_streaming(),
                    no_side_effects: m.options.as_ref().is_some_and(|o| {
                        o.idempotency_level()
                            == prost_types::method_options::IdempotencyLevel::NoSideEffects
                    }),
                })
                .collect();
            services.push(Service {
                name: leak::str(&name),
                methods: leak::slice(methods),
            });
        }
    }
    Protos {
        messages: leak::slice(messages),
        enums: leak::slice(enums),
        services: leak::slice(services),
    }
}

fn qualified(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}

/// Messages and enums by full name, in the order they were found.
#[derive(Default)]
struct Names {
    /// (full name, descriptor, declared in a proto2 file)
    messages: Vec<(String, DescriptorProto, bool)>,
    enums: Vec<(String, EnumDescriptorProto)>,
    /// Map entry types: full name -> (key, value) fields.
    map_entries: HashMap<String, (FieldDescriptorProto, FieldDescriptorProto)>,
    index: HashMap<String, u16>,
    proto2: bool,
}

impl Names {
    fn message(&mut self, scope: &str, m: &DescriptorProto) {
        let name = qualified(scope, m.name());
        if m.options.as_ref().is_some_and(|o| o.map_entry()) {
            let field = |n: i32| m.field.iter().find(|f| f.number() == n).cloned();
            if let (Some(k), Some(v)) = (field(1), field(2)) {
                self.map_entries.insert(name, (k, v));
            }
            return;
        }
        self.index.insert(name.clone(), self.messages.len() as u16);
        self.messages.push((name.clone(), m.clone(), self.proto2));
        for nested in &m.nested_type {
            self.message(&name, nested);
        }
        for e in &m.enum_type {
            self.enumeration(&name, e);
        }
    }

    fn enumeration(&mut self, scope: &str, e: &EnumDescriptorProto) {
        let name = qualified(scope, e.name());
        self.index.insert(name.clone(), self.enums.len() as u16);
        self.enums.push((name, e.clone()));
    }

    /// The index of a message type named `.pkg.Name` (protox resolves every type name).
    fn message_index(&self, type_name: &str) -> u16 {
        self.index[type_name.trim_start_matches('.')]
    }

    fn kind(&self, f: &FieldDescriptorProto) -> Kind {
        match f.r#type() {
            Type::Double => Kind::Double,
            Type::Float => Kind::Float,
            Type::Int64 => Kind::Int64,
            Type::Uint64 => Kind::Uint64,
            Type::Int32 => Kind::Int32,
            Type::Fixed64 => Kind::Fixed64,
            Type::Fixed32 => Kind::Fixed32,
            Type::Bool => Kind::Bool,
            Type::String => Kind::String,
            Type::Bytes => Kind::Bytes,
            Type::Uint32 => Kind::Uint32,
            Type::Sfixed32 => Kind::Sfixed32,
            Type::Sfixed64 => Kind::Sfixed64,
            Type::Sint32 => Kind::Sint32,
            Type::Sint64 => Kind::Sint64,
            Type::Enum => Kind::Enum(self.index[f.type_name().trim_start_matches('.')]),
            Type::Message | Type::Group => Kind::Message(self.message_index(f.type_name())),
        }
    }
}

/// A message's fields, in field-number order.
fn fields(d: &DescriptorProto, proto2: bool, names: &Names) -> Vec<Field> {
    let mut out: Vec<Field> = d
        .field
        .iter()
        .map(|f| {
            let repeated = f.label() == Label::Repeated;
            let map = names
                .map_entries
                .get(f.type_name().trim_start_matches('.'))
                .filter(|_| repeated)
                .map(|(k, v)| (names.kind(k), names.kind(v)));
            // A map's own kind is its value's (the entry type is not in the table).
            let kind = map.map_or_else(|| names.kind(f), |(_, v)| v);
            let scalar = !matches!(kind, Kind::String | Kind::Bytes | Kind::Message(_));
            let packed = scalar && f.options.as_ref().and_then(|o| o.packed).unwrap_or(!proto2);
            let cardinality = match (map, repeated) {
                (Some((key, value)), _) => Cardinality::Map { key, value },
                (None, true) => Cardinality::Repeated { packed },
                (None, false) => Cardinality::Single,
            };
            let synthetic = f.proto3_optional();
            let oneof = f
                .oneof_index
                .filter(|_| !synthetic)
                .map(|i| real_oneof_index(d, i));
            Field {
                number: f.number() as u32,
                name: leak::str(f.name()),
                json_name: leak::str(&f.json_name.clone().unwrap_or_else(|| camel(f.name()))),
                kind,
                cardinality,
                oneof,
                presence: cardinality == Cardinality::Single
                    && (f.oneof_index.is_some() || proto2 || matches!(kind, Kind::Message(_))),
            }
        })
        .collect();
    out.sort_by_key(|f| f.number);
    out
}

/// The position of oneof `i` among the message's real oneofs (synthetic ones, for proto3
/// `optional`, are not counted).
fn real_oneof_index(d: &DescriptorProto, i: i32) -> u16 {
    let synthetic = |k: i32| {
        d.field
            .iter()
            .any(|f| f.oneof_index == Some(k) && f.proto3_optional())
    };
    (0..i).filter(|&k| !synthetic(k)).count() as u16
}

/// protoc's default `json_name`: underscores removed, the letter after each upper-cased.
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
