//! routes/protos/: compiled at build time into the table's flat message, enum and service
//! lists (`gatehouse_config::protos`).

use gatehouse_config::protos::compile;
use gatehouse_config::table::proto::{Cardinality, Kind, Wkt};

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

const SHOP: &str = r#"
syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";

message Item {
  string sku = 1;
  int64 price_cents = 2;
  repeated int32 sizes = 3;
  map<string, Item> related = 4;
  oneof discount { int32 percent = 5; string code = 6; }
  optional bool featured = 7;
  google.protobuf.Timestamp created_at = 8 [json_name = "created"];
  Kind kind = 9;
  enum Kind { KIND_UNSPECIFIED = 0; BOOK = 1; }
}

message GetItemRequest { string sku = 1; }

service Items {
  rpc GetItem(GetItemRequest) returns (Item);
  rpc Watch(GetItemRequest) returns (stream Item);
}
"#;

#[test]
fn messages_fields_enums_and_services_are_flattened_with_indexes() {
    let p = compile(&files(&[("routes/protos/shop.proto", SHOP)])).unwrap();
    let item = p.message("shop.v1.Item").expect("Item") as usize;
    let m = &p.messages[item];
    let f = |n: u32| m.fields.iter().find(|f| f.number == n).unwrap();
    assert_eq!(f(2).json_name, "priceCents");
    assert_eq!(f(2).kind, Kind::Int64);
    assert_eq!(f(3).cardinality, Cardinality::Repeated { packed: true });
    assert_eq!(
        f(4).cardinality,
        Cardinality::Map {
            key: Kind::String,
            value: Kind::Message(item as u16)
        }
    );
    assert_eq!((f(5).oneof, f(6).oneof), (Some(0), Some(0)));
    assert!(f(5).presence && f(6).presence);
    assert_eq!(f(7).oneof, None, "proto3 optional is not a real oneof");
    assert!(f(7).presence);
    assert!(
        !f(1).presence,
        "a plain proto3 scalar is left out at its default"
    );
    assert_eq!(f(8).json_name, "created");
    let Kind::Message(ts) = f(8).kind else {
        panic!()
    };
    assert_eq!(p.messages[ts as usize].wkt, Some(Wkt::Timestamp));
    let Kind::Enum(kind) = f(9).kind else {
        panic!()
    };
    assert_eq!(p.enums[kind as usize].name, "shop.v1.Item.Kind");
    assert_eq!(p.enums[kind as usize].values[1], ("BOOK", 1));
    let svc = &p.services[0];
    assert_eq!(svc.name, "shop.v1.Items");
    assert_eq!(svc.methods[1].name, "Watch");
    assert!(svc.methods[1].server_streaming);
    assert_eq!(
        p.messages[svc.methods[0].input as usize].name,
        "shop.v1.GetItemRequest"
    );
}

#[test]
fn no_protos_compile_to_nothing() {
    let p = compile(&files(&[("routes/gateway.toml", "")])).unwrap();
    assert!(p.messages.is_empty() && p.services.is_empty());
}

#[test]
fn a_broken_proto_names_its_file_line_and_column() {
    let broken = "syntax = \"proto3\";\nmessage A {\n  string a = 1\n}\n";
    let errors = compile(&files(&[("routes/protos/broken.proto", broken)])).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("routes/protos/broken.proto:4:1:"),
        "{}",
        errors[0]
    );
}

#[test]
fn an_unknown_type_or_import_is_an_error_naming_the_file() {
    let unknown = "syntax = \"proto3\";\nmessage A {\n  Missing m = 1;\n}\n";
    let errors = compile(&files(&[("routes/protos/a.proto", unknown)])).unwrap_err();
    assert!(
        errors[0].starts_with("routes/protos/a.proto:3:3:"),
        "{}",
        errors[0]
    );
    let import = "syntax = \"proto3\";\nimport \"nope.proto\";\n";
    let errors = compile(&files(&[("routes/protos/b.proto", import)])).unwrap_err();
    assert!(
        errors[0].starts_with("routes/protos/b.proto:2:"),
        "{}",
        errors[0]
    );
}

#[test]
fn the_demo_services_descriptor_is_the_compiled_routes_protos() {
    use base64ct::{Base64, Encoding};
    let root = env!("CARGO_MANIFEST_DIR");
    let mut protos = Vec::new();
    for entry in std::fs::read_dir(format!("{root}/routes/protos")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        protos.push((
            format!("routes/protos/{name}"),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    protos.sort();
    let compiled =
        Base64::encode_string(&gatehouse_config::protos::descriptor_set(&protos).unwrap());
    let script = std::fs::read_to_string(format!("{root}/scripts/catalog-service.mjs")).unwrap();
    assert!(
        script.contains(&format!("\"{compiled}\"")),
        "scripts/catalog-service.mjs is out of date: run `cargo run -q -p gatehouse-config --example descriptor_set -- routes` and paste its output as DESCRIPTOR"
    );
}
