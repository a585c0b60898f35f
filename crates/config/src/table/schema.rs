//! Request schemas as compiled from JSON Schema: a flat table of [`Node`]s per schema, `$ref`s
//! resolved to indices.

/// JSON types, as bits of [`Node::types`].
pub mod types {
    pub const NULL: u8 = 1;
    pub const BOOLEAN: u8 = 2;
    pub const OBJECT: u8 = 4;
    pub const ARRAY: u8 = 8;
    pub const NUMBER: u8 = 16;
    pub const STRING: u8 = 32;
    pub const INTEGER: u8 = 64;
}

/// What `additionalProperties` allows.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::schema))]
pub enum Additional {
    /// Absent (or `true`): anything.
    Any,
    /// `false`: nothing beyond `properties`.
    Nothing,
    /// A schema (index) every other property must meet.
    Schema(u16),
}

/// One compiled schema. Indices point into the same table.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::schema))]
pub struct Node {
    /// `true` / `false` schemas; `None` for an object schema.
    pub always: Option<bool>,
    /// Allowed types (bits of [`types`]); 0 allows any.
    pub types: u8,
    /// `enum`: each allowed value as canonical JSON text.
    pub enumeration: Option<&'static [&'static str]>,
    /// `const`, as canonical JSON text.
    pub constant: Option<&'static str>,
    pub properties: &'static [(&'static str, u16)],
    pub required: &'static [&'static str],
    pub additional: Additional,
    pub items: Option<u16>,
    pub prefix_items: &'static [u16],
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    pub multiple_of: Option<f64>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub all_of: &'static [u16],
    pub any_of: &'static [u16],
    pub one_of: &'static [u16],
    pub not: Option<u16>,
}

impl Node {
    /// A node that allows anything (the base the build fills in).
    pub const ANY: Node = Node {
        always: None,
        types: 0,
        enumeration: None,
        constant: None,
        properties: &[],
        required: &[],
        additional: Additional::Any,
        items: None,
        prefix_items: &[],
        min_items: None,
        max_items: None,
        unique_items: false,
        min_length: None,
        max_length: None,
        minimum: None,
        maximum: None,
        exclusive_minimum: None,
        exclusive_maximum: None,
        multiple_of: None,
        min_properties: None,
        max_properties: None,
        all_of: &[],
        any_of: &[],
        one_of: &[],
        not: None,
    };
}

/// A compiled schema: its nodes, the root first, and the file it came from.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::schema))]
pub struct Schema {
    pub file: &'static str,
    pub nodes: &'static [Node],
}
