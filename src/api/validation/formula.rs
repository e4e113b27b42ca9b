//! scalingModifiers formulas (§2.8): the one place a formula is compiled and evaluated, for the
//! admission rules and for the engine that computes the composite metric.
//!
//! KEDA compiles with Go's expr-lang v1.17.8 against `{triggerName: float64}`; the Rust
//! `expr-lang` crate shares its grammar and runtime semantics but has no static type checker.
//! The one thing Go's checker catches that matters here, a name that is not a trigger, we find
//! by walking the compiled program, so a typo in a branch the dry run skips is still reported.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;

use expr::{Context, Program, Value};

use super::is_resource_trigger;
use crate::api::ScaleTrigger;

/// KEDA's wrapper variable for formulas that use `??`.
const RESULT_VAR: &str = "_kedaCompositeResult";
/// KEDA's webhook runs every new formula once with each trigger at this value.
const DRY_RUN_VALUE: f64 = -1.0;
/// expr's own `float()`, applied to a result exactly as KEDA's rewrite applies it.
static TO_FLOAT: LazyLock<Program> =
    LazyLock::new(|| expr::compile(&format!("float({RESULT_VAR})")).expect("constant formula"));

/// KEDA rewrites a formula's text before compiling it: with `??` into
/// `let _kedaCompositeResult = (f); _kedaCompositeResult == nil ? nil : float(_kedaCompositeResult)`
/// (unless it already starts that way), otherwise into `float(f)` unless it starts with `float(`.
/// We compile the text as written and apply the same conversion to its result: the same values,
/// syntax errors located in the user's text, and `let` formulas keep working (the Rust grammar
/// allows `let` only at the top level, not inside `float(...)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conversion {
    /// Starts with `float(` or KEDA's own `let`: the result must already be a float (or nil).
    None,
    /// `float(result)`.
    Float,
    /// `nil` stays nil, anything else becomes `float(result)`.
    NilOrFloat,
}

impl Conversion {
    fn of(formula: &str) -> Conversion {
        if formula.contains("??") {
            if formula.starts_with("let _kedaCompositeResult = ") {
                return Conversion::None;
            }
            return Conversion::NilOrFloat;
        }
        if formula.starts_with("float(") {
            Conversion::None
        } else {
            Conversion::Float
        }
    }
}

/// A compiled formula and the trigger names it reads.
#[derive(Debug, Clone)]
pub struct Formula {
    source: String,
    program: Program,
    conversion: Conversion,
    variables: Vec<String>,
}

/// The names a formula may use, as KEDA builds its environment: every named trigger that is not
/// cpu or memory. Names that are not identifiers (`my-trigger`) are included but unreachable.
pub fn trigger_variables(triggers: &[ScaleTrigger]) -> Vec<String> {
    triggers
        .iter()
        .filter(|t| !is_resource_trigger(&t.type_))
        .filter_map(|t| t.name.clone().filter(|n| !n.is_empty()))
        .collect()
}

/// Compiles `text` as KEDA does, rejects names outside `trigger_names`, and runs it once with
/// every variable at -1, as KEDA's webhook does.
pub fn compile(text: &str, trigger_names: &[String]) -> Result<Formula, String> {
    let program = guarded(|| expr::compile(text)).map_err(|e| one_line(&e))?;
    let variables = free_names(&program);
    let unknown: Vec<&String> = variables
        .iter()
        .filter(|name| !trigger_names.contains(name))
        .collect();
    if !unknown.is_empty() {
        return Err(unknown_names(&unknown, trigger_names));
    }
    let formula = Formula {
        source: text.to_string(),
        program,
        conversion: Conversion::of(text),
        variables,
    };
    let dry_run = formula
        .variables
        .iter()
        .map(|name| (name.clone(), Some(DRY_RUN_VALUE)))
        .collect();
    formula.run(&dry_run)?;
    Ok(formula)
}

impl Formula {
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The trigger names the formula reads, in order of first use.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// The composite value. Every variable needs a value; a nil or non-finite result is an error
    /// (KEDA would turn infinity into a nonsense int64 quantity).
    pub fn evaluate(&self, values: &BTreeMap<String, f64>) -> Result<f64, String> {
        let values = values.iter().map(|(k, v)| (k.clone(), Some(*v))).collect();
        self.evaluate_partial(&values)?
            .ok_or_else(|| "formula returned nil".to_string())
    }

