//! A route as `build.rs` compiled it from a `[[route]]`: plain `&'static` data. Other tables
//! (upstreams, policies, schemas) are named by index into the compiled table.

use crate::http::method::Method;

pub use gatehouse_config::table::route::{Condition, PathGroup, Route};

/// What a compiled route serves.
pub trait RouteExt {
    fn serves(&self, method: Method) -> bool;
}

impl RouteExt for Route {
    fn serves(&self, method: Method) -> bool {
        self.methods.contains(&method)
    }
}
