//! A route's `graphql` key: the stored operation its REST requests run.

/// The operation a route runs, with where each variable comes from.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::graphql))]
pub struct GraphqlCall {
    /// The document (the `.graphql` file's text), sent as `query`.
    pub document: &'static str,
    /// The operation's name, sent as `operationName` (`None`: the file's only, anonymous one).
    pub operation_name: Option<&'static str>,
    /// The operation's variables, as declared.
    pub variables: &'static [Variable],
    /// (variable, claim): variables set from the caller's credential, never by the client.
    pub claims: &'static [(&'static str, &'static str)],
    /// Query parameters the gateway reads (credentials, the version): never variables.
    pub gateway_query: &'static [&'static str],
}

/// A declared variable.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::graphql))]
pub struct Variable {
    pub name: &'static str,
    /// How a path or query parameter's text becomes its value.
    pub scalar: Scalar,
    /// A list (`[Int]`): a query parameter may be repeated.
    pub list: bool,
    /// Non-null without a default: the request must give it.
    pub required: bool,
}

/// The type a variable's text is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::graphql))]
pub enum Scalar {
    Int,
    Float,
    Boolean,
    /// `String`, `ID`, enums and custom scalars: the text as it is.
    Text,
}
