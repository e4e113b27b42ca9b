//! Nothing panics on any input: mutations of real manifests (deterministic seeds, so a failure
//! reproduces) through everything `kedars check` does, in-process. The cargo-fuzz target
//! `fuzz/fuzz_targets/manifest_loader.rs` explores further; this keeps a floor on stable Rust.

use kedars::cli::check::{CheckArgs, Output, run};

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that make YAML and Kubernetes objects interesting.
const TOKENS: &[&[u8]] = &[
    b"---\n",
    b"...\n",
    b": ",
    b"- ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"\"",
    b"'",
    b"\n  ",
    b"#",
    b"!!binary ",
    b"{{.X}}",
    b"kind: ScaledObject\n",
    b"kind: List\n",
    b"items:\n",
    b"apiVersion: keda.sh/v1alpha1\n",
    b"$(A)",
    b"$$",
    b"\xff",
    b"\x00",
    b"~",
    b"null",
    b"10",
    b"-1",
    b"1e400",
    b"envSourceContainerName: x\n",
    b"FromEnv: X",
    b"authenticationRef: {name: x}",
];

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..=rng.below(8) {
        let at = rng.below(data.len() + 1);
        match rng.below(5) {
            0 => data.insert(at, rng.next() as u8),
            1 if at < data.len() => drop(data.remove(at)),
            2 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            3 => {
                // Copy a slice of the input elsewhere: repeats structure, deepens nesting.
                let from = rng.below(data.len() + 1);
                let len = rng.below(64).min(data.len() - from);
                let part = data[from..from + len].to_vec();
                data.splice(at..at, part);
            }
            _ => data.truncate(at),
        }
    }
    data
}

fn seeds() -> Vec<Vec<u8>> {
    let dirs = [
        format!("{}/tests/fixtures/check", env!("CARGO_MANIFEST_DIR")),
        format!("{}/tests/fixtures/check/valid", env!("CARGO_MANIFEST_DIR")),
    ];
    let mut seeds = Vec::new();
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        seeds.extend(
            files
                .iter()
                .filter(|f| f.is_file())
                .map(|f| std::fs::read(f).unwrap()),
        );
    }
    seeds
}

#[test]
fn mutated_manifests_never_panic() {
    let seeds = seeds();
    let mut rng = Rng(0x5EED_CAFE_F00D_0001);
    for case in 0..3000 {
        let input = mutate(&seeds[case % seeds.len()], &mut rng);
        let args = CheckArgs {
            inputs: vec!["-".to_string()],
            output: if case % 2 == 0 {
                Output::Text
            } else {
                Output::Json
            },
            at: chrono::DateTime::from_timestamp(1_741_593_600, 0),
            next: (case % 3 == 0).then_some(2),
            namespace: "default".to_string(),
            cluster_object_namespace: "keda".to_string(),
            recursive: false,
        };
        let outcome = std::panic::catch_unwind(|| {
            run(
                &args,
                &mut std::io::sink(),
                &mut std::io::sink(),
                &mut input.as_slice(),
            )
        });
        let code = outcome.unwrap_or_else(|_| {
            panic!(
                "case {case} panicked on input {:?}",
                String::from_utf8_lossy(&input)
            )
        });
        assert!(matches!(code, Ok(0 | 1)), "case {case}: {code:?}");
    }
}
