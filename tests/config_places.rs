//! Config errors point at their place: `file:line:column` and the line with a marker under
//! the offending value, as rustc shows them, in file order. The checker's messages are pinned
//! word for word in tests/config_check.rs; these tests break the example routes/ and check
//! where each message lands.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use gatehouse_config::check::SourceFile;
use gatehouse_config::files::{read_routes, report};
use gatehouse_config::locate::{locate, Diagnostic};
use std::path::Path;
use support::schema_agreement::check;

fn examples() -> Vec<SourceFile> {
    read_routes(&Path::new(env!("CARGO_MANIFEST_DIR")).join("routes")).expect("routes/ reads")
}

/// The examples with `from` replaced by `to` (once) in `file`.
fn broken(file: &str, from: &str, to: &str) -> Vec<SourceFile> {
    let mut files = examples();
    let f = files
        .iter_mut()
        .find(|f| f.path == file)
        .expect("file exists");
    assert!(f.text.contains(from), "{file} has {from:?}");
    f.text = f.text.replacen(from, to, 1);
    files
}

fn diagnostics(files: &[SourceFile]) -> Vec<Diagnostic> {
    let errors = check(files).expect_err("the broken config is refused");
    locate(files, &errors)
}

/// 1-based line and column of the `nth` occurrence of `needle` in `file`.
fn place_of(files: &[SourceFile], file: &str, needle: &str, nth: usize) -> (usize, usize) {
    let text = &files.iter().find(|f| f.path == file).unwrap().text;
    let at = text
        .match_indices(needle)
        .nth(nth)
        .expect("needle present")
        .0;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (
        text[..at].matches('\n').count() + 1,
        text[line_start..at].chars().count() + 1,
    )
}

fn only(ds: Vec<Diagnostic>, message_part: &str) -> Diagnostic {
    let found: Vec<Diagnostic> = ds
        .into_iter()
        .filter(|d| d.message.contains(message_part))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one error says {message_part:?}: {found:#?}"
    );
    found.into_iter().next().unwrap()
}

#[test]
fn an_undefined_upstream_points_at_the_routes_upstream_value() {
    let file = "routes/v2/users.toml";
    let files = broken(file, "upstream = \"users\"", "upstream = \"userz\"");
    let d = only(diagnostics(&files), "upstream \"userz\" is not defined");
    assert_eq!(d.file, file);
    let (line, col) = place_of(&files, file, "\"userz\"", 0);
    assert_eq!((d.line, d.column, d.width), (line, col, "\"userz\"".len()));
    assert_eq!(d.source, "upstream = \"userz\"");
}

#[test]
fn a_toml_syntax_error_points_where_the_parser_stopped() {
    let file = "routes/v2/users.toml";
    let mut files = examples();
    let f = files.iter_mut().find(|f| f.path == file).unwrap();
    f.text.push_str("\n[[route\n");
    let lines = f.text.lines().count();
    let d = only(diagnostics(&files), "invalid table header");
    assert_eq!((d.file.as_str(), d.line, d.column), (file, lines, 8));
    assert_eq!(d.source, "[[route");
}

#[test]
fn a_refused_array_element_is_marked_not_the_whole_array() {
    let file = "routes/gateway.toml";
    let files = broken(
        file,
        "algorithms = [\"RS256\", \"PS256\", \"ES256\", \"EdDSA\"]",
        "algorithms = [\"none\", \"RS256\"]",
    );
    let d = only(diagnostics(&files), "\"none\" is never accepted");
    let (line, col) = place_of(&files, file, "\"none\"", 0);
    assert_eq!((d.line, d.column, d.width), (line, col, 6));
}

#[test]
fn an_inline_policy_error_points_at_that_policy() {
    let file = "routes/v1/account.toml";
    let inline = "{ kind = \"require\", scopes = [\"orders:read\"] }";
    let files = broken(
        file,
        &format!("policies = [\"user-jwt\", {inline}]"),
        &format!("policies = [{inline}]"),
    );
    let d = only(diagnostics(&files), "needs an authentication policy");
    let (line, col) = place_of(&files, file, inline, 0);
    assert_eq!((d.line, d.column), (line, col));
}

