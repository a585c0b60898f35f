//! A route's `graphql = { operation = "library/book.graphql", claims = { viewer = "sub" } }`:
//! the stored operation (a file under `routes/graphql/`) its REST requests run, checked at
//! build: the file holds one query or mutation (and any fragments), every path parameter is
//! one of its variables, and `claims` binds variables to the caller's claims.

use crate::kinds::graphql::DIR;
use crate::leak;
use crate::table::graphql::{GraphqlCall, Scalar, Variable};
use apollo_parser::cst::{self, Definition, Type};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `graphql = { ... }` as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraphqlCallSpec {
    /// The file, relative to `routes/graphql/`.
    pub operation: String,
    /// Variable name to claim name: set from the caller's credential.
    #[serde(default)]
    pub claims: BTreeMap<String, String>,
}

/// What the checker learns of the operation besides the call: whether it is a mutation.
pub struct Checked {
    pub call: GraphqlCall,
    pub mutation: bool,
}

/// Finds and checks the operation in `documents` (`routes/graphql/**` as (path, text)).
pub fn parse(spec: &GraphqlCallSpec, documents: &[(String, String)]) -> Result<Checked, String> {
    let path = format!("{DIR}{}", spec.operation.trim_start_matches('/'));
    let (_, text) = documents.iter().find(|(p, _)| *p == path).ok_or_else(|| {
        format!(
            "graphql.operation \"{}\": no such file {path}",
            spec.operation
        )
    })?;
    let tree = apollo_parser::Parser::new(text).parse();
    if tree.errors().next().is_some() {
        // Reported with its line by the documents' own check.
        return Err(format!(
            "graphql.operation \"{}\" does not parse",
            spec.operation
        ));
    }
    let ops: Vec<cst::OperationDefinition> = tree
        .document()
        .definitions()
        .filter_map(|d| match d {
            Definition::OperationDefinition(op) => Some(op),
            _ => None,
        })
        .collect();
    let [op] = ops.as_slice() else {
        return Err(format!(
            "graphql.operation \"{}\": the file must hold exactly one operation (it has {})",
            spec.operation,
            ops.len()
        ));
    };
    let kind = op.operation_type();
    if kind
        .as_ref()
        .is_some_and(|t| t.subscription_token().is_some())
    {
        return Err(format!(
            "graphql.operation \"{}\" is a subscription; only queries and mutations can be bound",
            spec.operation
        ));
    }
    let mutation = kind.as_ref().is_some_and(|t| t.mutation_token().is_some());
    let mut variables = Vec::new();
    for d in op
        .variable_definitions()
        .iter()
        .flat_map(|v| v.variable_definitions())
    {
        let name = d
            .variable()
            .and_then(|v| v.name())
            .map(|n| n.text().to_string());
        let (Some(name), Some(ty)) = (name, d.ty()) else {
            continue;
        };
        let (scalar, list, non_null) = read_type(&ty);
        variables.push(Variable {
            name: leak::str(&name),
            scalar,
            list,
            required: non_null && d.default_value().is_none(),
        });
    }
    for (var, claim) in &spec.claims {
        if !variables.iter().any(|v| v.name == var) {
            return Err(format!(
                "graphql.claims: \"{var}\" is not a variable of the operation"
            ));
        }
        if claim.is_empty() {
            return Err(format!("graphql.claims: \"{var}\" needs a claim name"));
        }
    }
    Ok(Checked {
        call: GraphqlCall {
            document: leak::str(text),
            operation_name: leak::opt(op.name().map(|n| n.text().to_string()).as_deref()),
            variables: leak::slice(variables),
            claims: leak::pairs(
                &spec
                    .claims
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Vec<_>>(),
            ),
            gateway_query: &[],
        },
        mutation,
    })
}

/// A variable type's scalar, whether it is a list, and whether it is non-null.
fn read_type(ty: &Type) -> (Scalar, bool, bool) {
    match ty {
        Type::NonNullType(n) => {
            let inner = n
                .named_type()
                .map(Type::NamedType)
                .or_else(|| n.list_type().map(Type::ListType));
            let (scalar, list, _) = inner
                .as_ref()
                .map_or((Scalar::Text, false, false), read_type);
            (scalar, list, true)
        }
        Type::ListType(l) => {
            let scalar = l.ty().as_ref().map_or(Scalar::Text, |t| read_type(t).0);
            (scalar, true, false)
        }
        Type::NamedType(n) => {
            let name = n.name().map(|n| n.text().to_string()).unwrap_or_default();
            let scalar = match name.as_str() {
                "Int" => Scalar::Int,
                "Float" => Scalar::Float,
                "Boolean" => Scalar::Boolean,
                _ => Scalar::Text,
            };
            (scalar, false, false)
        }
    }
}
