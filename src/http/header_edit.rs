//! [`HeaderEdit`]: the few header operations policies and forwarding rules need, so the rules
//! are plain Rust tested natively and run on the runtime's `Headers` object without copying.

/// Case-insensitive header access.
pub trait HeaderEdit {
    fn get(&self, name: &str) -> Option<String>;
    /// Replaces any existing value.
    fn set(&mut self, name: &str, value: &str);
    fn remove(&mut self, name: &str);

    /// Removes every header in a static list. The JS implementation does it in one crossing.
    fn remove_all(&mut self, names: &'static [&'static str]) {
        for name in names {
            self.remove(name);
        }
    }
}

/// An owned header list for native code and tests. Names are stored lower-case.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct HeaderList(pub Vec<(String, String)>);

impl HeaderList {
    pub fn from_pairs(pairs: &[(&str, &str)]) -> HeaderList {
        HeaderList(
            pairs
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
        )
    }

    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_str()).collect()
    }
}

impl HeaderEdit for HeaderList {
    fn get(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .0
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        self.0.push((name.to_ascii_lowercase(), value.to_string()));
    }

    fn remove(&mut self, name: &str) {
        self.0.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }
}
