//! What one GraphQL operation asks for, measured against a `graphql` policy's limits, without
//! a schema: the operation chosen, its type and name, and its depth, aliases, root fields and
//! estimated cost with every fragment expanded where it is spread.
//!
//! Contract: a document is parsed at most once, with the parser stopped at the policy's token
//! limit and a fixed nesting limit, so no input costs more than linear work. Fragments are
//! measured once each (memoised) and then scaled where spread, so a fragment spread many
//! times at many levels costs no more to measure than to read; a fragment cycle is refused.

use super::Refusal;
use apollo_parser::cst::{self, CstNode, Definition, Selection, Value};
use gatehouse_config::kinds::graphql::Graphql;
use std::collections::HashMap;

/// How deep the parser may nest (selection sets, lists, objects) before it stops: far past
/// any `max_depth` a policy sets, and well inside the worker's stack.
const PARSER_NESTING: usize = 256;

/// The kind of operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationType {
    Query,
    Mutation,
    Subscription,
}

/// What an operation asks for.
#[derive(Debug, PartialEq)]
pub struct Analysis {
    pub operation: OperationType,
    /// The operation's name, if it has one.
    pub name: Option<String>,
    pub depth: u64,
    pub aliases: u64,
    pub root_fields: u64,
    pub cost: u64,
    /// Whether it asks for `__schema` or `__type`.
    pub introspection: bool,
}

/// Parses `query`, picks the operation (`operation_name`, or the only one) and measures it.
/// `variables` give list sizes asked through variables. Refuses what does not parse, what
/// has no such operation, and a fragment that spreads itself; the limits are checked by
/// [`check`].
pub fn analyze(
    query: &str,
    operation_name: Option<&str>,
    variables: Option<&serde_json::Value>,
    policy: &Graphql,
) -> Result<Analysis, Refusal> {
    let tree = apollo_parser::Parser::new(query)
        .token_limit(policy.max_tokens as usize)
        .recursion_limit(PARSER_NESTING)
        .parse();
    if tree.token_limit().high > policy.max_tokens as usize {
        return Err(Refusal::limit(format!(
            "the document has more than {} tokens",
            policy.max_tokens
        )));
    }
    if let Some(e) = tree.errors().next() {
        return Err(Refusal::parse(format!(
            "syntax error at byte {}: {}",
            e.index(),
            e.message()
        )));
    }
    let doc = tree.document();
    let mut operations = Vec::new();
    let mut fragments = HashMap::new();
    for d in doc.definitions() {
        match d {
            Definition::OperationDefinition(op) => operations.push(op),
            Definition::FragmentDefinition(f) => {
                let name = f
                    .fragment_name()
                    .and_then(|n| n.name())
                    .map(|n| n.text().to_string())
                    .unwrap_or_default();
                if fragments.insert(name.clone(), f).is_some() {
                    return Err(Refusal::invalid(format!(
                        "there is more than one fragment named \"{name}\""
                    )));
                }
            }
            other => {
                return Err(Refusal::invalid(format!(
                    "a {} cannot be executed",
                    other.kind()
                )))
            }
        }
    }
    let name_of = |op: &cst::OperationDefinition| op.name().map(|n| n.text().to_string());
    let op = match operation_name {
        Some(wanted) => operations
            .into_iter()
            .find(|op| name_of(op).as_deref() == Some(wanted))
            .ok_or_else(|| Refusal::invalid(format!("there is no operation named \"{wanted}\"")))?,
        None if operations.len() == 1 => operations.pop().expect("one operation"),
        None if operations.is_empty() => return Err(Refusal::invalid("there is no operation")),
        None => {
            return Err(Refusal::invalid(
                "the document has more than one operation: name the one to run (operationName)",
            ))
        }
    };
    let operation = match op.operation_type() {
        Some(t) if t.mutation_token().is_some() => OperationType::Mutation,
        Some(t) if t.subscription_token().is_some() => OperationType::Subscription,
        _ => OperationType::Query,
    };
    let defaults = variable_defaults(&op);
    let mut m = Measure {
        policy,
        variables,
        defaults,
        fragments,
        memo: HashMap::new(),
        open: Vec::new(),
    };
    let set = op
        .selection_set()
        .ok_or_else(|| Refusal::invalid("the operation has no selection set"))?;
    let size = m.selection_set(&set)?;
    Ok(Analysis {
        operation,
        name: name_of(&op),
        depth: size.depth,
        aliases: size.aliases,
        root_fields: size.fields,
        cost: size.cost,
        introspection: size.introspection,
    })
}

/// Checks an operation's measures against the policy's limits.
pub fn check(a: &Analysis, policy: &Graphql) -> Result<(), Refusal> {
    let over = |what: &str, got: u64, max: u32| {
        (got > u64::from(max))
            .then(|| Refusal::limit(format!("{what} {got} is over the limit of {max}")))
    };
    if a.introspection && !policy.introspection {
        return Err(Refusal::introspection());
    }
    let found = over("the depth", a.depth, policy.max_depth)
        .or_else(|| over("the number of aliases", a.aliases, policy.max_aliases))
        .or_else(|| {
            over(
                "the number of root fields",
                a.root_fields,
                policy.max_root_fields,
            )
        })
        .or_else(|| over("the estimated cost", a.cost, policy.max_cost));
    found.map_or(Ok(()), Err)
}

