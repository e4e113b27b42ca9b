//! Arbitrary bytes as a manifest on stdin of `kedars check`: the loader, then everything check
//! does with what loaded (validation, auth resolution, trigger parse steps, cron evaluation, the
//! HPA builder, text or JSON output). Nothing may panic, whatever the input.

#![no_main]

use kedars::cli::check::{CheckArgs, Output, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let args = CheckArgs {
        inputs: vec!["-".to_string()],
        // Both renderers, chosen by the input so each is exercised.
        output: if data.len() % 2 == 0 {
            Output::Text
        } else {
            Output::Json
        },
        at: chrono::DateTime::from_timestamp(1_741_593_600, 0),
        namespace: "default".to_string(),
        cluster_object_namespace: "keda".to_string(),
        recursive: false,
    };
    let mut stdin = data;
    let code = run(
        &args,
        &mut std::io::sink(),
        &mut std::io::sink(),
        &mut stdin,
    )
    .expect("writing to a sink cannot fail");
    assert!(code <= 1, "stdin is always readable, so only 0 or 1");
});
