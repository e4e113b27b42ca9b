use super::*;

/// A formula, the trigger values it is run with, and the value it must give.
type Case = (
    &'static str,
    &'static [(&'static str, Option<f64>)],
    Option<f64>,
);

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn values(pairs: &[(&str, Option<f64>)]) -> BTreeMap<String, Option<f64>> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn keda_documented_formulas_evaluate_as_in_go() {
    const T1: &str = "trig_one";
    const T2: &str = "trig_two";
    const T3: &str = "trig_three";
    #[rustfmt::skip]
    let cases: &[Case] = &[
        // scaling-modifiers/01: `/` is always float division, as in Go expr
        ("(trig_one + trig_two)/2", &[(T1, Some(3.0)), (T2, Some(4.0))], Some(3.5)),
        // 03: the ternary picks an int literal; KEDA's float() wrap makes it a float
        ("trig_one > 2 ? trig_one + trig_two : 1", &[(T1, Some(3.0)), (T2, Some(5.0))], Some(8.0)),
        ("trig_one > 2 ? trig_one + trig_two : 1", &[(T1, Some(1.0)), (T2, Some(5.0))], Some(1.0)),
        // 04: count with a `#` predicate
        ("count([trig_one,trig_two,trig_three],{#>1}) > 1 ? 5 : 0",
            &[(T1, Some(2.0)), (T2, Some(2.0)), (T3, Some(0.0))], Some(5.0)),
        ("count([trig_one,trig_two,trig_three],{#>1}) > 1 ? 5 : 0",
            &[(T1, Some(2.0)), (T2, Some(0.0)), (T3, Some(0.0))], Some(0.0)),
        // 05: nested ternaries associate to the right
        ("trig_one < 2 ? trig_one+trig_two >= 2 ? 5 : 10 : 0", &[(T1, Some(1.0)), (T2, Some(1.0))], Some(5.0)),
        ("trig_one < 2 ? trig_one+trig_two >= 2 ? 5 : 10 : 0", &[(T1, Some(1.0)), (T2, Some(0.0))], Some(10.0)),
        ("trig_one < 2 ? trig_one+trig_two >= 2 ? 5 : 10 : 0", &[(T1, Some(3.0)), (T2, Some(0.0))], Some(0.0)),
        // 06 and fallback/02: `??` skips failed (nil) triggers, then the literal
        ("best ?? slower ?? backup ?? 8", &[("best", None), ("slower", Some(4.0)), ("backup", Some(1.0))], Some(4.0)),
        ("best ?? slower ?? backup ?? 8", &[("best", None), ("slower", None), ("backup", None)], Some(8.0)),
        // without a literal every trigger failing gives nil: KEDA then uses fallback.replicas
        ("best ?? slower", &[("best", None), ("slower", None)], None),
        // a formula already starting with float( is left alone
        ("float(trig_one) * 2", &[(T1, Some(1.5))], Some(3.0)),
        // builtins KEDA users reach for
        ("max(trig_one, trig_two)", &[(T1, Some(1.0)), (T2, Some(7.5))], Some(7.5)),
        ("min(trig_one, 2)", &[(T1, Some(3.0))], Some(2.0)),
        ("abs(trig_one)", &[(T1, Some(-2.5))], Some(2.5)),
        ("int(trig_one)", &[(T1, Some(2.7))], Some(2.0)),
        ("ceil(trig_one / 2)", &[(T1, Some(3.0))], Some(2.0)),
        ("trig_one > 1 && trig_two < 2 ? 1 : 0", &[(T1, Some(3.0)), (T2, Some(1.0))], Some(1.0)),
        ("trig_one ** 2", &[(T1, Some(3.0))], Some(9.0)),
        // `let` bindings are not trigger names; KEDA's textual float(...) wrap would break this
        // in the Rust grammar, which is why the conversion is applied to the result instead
        ("let doubled = trig_one * 2; doubled + 1", &[(T1, Some(2.0))], Some(5.0)),
        // KEDA's own ?? rewrite, written out by hand, is taken as it is
        ("let _kedaCompositeResult = (trig_one ?? 2); _kedaCompositeResult == nil ? nil : float(_kedaCompositeResult)",
            &[(T1, None)], Some(2.0)),
        // a trailing comment (textually wrapped, KEDA would comment out its own closing paren)
        ("trig_one * 2 // twice the queue", &[(T1, Some(2.0))], Some(4.0)),
    ];
    for (text, inputs, want) in cases {
        let declared: Vec<String> = inputs.iter().map(|(k, _)| k.to_string()).collect();
        let formula = compile(text, &declared).unwrap_or_else(|e| panic!("{text}: {e}"));
        let got = formula.evaluate_partial(&values(inputs));
        assert_eq!(got, Ok(*want), "{text} with {inputs:?}");
    }
}

