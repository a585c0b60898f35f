//! The checker's rules for LLM routes: provider upstreams, `kind = "llm"`, `unit = "tokens"`
//! rate limits and where they stand. Each broken config fails with its exact message.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use gatehouse_config::check::SourceFile;
use gatehouse_config::kinds::Policy;
use gatehouse_config::table::upstream::ProviderKind;
use support::schema_agreement::check;

/// A gateway with two providers, a token limit and an llm policy; `extra` is appended.
fn gateway(extra: &str) -> String {
    format!(
        r#"[gateway]
plans = ["free", "gold"]

[upstreams.origin]
url = "http://127.0.0.1:9001"

[upstreams.oa]
provider = "openai"
key = "${{OA_KEY}}"

[upstreams.an]
provider = "anthropic"
url = "${{AN_URL}}"
key = "${{AN_KEY}}"

[upstreams.edge]
provider = "workers-ai"

[policies.key]
kind = "api_key"
bearer = true
store = "API_KEYS"

[policies.tokens]
kind = "rate_limit"
unit = "tokens"
key = "consumer"
limits = [{{ name = "t", limit = 1000, per = "day" }}]

[policies.ai]
kind = "llm"
models.fast = [{{ provider = "oa", model = "gpt-x" }}, {{ provider = "an", model = "claude-x" }}]
models.edge = [{{ provider = "edge", model = "@cf/meta/llama" }}]
prices."gpt-x" = {{ input = 0.15, output = 0.6 }}
plans.free = {{ models = ["fast"], max_tokens = 64, max_prompt = "4KiB" }}
{extra}
"#
    )
}

const CHAT: &str = r#"
[[route]]
id = "chat"
methods = ["POST"]
path = "/chat/completions"
policies = ["key", "tokens", "ai"]
"#;

fn files(gateway: &str, routes: &str) -> Vec<SourceFile> {
    vec![
        SourceFile {
            path: "routes/gateway.toml".into(),
            text: gateway.into(),
        },
        SourceFile {
            path: "routes/v1/ai.toml".into(),
            text: routes.into(),
        },
    ]
}

fn errors_for(gateway: &str, routes: &str) -> Vec<String> {
    check(&files(gateway, routes)).err().unwrap_or_default()
}