#[test]
fn an_unknown_key_points_at_the_key_the_parser_named() {
    let file = "routes/v2/users.toml";
    let files = broken(
        file,
        "upstream = \"users\"",
        "upstream = \"users\"\ntimeout_typo = \"5s\"",
    );
    let d = only(diagnostics(&files), "timeout_typo");
    assert_eq!(d.file, file);
    assert_eq!(d.source, "timeout_typo = \"5s\"");
}

#[test]
fn an_upstream_error_points_inside_its_table() {
    let file = "routes/gateway.toml";
    let text = &examples()
        .into_iter()
        .find(|f| f.path == file)
        .unwrap()
        .text;
    let (name, from) = text
        .lines()
        .scan(None, |up, l| {
            if let Some(n) = l
                .strip_prefix("[upstreams.")
                .and_then(|r| r.strip_suffix(']'))
            {
                *up = Some(n.to_string());
            }
            Some(
                up.clone()
                    .filter(|_| l.starts_with("timeout = "))
                    .map(|n| (n, l.to_string())),
            )
        })
        .flatten()
        .next()
        .expect("an upstream with a timeout");
    let files = broken(file, &from, "timeout = \"soon\"");
    let d = only(
        diagnostics(&files),
        &format!("upstream \"{name}\": timeout"),
    );
    let (line, col) = place_of(&files, file, "\"soon\"", 0);
    assert_eq!((d.line, d.column), (line, col));
}

#[test]
fn a_json_schema_error_points_at_the_member_its_pointer_names() {
    let file = "routes/schemas/signup.json";
    let files = broken(file, "\"minimum\": 13", "\"minimum\": \"13\"");
    let d = only(diagnostics(&files), file);
    let (line, _) = place_of(&files, file, "\"minimum\": \"13\"", 0);
    assert_eq!(d.line, line, "{d}");
}

#[test]
fn several_errors_are_all_reported_in_file_order() {
    let mut files = broken(
        "routes/v2/users.toml",
        "upstream = \"users\"",
        "upstream = \"userz\"",
    );
    let f = files
        .iter_mut()
        .find(|f| f.path == "routes/gateway.toml")
        .unwrap();
    f.text = f.text.replacen(
        "algorithms = [\"RS256\", \"PS256\", \"ES256\", \"EdDSA\"]",
        "algorithms = [\"none\"]",
        1,
    );
    let f = files
        .iter_mut()
        .find(|f| f.path == "routes/v1/users.toml")
        .unwrap();
    f.text = f
        .text
        .replacen("upstream = \"users\"", "upstream = \"nope\"", 1);
    let ds = diagnostics(&files);
    assert!(ds.len() >= 3, "{ds:#?}");
    let places: Vec<(&str, usize)> = ds.iter().map(|d| (d.file.as_str(), d.line)).collect();
    let mut sorted = places.clone();
    sorted.sort();
    assert_eq!(places, sorted);
    assert_eq!(places.first().unwrap().0, "routes/gateway.toml");
    assert_eq!(places.last().unwrap().0, "routes/v2/users.toml");
}

#[test]
fn the_report_shows_message_place_line_and_marker_like_rustc() {
    let file = "routes/v2/users.toml";
    let files = broken(file, "upstream = \"users\"", "upstream = \"userz\"");
    let errors = check(&files).unwrap_err();
    let text = report(&files, &errors);
    let (line, col) = place_of(&files, file, "\"userz\"", 0);
    let expected = format!(
        "error: {file}: route \"v2-get-user\": upstream \"userz\" is not defined in routes/gateway.toml [upstreams]\n\
         {pad}--> {file}:{line}:{col}\n\
         {pad} |\n\
         {line} | upstream = \"userz\"\n\
         {pad} | {spaces}^^^^^^^\n",
        pad = " ".repeat(line.to_string().len()),
        spaces = " ".repeat(col - 1),
    );
    assert!(text.contains(&expected), "{text}");
    assert!(
        text.starts_with("Gatehouse: routes/ has 1 problem(s):"),
        "{text}"
    );
}

