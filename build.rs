//! Compiles proto/ in pure Rust (protox), so building needs no protoc.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = ["proto/metrics_feed.proto"];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(protos, ["proto"])?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    Ok(())
}
