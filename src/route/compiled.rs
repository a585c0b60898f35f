//! A route as `build.rs` compiled it from a `[[route]]` (defined in `gatehouse-config`'s
//! `table::route`): plain `&'static` data. Other tables (upstreams, policies, schemas) are
//! named by index into the compiled table.

use crate::http::method::Method;

pub use gatehouse_config::table::route::{Condition, PathGroup, Route};

pub fn serves(route: &Route, method: Method) -> bool {
    route.methods.contains(&method)
}