/// A selection set's measures. `cost` is at a list size of 1 above it.
#[derive(Clone, Copy, Default)]
struct Size {
    depth: u64,
    aliases: u64,
    /// Fields at its own level (the operation's root fields, for its top set).
    fields: u64,
    cost: u64,
    introspection: bool,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.depth = self.depth.max(other.depth);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.fields = self.fields.saturating_add(other.fields);
        self.cost = self.cost.saturating_add(other.cost);
        self.introspection |= other.introspection;
    }
}

struct Measure<'a> {
    policy: &'a Graphql,
    variables: Option<&'a serde_json::Value>,
    defaults: HashMap<String, u64>,
    fragments: HashMap<String, cst::FragmentDefinition>,
    memo: HashMap<String, Size>,
    /// The fragments being measured, to find a cycle.
    open: Vec<String>,
}

impl Measure<'_> {
    fn selection_set(&mut self, set: &cst::SelectionSet) -> Result<Size, Refusal> {
        let mut size = Size::default();
        for selection in set.selections() {
            match selection {
                Selection::Field(f) => size.add(self.field(&f)?),
                Selection::InlineFragment(f) => {
                    if let Some(inner) = f.selection_set() {
                        size.add(self.selection_set(&inner)?);
                    }
                }
                Selection::FragmentSpread(s) => {
                    let name = s
                        .fragment_name()
                        .and_then(|n| n.name())
                        .map(|n| n.text().to_string())
                        .unwrap_or_default();
                    size.add(self.fragment(&name)?);
                }
            }
        }
        Ok(size)
    }

    fn field(&mut self, f: &cst::Field) -> Result<Size, Refusal> {
        let name = f.name().map(|n| n.text().to_string()).unwrap_or_default();
        let set = f.selection_set();
        let mut below = match &set {
            Some(set) => self.selection_set(set)?,
            None => Size::default(),
        };
        let list = self.list_size(f, set.is_some());
        Ok(Size {
            depth: below.depth.saturating_add(1),
            aliases: below.aliases.saturating_add(u64::from(f.alias().is_some())),
            fields: 1,
            cost: below.cost.saturating_mul(list).saturating_add(1),
            introspection: {
                below.introspection |= name == "__schema" || name == "__type";
                below.introspection
            },
        })
    }

    fn fragment(&mut self, name: &str) -> Result<Size, Refusal> {
        if let Some(size) = self.memo.get(name) {
            return Ok(*size);
        }
        if self.open.iter().any(|n| n == name) {
            return Err(Refusal::invalid(format!(
                "fragment \"{name}\" spreads itself"
            )));
        }
        let Some(set) = self.fragments.get(name).and_then(|f| f.selection_set()) else {
            return Err(Refusal::invalid(format!(
                "there is no fragment named \"{name}\""
            )));
        };
        self.open.push(name.to_string());
        let size = self.selection_set(&set)?;
        self.open.pop();
        self.memo.insert(name.to_string(), size);
        Ok(size)
    }

    /// The list size a field asks for: the largest of its list arguments (an integer, or a
    /// variable's value or default); without one, the policy's `default_list_size` for a
    /// field with a selection set (it may be a list), else 1.
    fn list_size(&self, f: &cst::Field, has_selection: bool) -> u64 {
        let fallback = if has_selection {
            u64::from(self.policy.default_list_size)
        } else {
            1
        };
        let Some(args) = f.arguments() else {
            return fallback;
        };
        let mut size = None;
        for arg in args.arguments() {
            let named = arg.name().map(|n| n.text().to_string()).unwrap_or_default();
            if !self.policy.list_arguments.contains(&named.as_str()) {
                continue;
            }
            let n = match arg.value() {
                Some(Value::IntValue(i)) => int(&i.syntax().text().to_string()),
                Some(Value::Variable(v)) => {
                    let var = v.name().map(|n| n.text().to_string()).unwrap_or_default();
                    self.variables
                        .and_then(|vs| vs.get(&var))
                        .and_then(json_size)
                        .or_else(|| self.defaults.get(&var).copied())
                }
                _ => None,
            };
            size = size.max(n);
        }
        size.unwrap_or(fallback)
    }
}

/// An integer literal as a list size (negative is 0, huge saturates).
fn int(text: &str) -> Option<u64> {
    if text.starts_with('-') {
        return Some(0);
    }
    Some(text.parse::<u64>().unwrap_or(u64::MAX))
}

fn json_size(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_i64().map(|_| 0))
            .or_else(|| n.as_f64().map(|f| if f <= 0.0 { 0 } else { f as u64 })),
        _ => None,
    }
}

/// The integer defaults of the operation's variables.
fn variable_defaults(op: &cst::OperationDefinition) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let Some(defs) = op.variable_definitions() else {
        return out;
    };
    for d in defs.variable_definitions() {
        let name = d
            .variable()
            .and_then(|v| v.name())
            .map(|n| n.text().to_string());
        let value = d.default_value().and_then(|v| v.value());
        if let (Some(name), Some(Value::IntValue(i))) = (name, value) {
            if let Some(n) = int(&i.syntax().text().to_string()) {
                out.insert(name, n);
            }
        }
    }
    out
}