    /// As [`Formula::evaluate`], with `None` for a trigger that failed past its fallback
    /// threshold (`fallback.behavior: scalingModifiers`), seen by the formula as `nil`. A nil
    /// result is `Ok(None)`: KEDA then serves `fallback.replicas * target`.
    pub fn evaluate_partial(
        &self,
        values: &BTreeMap<String, Option<f64>>,
    ) -> Result<Option<f64>, String> {
        if let Some(missing) = self.variables.iter().find(|n| !values.contains_key(*n)) {
            return Err(format!("no value for trigger {missing:?}"));
        }
        match self.run(values)? {
            Some(v) if !v.is_finite() => Err(format!("formula result {v} is not a finite number")),
            result => Ok(result),
        }
    }

    fn run(&self, values: &BTreeMap<String, Option<f64>>) -> Result<Option<f64>, String> {
        let mut context = Context::default();
        for (name, value) in values {
            context.insert(name.clone(), value.map_or(Value::Nil, Value::Float));
        }
        let mut result = guarded(|| expr::run(&self.program, &context))?;
        let convert = match self.conversion {
            Conversion::None => false,
            Conversion::Float => true,
            Conversion::NilOrFloat => !result.is_nil(),
        };
        if convert {
            let mut bound = Context::default();
            bound.insert(RESULT_VAR, result);
            result = guarded(|| expr::run(&TO_FLOAT, &bound))?;
        }
        match result {
            Value::Float(v) => Ok(Some(v)),
            Value::Nil => Ok(None),
            // Only an unconverted formula gets here: float() itself fails on non-numbers.
            other => Err(format!(
                "formula result {other} is not a float; a formula that starts with \"float(\" \
                 is not converted, so all of it must give a float"
            )),
        }
    }
}

/// Runs the expression engine, turning its errors into strings and its rare panics (it has a
/// few `unreachable!`s, e.g. for a map literal with a variable value) into an error, so a user's
/// formula can never take down the webhook or the engine.
fn guarded<T>(f: impl FnOnce() -> expr::Result<T>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("the expression engine could not handle this formula".to_string()),
    }
}

/// Parse errors span several lines (location, excerpt, caret, expectation); keep the location
/// and the expectation, so the message fits on one line of a report.
fn one_line(message: &str) -> String {
    let location = message
        .split_once("--> ")
        .and_then(|(_, rest)| rest.split_whitespace().next());
    let expectation = message
        .lines()
        .rev()
        .find_map(|line| line.trim_start().strip_prefix("= "));
    match (location, expectation) {
        (Some(at), Some(expected)) => format!("syntax error at {at} (line:column): {expected}"),
        _ => message.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// The names a program reads from its environment, in order of first use. The crate exposes no
/// AST, but its `Debug` form names every variable read as `Ident("name")` (string literals are
/// escaped, so they cannot fake one); predicate variables (`#`, `#index`), `$env` and names bound
/// by `let` are not environment reads. The tests pin this down for the crate version in use.
fn free_names(program: &Program) -> Vec<String> {
    let debug = format!("{program:?}");
    let bound = let_bound_names(&debug);
    let mut names: Vec<String> = Vec::new();
    for name in quoted_after(&debug, "Ident(\"") {
        let local = name.starts_with('#') || name == "$env" || bound.contains(&name);
        if !local && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// `let x = ...;` lines print as tuples `("x", <node>)`, the only `("` preceded by `[` or a space.
fn let_bound_names(debug: &str) -> Vec<String> {
    debug
        .match_indices("(\"")
        .filter(|(at, _)| matches!(debug[..*at].chars().last(), Some('[' | ' ')))
        .filter_map(|(at, _)| identifier_at(&debug[at + 2..]))
        .collect()
}

fn quoted_after(debug: &str, prefix: &str) -> Vec<String> {
    debug
        .match_indices(prefix)
        .filter_map(|(at, _)| identifier_at(&debug[at + prefix.len()..]))
        .collect()
}

/// The identifier at the start of `text`, if a closing quote follows it.
fn identifier_at(text: &str) -> Option<String> {
    let end = text.find('"')?;
    let name = &text[..end];
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '#'));
    ok.then(|| name.to_string())
}

fn unknown_names(unknown: &[&String], known: &[String]) -> String {
    let list = |names: &mut dyn Iterator<Item = &String>| {
        names
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let what = if unknown.len() == 1 { "name" } else { "names" };
    let unknown = list(&mut unknown.iter().copied());
    if known.is_empty() {
        format!("unknown {what} {unknown}: no trigger has a name it could be referenced by")
    } else {
        format!(
            "unknown {what} {unknown}; known names: {}",
            list(&mut known.iter())
        )
    }
}

#[cfg(test)]
#[path = "formula_tests.rs"]
mod tests;
