//! One rustls crypto provider for the whole process. kube uses ring; if two providers were
//! compiled in, rustls could not pick one and clients would panic at run time. Every client this
//! crate builds calls [`install_crypto_provider`] first, so no caller has to remember to.

pub fn install_crypto_provider() {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
