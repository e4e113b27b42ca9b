//! How each file of `../shared/keda-examples` is checked, and what `kedars check` must say.

/// How a file becomes a manifest.
#[derive(Clone, Copy)]
pub enum Wrap {
    /// A whole manifest, checked as it is.
    Whole,
    /// A `triggers:` list: into a ScaledObject, with a Deployment that sets every variable the
    /// snippet's `<key>FromEnv` entries name.
    Triggers,
    /// Cron `start:`/`end:` lines: into a cron trigger's metadata.
    CronMetadata,
    /// `metadata.annotations`: onto a ScaledObject with a cron trigger.
    Annotations,
    /// A part of `spec` (`fallback:`, `advanced:`): into a ScaledObject with a cron trigger.
    Spec { indent: usize },
}

pub enum Expect {
    Valid,
    /// Each text must appear in some error.
    Invalid(&'static [&'static str]),
}

pub struct Case {
    pub file: &'static str,
    pub wrap: Wrap,
    pub published: Expect,
    /// Placeholders filled in (from, to), and what check then says.
    pub filled: Option<(&'static [(&'static str, &'static str)], Expect)>,
}

const HOST: &[(&str, &str)] = &[("<prometheus-host>", "prometheus")];
/// prometheus/02..06 put the Secret and TriggerAuthentication in `default` and the ScaledObject in
/// `keda`; KEDA would build the scaler without credentials.
const SAME_NS: &[(&str, &str)] = &[
    ("namespace: keda", "namespace: default"),
    ("<prometheus-host>", "prometheus"),
];
const TA_ELSEWHERE: &str = "TriggerAuthentication keda/keda-prom-creds not found among the given \
                            documents (one with that name exists in namespace default)";
const NOT_BASE64: &str = "not valid base64";
const SECRET_UNREADABLE: &str = "Secret default/keda-prom-secret not found among the given \
                                 documents (a document defining it could not be read";
const PLACEHOLDER_HOST: &str = "\"http://<prometheus-host>:9090\" is invalid";

pub const CASES: &[Case] = &[
    Case {
        file: "cron/00-trigger-spec.yaml",
        wrap: Wrap::Triggers,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "cron/01-fixed-replicas.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "cron/02-dynamic-with-cpu.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "cron/90-invalid-start-equals-end.yaml",
        wrap: Wrap::CronMetadata,
        published: Expect::Invalid(&["start and end can not have exactly same time input"]),
        filled: None,
    },
    Case {
        file: "mysql/01-example.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "pause/01-paused-and-paused-replicas.yaml",
        wrap: Wrap::Annotations,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "pause/02-paused-scale-in.yaml",
        wrap: Wrap::Annotations,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "pause/03-paused-scale-out.yaml",
        wrap: Wrap::Annotations,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "pause/04-force-activation.yaml",
        wrap: Wrap::Annotations,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "fallback/01-fallback-section.yaml",
        wrap: Wrap::Spec { indent: 0 },
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "scaledobject-spec/01-hpa-config.yaml",
        wrap: Wrap::Spec { indent: 2 },
        published: Expect::Invalid(&[
            "field spec.advanced.horizontalPodAutoscalerConfig.name",
            "invalid type: map, expected a string",
        ]),
        filled: Some((&[("{name-of-hpa-resource}", "my-hpa")], Expect::Valid)),
    },
    Case {
        file: "scaledobject-spec/00-overview.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[
            "field metadata.name (line 7): invalid type: map, expected a string",
        ]),
        filled: None,
    },
    Case {
        file: "prometheus/00-trigger-spec.yaml",
        wrap: Wrap::Triggers,
        published: Expect::Invalid(&[PLACEHOLDER_HOST]),
        filled: Some((HOST, Expect::Valid)),
    },
    Case {
        file: "prometheus/01-basic.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[PLACEHOLDER_HOST]),
        filled: Some((HOST, Expect::Valid)),
    },
    Case {
        file: "prometheus/02-bearer-auth.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[
            TA_ELSEWHERE,
            "field data.bearerToken (line 10): not valid base64",
        ]),
        filled: Some((SAME_NS, Expect::Invalid(&[NOT_BASE64, SECRET_UNREADABLE]))),
    },
    Case {
        file: "prometheus/03-basic-auth.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[TA_ELSEWHERE]),
        filled: Some((SAME_NS, Expect::Valid)),
    },
    Case {
        file: "prometheus/04-tls-auth.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[TA_ELSEWHERE, NOT_BASE64]),
        filled: Some((SAME_NS, Expect::Invalid(&[NOT_BASE64, SECRET_UNREADABLE]))),
    },
    Case {
        file: "prometheus/05-tls-and-basic-auth.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[TA_ELSEWHERE, NOT_BASE64]),
        filled: Some((SAME_NS, Expect::Invalid(&[NOT_BASE64, SECRET_UNREADABLE]))),
    },
    Case {
        file: "prometheus/06-custom-auth.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[TA_ELSEWHERE, NOT_BASE64]),
        filled: Some((SAME_NS, Expect::Invalid(&[NOT_BASE64, SECRET_UNREADABLE]))),
    },
    // Pod identity: exactly the "not supported yet" error.
    Case {
        file: "prometheus/07-azure-monitor-managed.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[
            "trigger 0 (prometheus): TriggerAuthentication default/azure-managed-prometheus-trigger-auth: spec.podIdentity (provider azure-workload) is not supported yet",
        ]),
        filled: None,
    },
    Case {
        file: "prometheus/08-aws-amp.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[
            "08-aws-amp.yaml:56:21: malformed YAML",
            "template placeholder",
        ]),
        filled: Some((
            &[
                ("{{.AwsRegion}}", "us-east-1"),
                ("{{.WorkspaceID}}", "ws-1"),
            ],
            Expect::Invalid(&[
                "trigger 0 (prometheus): TriggerAuthentication default/keda-trigger-auth-aws-credentials: spec.podIdentity (provider aws) is not supported yet",
            ]),
        )),
    },
    Case {
        file: "prometheus/09-google-managed.yaml",
        wrap: Wrap::Whole,
        published: Expect::Invalid(&[
            "trigger 0 (prometheus): ClusterTriggerAuthentication google-workload-identity-auth: spec.podIdentity (provider gcp) is not supported yet",
        ]),
        filled: None,
    },
    Case {
        file: "redis-lists/00-trigger-spec.yaml",
        wrap: Wrap::Triggers,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "redis-lists/01-example.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "redis-cluster-lists/00-trigger-spec.yaml",
        wrap: Wrap::Triggers,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "redis-cluster-lists/01-example.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "redis-sentinel-lists/00-trigger-spec.yaml",
        wrap: Wrap::Triggers,
        published: Expect::Valid,
        filled: None,
    },
    Case {
        file: "redis-sentinel-lists/01-example.yaml",
        wrap: Wrap::Whole,
        published: Expect::Valid,
        filled: None,
    },
];

/// Fragments that cannot become a manifest, and why.
pub const NOT_MANIFESTS: &[(&str, &str)] = &[
    (
        "fallback/02-scaling-modifiers-behavior.yaml",
        "trigger metadata elided as `...`",
    ),
    (
        "scaling-modifiers/00-reference-shape.yaml",
        "every value is a {placeholder}",
    ),
    (
        "scaling-modifiers/01-compose-average.yaml",
        "partial spec with a `...` elision; kubernetes-workload and metrics-api have no scaler yet",
    ),
    (
        "scaling-modifiers/02-activation-target.yaml",
        "a single field, no triggers",
    ),
    (
        "scaling-modifiers/03-ternary.yaml",
        "a formula whose triggers are not given",
    ),
    (
        "scaling-modifiers/04-count-function.yaml",
        "a formula whose triggers are not given",
    ),
    (
        "scaling-modifiers/05-nested-conditions.yaml",
        "a formula whose triggers are not given",
    ),
    (
        "scaling-modifiers/06-per-trigger-failover.yaml",
        "trigger metadata elided as `...`",
    ),
];