#[test]
fn a_valid_llm_gateway_compiles_providers_aliases_and_guards() {
    let checked = check(&files(&gateway(""), CHAT)).expect("valid");
    let table = gatehouse_config::emit::table(&checked);
    let oa = table.upstreams.iter().find(|u| u.name == "oa").unwrap();
    let p = oa.provider.expect("a provider");
    assert_eq!(p.kind, ProviderKind::OpenAi);
    assert_eq!(
        p.key,
        Some("OA_KEY"),
        "the key is the secret's name, never a value"
    );
    assert_eq!(
        oa.targets[0].id, "https://api.openai.com/v1",
        "openai's default base"
    );
    let edge = table.upstreams.iter().find(|u| u.name == "edge").unwrap();
    assert_eq!(edge.provider.unwrap().binding, Some("AI"));
    assert!(
        edge.targets.is_empty(),
        "workers-ai is reached through its binding"
    );
    let ai = table
        .policies
        .iter()
        .find_map(|p| match p {
            Policy::Llm(l) => Some(l),
            _ => None,
        })
        .unwrap();
    let fast = ai.models.iter().find(|a| a.name == "fast").unwrap();
    let names: Vec<(&str, &str)> = fast
        .targets
        .iter()
        .map(|t| (table.upstreams[usize::from(t.upstream)].name, t.model))
        .collect();
    assert_eq!(names, [("oa", "gpt-x"), ("an", "claude-x")]);
    assert_eq!(ai.guard(Some("free")), (Some(&["fast"][..]), 64, 4096));
    assert_eq!(
        ai.guard(Some("gold")),
        (None, 4096, 1 << 20),
        "no entry: the policy's own"
    );
    assert_eq!(ai.price("gpt-x").map(|p| p.output), Some(0.6));
    let tokens = table
        .policies
        .iter()
        .find_map(|p| match p {
            Policy::RateLimit(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert!(tokens.tokens);
}

#[test]
fn broken_provider_upstreams_fail_with_the_upstream_and_rule() {
    let cases: &[(&str, &str)] = &[
        ("[upstreams.x]\nprovider = \"openai\"\nkey = \"sk-live-123\"", "routes/gateway.toml: upstream \"x\": key: a provider key is a secret: write \"${VAR}\" and set it with `wrangler secret put VAR`, never the key itself"),
        ("[upstreams.x]\nprovider = \"openai\"", "routes/gateway.toml: upstream \"x\": provider = \"openai\" needs key = \"${VAR}\" (the API key, a secret)"),
        ("[upstreams.x]\nprovider = \"mistral\"", "routes/gateway.toml: upstream \"x\": provider \"mistral\": use \"openai\", \"anthropic\", \"openai-compatible\" or \"workers-ai\""),
        ("[upstreams.x]\nprovider = \"openai-compatible\"", "routes/gateway.toml: upstream \"x\": provider = \"openai-compatible\" needs url (the API's base, e.g. \"https://host/v1\")"),
        ("[upstreams.x]\nprovider = \"workers-ai\"\nurl = \"https://x\"", "routes/gateway.toml: upstream \"x\": provider = \"workers-ai\" is reached through its binding: no url, targets or key"),
        ("[upstreams.x]\nurl = \"https://x\"\nkey = \"${K}\"", "routes/gateway.toml: upstream \"x\": key and binding are only used with provider = ..."),
        ("[upstreams.x]\nprovider = \"openai\"\nkey = \"${K}\"\nmirror = { upstream = \"origin\" }", "routes/gateway.toml: upstream \"x\": a provider upstream has no mirror, canary or fallback: list other providers in the llm policy's models instead"),
        ("[upstreams.x]\nurl = \"https://x\"\nmirror = { upstream = \"oa\" }", "routes/gateway.toml: upstream \"x\": \"oa\" is an LLM provider: only an llm policy's models reach it"),
    ];
    for (extra, expected) in cases {
        let errors = errors_for(&gateway(extra), CHAT);
        assert!(
            errors.iter().any(|e| e == expected),
            "{extra}\n got {errors:?}"
        );
    }
}

#[test]
fn broken_llm_policies_fail_with_the_policy_and_rule() {
    let p = |body: &str| gateway(&format!("[policies.bad]\nkind = \"llm\"\n{body}"));
    let cases: Vec<(String, &str)> = vec![
        (p("models = {}"), "routes/gateway.toml: policy \"bad\": models: name at least one alias, e.g. models.fast = [{ provider = \"openai\", model = \"gpt-4o-mini\" }]"),
        (p("models.a = [{ provider = \"origin\", model = \"m\" }]"), "routes/gateway.toml: policy \"bad\": models.\"a\": upstream \"origin\" is not an LLM provider (set provider = \"openai\", \"anthropic\", \"openai-compatible\" or \"workers-ai\")"),
        (p("models.a = [{ provider = \"nope\", model = \"m\" }]"), "routes/gateway.toml: policy \"bad\": models.\"a\": provider \"nope\" is not defined in routes/gateway.toml [upstreams]"),
        (p("models.a = []"), "routes/gateway.toml: policy \"bad\": models.\"a\": list 1 to 8 { provider, model } entries"),
        (p("models.a = [{ provider = \"oa\", model = \"has space\" }]"), "routes/gateway.toml: policy \"bad\": models.\"a\": model \"has space\" must be 1 to 256 characters without spaces or control characters"),
        (p("models.a = [{ provider = \"oa\", model = \"m\" }]\nprices.m = { input = -1.0, output = 1.0 }"), "routes/gateway.toml: policy \"bad\": prices.\"m\": input and output are USD per million tokens, 0 or more"),
        (p("models.a = [{ provider = \"oa\", model = \"m\" }]\nprices.other = { input = 1.0, output = 1.0 }"), "routes/gateway.toml: policy \"bad\": prices.\"other\": no alias uses this model (prices are keyed by the provider's model name)"),
        (p("models.a = [{ provider = \"oa\", model = \"m\" }]\nmax_tokens = 0"), "routes/gateway.toml: policy \"bad\": max_tokens: must be 1 to 1000000"),
        (p("models.a = [{ provider = \"oa\", model = \"m\" }]\nplans.platinum = { max_tokens = 5 }"), "routes/gateway.toml: policy \"bad\": plans.platinum: not a plan in [gateway] plans (free, gold)"),
        (p("models.a = [{ provider = \"oa\", model = \"m\" }]\nplans.free = { models = [\"b\"] }"), "routes/gateway.toml: policy \"bad\": plans.free.models: \"b\" is not an alias in models"),
        (p("models.a = [{ provider = \"oa\", model = \"m\" }]\ncache = { ttl = \"25h\" }"), "routes/gateway.toml: policy \"bad\": cache.ttl: must be 1s to 24h"),
        (gateway("[policies.bad]\nkind = \"rate_limit\"\nunit = \"tokens\"\nkey = \"ip\"\nmode = \"leased\"\nlimits = [{ name = \"a\", limit = 100, window = \"1s\" }]"), "routes/gateway.toml: policy \"bad\": mode = \"leased\" counts requests; a unit = \"tokens\" limit is always exact"),
        (gateway("[policies.bad]\nkind = \"rate_limit\"\nunit = \"bytes\"\nkey = \"ip\"\nlimits = [{ name = \"a\", limit = 100, window = \"1s\" }]"), "routes/gateway.toml: policy \"bad\": unit: \"bytes\" is not \"requests\" or \"tokens\""),
        (gateway("[policies.bad]\nkind = \"api_key\"\nbearer = true\nheader = \"x-key\"\nstore = \"K\""), "routes/gateway.toml: policy \"bad\": bearer: the key comes in Authorization; leave header and query out"),
    ];
    for (g, expected) in &cases {
        let errors = errors_for(g, CHAT);
        assert!(errors.iter().any(|e| e == expected), "{g}\n got {errors:?}");
    }
}

#[test]
fn llm_routes_and_token_limits_stand_where_they_work() {
    let route = |extra: &str| {
        format!(
            "[[route]]\nid = \"r\"\nmethods = [\"POST\"]\npath = \"/chat/completions\"\n{extra}\n"
        )
    };
    let cases: Vec<(String, &str)> = vec![
        (route("policies = [\"key\", \"ai\", \"tokens\"]"), "routes/v1/ai.toml: route \"r\": policy \"tokens\" (rate_limit with unit = \"tokens\") must come before policy \"ai\" (llm), which reserves the tokens"),
        (route("upstream = \"origin\"\npolicies = [\"key\", \"tokens\"]"), "routes/v1/ai.toml: route \"r\": policy \"tokens\" (rate_limit with unit = \"tokens\") needs an llm policy after it on the route"),
        (route("upstream = \"origin\"\npolicies = [\"key\", \"ai\"]"), "routes/v1/ai.toml: route \"r\": a route with an llm policy sets no upstream or fan_out: its models name the providers"),
        ("[[route]]\nid = \"r\"\nmethods = [\"GET\", \"POST\"]\npath = \"/chat/completions\"\npolicies = [\"ai\"]\n".into(), "routes/v1/ai.toml: route \"r\": a route with policy \"ai\" (llm) serves POST only"),
        ("[[route]]\nid = \"r\"\nmethods = [\"POST\"]\npath = \"/complete\"\npolicies = [\"ai\"]\n".into(), "routes/v1/ai.toml: route \"r\": path \"/complete\": a route with an llm policy ends in /chat/completions or /embeddings (OpenAI's API)"),
        ("[[route]]\nid = \"r\"\nmethods = [\"POST\"]\npath = \"/x\"\nupstream = \"oa\"\n".into(), "routes/v1/ai.toml: route \"r\": upstream \"oa\" is an LLM provider: only an llm policy's models reach it"),
        ("[[route]]\nid = \"r\"\nmethods = [\"POST\"]\npath = \"/x\"\n".into(), "routes/v1/ai.toml: route \"r\": missing key `upstream` (or fan_out parts)"),
        // The llm policy has its own answer cache: a response cache on the route would store
        // answers past the token limit and the plan's guards.
        (route("policies = [\"key\", { kind = \"cache\", ttl = \"60s\" }, \"ai\"]"), "routes/v1/ai.toml: route \"r\": policy \"r#2\" (cache) cannot share a route with policy \"ai\" (llm): the llm policy has its own answer cache"),
    ];
    for (r, expected) in &cases {
        let errors = errors_for(&gateway(""), r);
        assert!(errors.iter().any(|e| e == expected), "{r}\n got {errors:?}");
    }
}
