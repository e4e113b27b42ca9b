use super::*;

const TOL: Tolerances = Tolerances::DEFAULT;

#[test]
fn per_pod_targets() {
    // (what, usage milli, target milli, status replicas, want replicas, want average)
    type Row = (&'static str, i64, i64, i32, i32, i64);
    let cases: &[Row] = &[
        (
            "12 items, 5 per pod, 1 pod: 3 pods",
            12_000,
            5_000,
            1,
            3,
            12_000,
        ),
        ("on target", 10_000, 5_000, 2, 2, 5_000),
        ("9% over: within tolerance", 10_900, 5_000, 2, 2, 5_450),
        ("11% over: scale", 11_100, 5_000, 2, 3, 5_550),
        (
            "exactly 10% under: within tolerance",
            9_000,
            5_000,
            2,
            2,
            4_500,
        ),
        ("half the target: half the pods", 10_000, 5_000, 4, 2, 2_500),
        (
            "no pods yet: the total decides",
            12_000,
            5_000,
            0,
            3,
            12_000,
        ),
        ("no pods and nothing to do: zero", 0, 5_000, 0, 0, 0),
    ];
    for (what, usage, target, status, want, average) in cases {
        assert_eq!(
            per_pod(*usage, *target, *status, TOL),
            (*want, *average),
            "{what}"
        );
    }
}

#[test]
fn total_targets() {
    // (what, usage, target, current, (pods, ready), want)
    type Row = (
        &'static str,
        i64,
        i64,
        i32,
        (i32, i32),
        Result<i32, &'static str>,
    );
    let no_pods = "unable to calculate ready pods: no pods returned by selector while \
                   calculating replica count";
    let cases: &[Row] = &[
        // the documentation's example: 200m against 100m doubles
        ("200m vs 100m: double", 200, 100, 3, (3, 3), Ok(6)),
        // ... and 50m against 100m halves
        ("50m vs 100m: half", 50, 100, 4, (4, 4), Ok(2)),
        ("within tolerance: current", 105, 100, 3, (3, 3), Ok(3)),
        ("ratio times ready pods only", 200, 100, 3, (3, 1), Ok(2)),
        (
            "no pods behind the target: error",
            200,
            100,
            3,
            (0, 0),
            Err(no_pods),
        ),
        (
            "scale-to-zero HPA at zero: ratio alone",
            250,
            100,
            0,
            (0, 0),
            Ok(3),
        ),
    ];
    for (what, usage, target, current, pods, want) in cases {
        let got = on_total(*usage, *target, *current, *pods, TOL);
        assert_eq!(got, want.map_err(String::from), "{what}");
    }
}

fn pod(usage: Option<f64>, request: f64, ready: bool) -> PodSample {
    PodSample {
        usage,
        request,
        ready,
    }
}

#[test]
fn per_pod_samples_rules() {
    // (what, pods, current, target, want replicas)
    type Row = (
        &'static str,
        Vec<PodSample>,
        i32,
        PodTarget,
        Result<i32, &'static str>,
    );
    let cpu = |usage| pod(Some(usage), 1.0, true);
    let util = PodTarget::Utilization(50);
    let cases: Vec<Row> = vec![
        (
            "2 pods at 100% of request, target 50%: 4",
            vec![cpu(1.0), cpu(1.0)],
            2,
            util,
            Ok(4),
        ),
        (
            "at 54%: within tolerance",
            vec![cpu(0.54), cpu(0.54)],
            2,
            util,
            Ok(2),
        ),
        (
            "utilization is truncated to a whole percent",
            vec![cpu(0.5509)],
            1,
            util,
            Ok(1),
        ),
        (
            "2 pods at 25%: 1",
            vec![cpu(0.25), cpu(0.25)],
            2,
            util,
            Ok(1),
        ),
        (
            // scale-down with a pod lacking metrics: that pod is assumed at its full request,
            // which turns the ratio around: no change
            "missing metrics damp a scale-down",
            vec![cpu(0.25), pod(None, 1.0, true)],
            2,
            util,
            Ok(2),
        ),
        (
            // scale-up while a pod is still starting: it is assumed idle, so 110% of request
            // on one pod becomes 55% over two, within 10% of the 50% target: no change
            // (ceil(2.2 × 1) = 3 without the rule)
            "unready pods assumed idle on scale-up",
            vec![cpu(1.1), pod(None, 1.0, false)],
            2,
            util,
            Ok(2),
        ),
        (
            "average value target",
            vec![cpu(3.0), cpu(3.0)],
            2,
            PodTarget::AverageValue(1000),
            Ok(6),
        ),
        (
            "no pods",
            vec![],
            2,
            util,
            Err("no pods returned by selector while calculating replica count"),
        ),
        (
            "only unready pods",
            vec![pod(Some(1.0), 1.0, false)],
            1,
            util,
            Err("did not receive metrics for targeted pods (pods might be unready)"),
        ),
        (
            "no requests to divide by",
            vec![pod(Some(1.0), 0.0, true)],
            1,
            util,
            Err("no metrics returned matched known pods"),
        ),
    ];
    for (what, pods, current, target, want) in cases {
        let got = per_pod_samples(&pods, current, target, TOL).map(|p| p.replicas);
        assert_eq!(got, want.map_err(String::from), "{what}");
    }
}
