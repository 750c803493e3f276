//! JSON reports checked against the shapes `docs/json.md` documents. Each
//! report's example there is a fenced block whose info string is
//! `json <report>` (several names when reports share a shape). A report
//! matches its example when:
//! - it is an object whose `report` and `version` match, with every
//!   top-level field of the example present;
//! - every field it has, at any depth, is in the example (a field named `*`
//!   stands for any key of a map), with the example's JSON type;
//! - every element of an array matches the example's first element, except
//!   where the example's array has several elements: then it is a tuple
//!   (`["structure", 0.07]`), matched position by position;
//! - `null` in the report stands for "none" and matches anything; `null` in
//!   the example leaves the value unchecked;
//! - the string `"$ref:NAME"` in the example stands for report NAME's
//!   example without its `report` and `version` fields.

use serde_json::Value;

/// The documented example of `report`.
pub fn documented(report: &str) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/json.md");
    let text = std::fs::read_to_string(path).expect("read docs/json.md");
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```json ") else { continue };
        if !info.split_whitespace().any(|n| n == report) {
            continue;
        }
        let block: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
        return serde_json::from_str(&block.join("\n"))
            .unwrap_or_else(|e| panic!("docs/json.md: the {report} example is not JSON: {e}"));
    }
    panic!("docs/json.md documents no `{report}` report (a ```json {report} block)");
}

/// Parses `stdout` and checks it against the documented `report` (see the
/// module docs). Returns the parsed report.
#[track_caller]
pub fn check(report: &str, stdout: &str) -> Value {
    let doc: Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}"));
    let example = documented(report);
    assert_eq!(doc["report"], report, "wrong `report` field:\n{stdout}");
    assert_eq!(doc["version"], 1, "wrong `version` field:\n{stdout}");
    let fields = example.as_object().expect("an example is an object");
    for key in fields.keys() {
        assert!(doc.get(key).is_some(), "{report}: documented field `{key}` missing:\n{stdout}");
    }
    let mut errors = vec![];
    compare(&example, &doc, report, &mut errors);
    assert!(
        errors.is_empty(),
        "{report} does not match docs/json.md:\n{}\n{stdout}",
        errors.join("\n")
    );
    doc
}

fn compare(example: &Value, actual: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(name) = example.as_str().and_then(|s| s.strip_prefix("$ref:")) {
        let mut referenced = documented(name);
        let fields = referenced.as_object_mut().expect("an example is an object");
        fields.remove("report");
        fields.remove("version");
        return compare(&referenced, actual, path, errors);
    }
    match (example, actual) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(ex), Value::Object(got)) => {
            for (key, value) in got {
                let here = format!("{path}.{key}");
                match ex.get(key).or_else(|| ex.get("*")) {
                    Some(ex_value) => compare(ex_value, value, &here, errors),
                    None => errors.push(format!("{here}: not documented")),
                }
            }
        }
        (Value::Array(ex), Value::Array(got)) if ex.len() > 1 => {
            if ex.len() != got.len() {
                errors.push(format!(
                    "{path}: documented as a {}-tuple, has {}",
                    ex.len(),
                    got.len()
                ));
            }
            for (i, (e, value)) in ex.iter().zip(got).enumerate() {
                compare(e, value, &format!("{path}[{i}]"), errors);
            }
        }
        (Value::Array(ex), Value::Array(got)) => {
            if let Some(first) = ex.first() {
                for (i, value) in got.iter().enumerate() {
                    compare(first, value, &format!("{path}[{i}]"), errors);
                }
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_)) => {}
        (ex, got) => errors.push(format!("{path}: documented as {}, is {}", kind(ex), kind(got))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
