//! Finds the route for a request: matchit over the distinct public paths (built once per
//! isolate), then host and method among the routes sharing that path.

use super::compiled::{Condition, PathGroup, Route};
use crate::http::method;
use crate::http::method::Method;
use crate::route::compiled;
use matchit::{Params, Router};

/// What the table says about a request.
pub enum Matched<'p> {
    Found {
        index: usize,
        route: &'static Route,
        params: Params<'static, 'p>,
    },
    /// The path exists for this host, but not for this method. `allow` is the `Allow` value.
    MethodNotAllowed {
        allow: String,
    },
    NotFound,
}

/// The compiled routes plus a matchit index over their distinct paths.
pub struct RouteIndex {
    routes: &'static [Route],
    paths: &'static [PathGroup],
    router: Router<u16>,
}

impl RouteIndex {
    /// Builds the index. Paths were inserted into matchit at build time already, so a failure
    /// here means the generated table is corrupt: that is a bug, reported by panic once.
    pub fn new(routes: &'static [Route], paths: &'static [PathGroup]) -> RouteIndex {
        let mut router = Router::new();
        for (i, group) in paths.iter().enumerate() {
            router
                .insert(group.path, i as u16)
                .expect("routes were checked at build time");
        }
        RouteIndex {
            routes,
            paths,
            router,
        }
    }

    /// Matches a normalised path. `host` is the request host, lower-case, without port.
    /// `method` is `None` for methods no route can serve. Routes with `match` conditions are
    /// not considered (see [`RouteIndex::find_when`]).
    pub fn find<'p>(
        &'static self,
        method: Option<Method>,
        host: &str,
        path: &'p str,
    ) -> Matched<'p> {
        self.find_when(method, host, path, &|_| false)
    }

    /// [`RouteIndex::find`] where `holds` says whether the request meets a route's `match`
    /// condition. A route whose conditions do not all hold is skipped like one for another
    /// host; among the rest, the first in the group (host-specific, then more conditions)
    /// that serves the method wins.
    pub fn find_when<'p>(
        &'static self,
        method: Option<Method>,
        host: &str,
        path: &'p str,
        holds: &dyn Fn(&Condition) -> bool,
    ) -> Matched<'p> {
        let Ok(m) = self.router.at(path) else {
            return Matched::NotFound;
        };
        let group = &self.paths[*m.value as usize];
        let mut allow: Vec<Method> = Vec::new();
        for &i in group.routes {
            let route = &self.routes[i as usize];
            if route.host.is_some_and(|h| h != host) || !route.conditions.iter().all(holds) {
                continue;
            }
            match method {
                Some(method) if compiled::serves(route, method) => {
                    return Matched::Found {
                        index: i as usize,
                        route,
                        params: m.params,
                    };
                }
                _ => {
                    for m in route.methods {
                        if !allow.contains(m) {
                            allow.push(*m);
                        }
                    }
                }
            }
        }
        if allow.is_empty() {
            return Matched::NotFound;
        }
        let names: Vec<&str> = allow.iter().map(|m| method::as_str(m)).collect();
        Matched::MethodNotAllowed {
            allow: names.join(", "),
        }
    }
}

impl RouteIndex {
    /// Every route that could serve `path` on `host` by some method and conditions (the
    /// group `path` matches, routes for other hosts left out).
    pub fn routes_at<'h>(
        &'static self,
        host: &'h str,
        path: &str,
    ) -> impl Iterator<Item = &'static Route> + 'h {
        let (routes, paths) = (self.routes, self.paths);
        let group = self
            .router
            .at(path)
            .ok()
            .map_or(&[][..], |m| paths[*m.value as usize].routes);
        group
            .iter()
            .map(move |&i| &routes[i as usize])
            .filter(move |r| r.host.is_none_or(|h| h == host))
    }
}