#[test]
fn bad_formulas_are_rejected_with_a_reason() {
    #[rustfmt::skip]
    let cases: &[(&str, &[&str], &str)] = &[
        // nothing to compile
        ("", &["a"], "syntax error at 1:1"),
        // positions refer to the user's text, not KEDA's float(...) rewrite
        ("a +", &["a"], "syntax error at 1:4"),
        ("(a", &["a"], "syntax error at 1:3"),
        // a name that is no trigger's
        ("trig_three + 1", &["trig_one"], "unknown name \"trig_three\"; known names: \"trig_one\""),
        // found even in a branch the dry run never takes (Go's checker would too)
        ("a > 100 ? 1 : nope", &["a"], "unknown name \"nope\""),
        // a hyphenated trigger name cannot be referenced: it parses as a subtraction
        ("my-trigger", &["my-trigger"], "unknown names \"my\", \"trigger\""),
        // without named triggers nothing can be referenced
        ("a", &[], "no trigger has a name"),
        // a comparison is a bool, and float(bool) fails in the dry run, as in Go
        ("a > 1", &["a"], "invalid operation: float(false)"),
        ("'text'", &["a"], "invalid operation: float(text)"),
        // % needs integers (Go rejects float64 % int at compile time)
        ("a % 2", &["a"], "Invalid operands for operator %"),
        // starts with float( so KEDA does not wrap it; the ternary then yields an integer
        ("float(a) > 1 ? 1 : 2", &["a"], "formula result 2 is not a float; a formula that starts with \"float(\" is not converted"),
        // the crate panics on a map literal with a variable value: caught, never a crash
        ("{k: a}.k", &["a"], "the expression engine could not handle this formula"),
    ];
    for (text, declared, fragment) in cases {
        match compile(text, &names(declared)) {
            Ok(_) => panic!("{text:?} compiled"),
            Err(e) => assert!(e.contains(fragment), "{text:?}: {e:?} lacks {fragment:?}"),
        }
    }
}

#[test]
fn referenced_names_ignore_locals_members_and_strings() {
    let formula = compile(
        "let x = 1; count([a, b], {# > x}) + $env.a + len('Ident(\"c\")') + {k: 1}.k",
        &names(&["a", "b", "c", "unused"]),
    )
    .unwrap();
    assert_eq!(formula.variables(), ["a", "b"]);
}

#[test]
fn evaluate_needs_every_variable_and_a_finite_result() {
    let formula = compile("a / b", &names(&["a", "b"])).unwrap();
    let ok = BTreeMap::from([("a".to_string(), 3.0), ("b".to_string(), 2.0)]);
    assert_eq!(formula.evaluate(&ok), Ok(1.5));
    let missing = BTreeMap::from([("a".to_string(), 3.0)]);
    assert_eq!(
        formula.evaluate(&missing),
        Err("no value for trigger \"b\"".into())
    );
    // KEDA would convert +Inf to a nonsense int64 quantity; the engine gets an error instead
    let zero = BTreeMap::from([("a".to_string(), 3.0), ("b".to_string(), 0.0)]);
    assert_eq!(
        formula.evaluate(&zero),
        Err("formula result inf is not a finite number".into())
    );
    let nil = compile("a ?? b", &names(&["a", "b"])).unwrap();
    let none = values(&[("a", None), ("b", None)]);
    assert_eq!(nil.evaluate_partial(&none), Ok(None));
}

#[test]
fn trigger_variables_are_named_non_resource_triggers() {
    let unnamed = ScaleTrigger {
        type_: "redis".into(),
        ..ScaleTrigger::default()
    };
    let named = |type_: &str, name: &str| ScaleTrigger {
        type_: type_.into(),
        name: Some(name.into()),
        ..ScaleTrigger::default()
    };
    let triggers = [
        named("prometheus", "p"),
        named("cpu", "c"),
        unnamed,
        named("memory", "m"),
        named("cron", "k"),
    ];
    assert_eq!(trigger_variables(&triggers), ["p", "k"]);
}
