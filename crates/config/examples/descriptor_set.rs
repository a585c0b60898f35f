//! Prints the protos of a routes directory as a base64 `FileDescriptorSet` (imports included),
//! for the demo origin's gRPC service (`scripts/catalog-service.mjs`):
//! `cargo run -q -p gatehouse-config --example descriptor_set -- routes`.

use base64ct::{Base64, Encoding};
use gatehouse_config::protos::{descriptor_set, DIR};

fn main() {
    let routes = std::env::args().nth(1).unwrap_or_else(|| "routes".into());
    let dir = std::path::Path::new(&routes).join("protos");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("routes/protos/") {
        let path = entry.expect("a file").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).expect("readable");
        files.push((format!("{DIR}{name}"), text));
    }
    files.sort();
    match descriptor_set(&files) {
        Ok(bytes) => println!("{}", Base64::encode_string(&bytes)),
        Err(errors) => {
            eprintln!("{}", errors.join("\n"));
            std::process::exit(1);
        }
    }
}