#[test]
fn every_example_error_message_from_the_checker_tests_gets_a_file_place() {
    // Messages that name a file that was read always get a line in it, never line 0.
    let cases = [
        broken(
            "routes/v2/users.toml",
            "path = \"/users/{id}\"",
            "path = \"users/{id}\"",
        ),
        broken("routes/gateway.toml", "[upstreams.", "[upstreams.Bad"),
        broken("routes/v1/version.toml", "deprecated = ", "deprecatd = "),
    ];
    for files in cases {
        for d in diagnostics(&files) {
            assert!(!d.file.is_empty() && d.line >= 1 && d.column >= 1, "{d:#?}");
        }
    }
}

#[test]
fn a_policy_that_fails_its_check_is_reported_once_not_where_routes_name_it() {
    let files = broken(
        "routes/gateway.toml",
        "algorithms = [\"RS256\", \"PS256\", \"ES256\", \"EdDSA\"]",
        "algorithms = [\"none\", \"RS256\"]",
    );
    let errors = check(&files).unwrap_err();
    assert_eq!(
        errors,
        ["routes/gateway.toml: policy \"user-jwt\": algorithms: \"none\" is never accepted"]
    );
}

#[test]
fn an_undefined_policy_is_still_reported_where_a_route_names_it() {
    let files = broken("routes/v1/web.toml", "\"user-jwt\"", "\"user-jwd\"");
    let d = only(diagnostics(&files), "policy \"user-jwd\" is not defined");
    let (line, col) = place_of(&files, "routes/v1/web.toml", "\"user-jwd\"", 0);
    assert_eq!((d.line, d.column), (line, col));
}

#[test]
fn columns_count_characters_not_bytes() {
    let file = "routes/gateway.toml";
    let mut files = examples();
    let f = files.iter_mut().find(|f| f.path == file).unwrap();
    f.text.push_str("\n[extra]\ntitle = \"ééééé\" x\n");
    let d = only(diagnostics(&files), "line ");
    assert_eq!(d.source, "title = \"ééééé\" x");
    assert_eq!(d.column, "title = \"ééééé\" ".chars().count() + 1, "{d}");
    let (line, _) = place_of(&files, file, "title = \"ééééé\" x", 0);
    assert!(
        d.message
            .contains(&format!("line {line}, column {}:", d.column)),
        "{d}"
    );
}

#[test]
fn a_bare_carriage_return_gets_a_message_not_an_empty_one() {
    let file = "routes/v2/users.toml";
    let mut files = examples();
    files
        .iter_mut()
        .find(|f| f.path == file)
        .unwrap()
        .text
        .push_str("# x\ry\n");
    let d = only(diagnostics(&files), "carriage return");
    assert!(
        d.message
            .ends_with("a carriage return must be followed by a newline"),
        "{d}"
    );
}

#[test]
fn a_file_name_that_looks_like_a_place_never_panics() {
    let mut files = examples();
    files.push(SourceFile {
        path: "routes/v1/users.toml: line 0, column 0: z.toml".into(),
        text: "x = ".into(),
    });
    files.push(SourceFile {
        path: "routes/v1/empty.toml".into(),
        text: String::new(),
    });
    let errors = check(&files).unwrap_err();
    let ds = locate(&files, &errors);
    assert_eq!(ds.len(), errors.len());
    let weird = ds
        .iter()
        .find(|d| d.file == "routes/v1/users.toml: line 0, column 0: z.toml")
        .expect("placed in the file whose whole name the message starts with");
    assert!(weird.line >= 1 && weird.column >= 1, "{weird:#?}");
}
