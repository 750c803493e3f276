//! TLS for `sslmode`, with rustls. The driver is told only "TLS required" or
//! "TLS preferred"; what counts as a valid certificate is decided here:
//!
//! - disable, allow, prefer, require (without a root file): any certificate;
//!   the handshake signature is still checked, so the server must hold the
//!   key of the certificate it shows.
//! - verify-ca, and require with `sslrootcert` naming a file: the chain must
//!   lead to a trusted root; the host name is not checked.
//! - verify-full: chain and host name.
//!
//! The ring provider is passed explicitly, so no process-wide default
//! provider has to be installed.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{ConnSpec, SslMode};

/// What the server's certificate is checked against.
enum Check {
    Nothing,
    Chain(RootCertStore),
    ChainAndName(RootCertStore),
}

/// Builds the connector for `spec`. Errors are one-line reasons.
pub(super) fn connector(spec: &ConnSpec) -> Result<MakeRustlsConnect, String> {
    let root_file = spec.sslrootcert.as_deref().filter(|r| *r != "system");
    let check = match spec.sslmode {
        SslMode::Disable | SslMode::Allow | SslMode::Prefer => Check::Nothing,
        // libpq: "if a root CA file exists, require behaves like verify-ca".
        SslMode::Require => match root_file {
            Some(file) => Check::Chain(roots(spec, Some(file))?),
            None => Check::Nothing,
        },
        SslMode::VerifyCa => Check::Chain(roots(spec, root_file)?),
        SslMode::VerifyFull => Check::ChainAndName(roots(spec, root_file)?),
    };
    client_config(check).map(MakeRustlsConnect::new)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_config(check: Check) -> Result<ClientConfig, String> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::Nothing => Arc::new(AcceptAnyCertificate { provider: provider.clone() }),
        Check::Chain(roots) => {
            Arc::new(IgnoreHostName { inner: webpki_verifier(roots, provider.clone())? })
        }
        Check::ChainAndName(roots) => webpki_verifier(roots, provider.clone())?,
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

fn webpki_verifier(
    roots: RootCertStore,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, String> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| format!("cannot set up TLS certificate verification: {e}"))
}

/// Trust anchors: `sslrootcert=system` means the Mozilla roots, a file name
/// means that PEM file, nothing means `~/.postgresql/root.crt`.
fn roots(spec: &ConnSpec, file: Option<&str>) -> Result<RootCertStore, String> {
    if spec.sslrootcert.as_deref() == Some("system") {
        return Ok(RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() });
    }
    let path = match (file, &spec.default_rootcert) {
        (Some(file), _) => std::path::PathBuf::from(file),
        (None, Some(default)) => default.clone(),
        (None, None) => {
            return Err(format!(
                "sslmode={} needs a root certificate, but no sslrootcert was given and the home \
                 directory is unknown",
                spec.sslmode
            ));
        }
    };
    if !path.exists() {
        return Err(format!(
            "root certificate file \"{}\" does not exist (provide it, use the system's trusted \
             roots with sslrootcert=system, or change sslmode to disable certificate verification)",
            path.display()
        ));
    }
    let mut store = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(&path)
        .map_err(|e| format!("cannot read root certificate file \"{}\": {e}", path.display()))?;
    for cert in certs {
        let cert = cert.map_err(|e| {
            format!("cannot parse root certificate file \"{}\": {e}", path.display())
        })?;
        store.add(cert).map_err(|e| {
            format!("invalid certificate in root certificate file \"{}\": {e}", path.display())
        })?;
    }
    if store.is_empty() {
        return Err(format!(
            "no certificates found in root certificate file \"{}\"",
            path.display()
        ));
    }
    Ok(store)
}

/// sslmode=require without a root file: encryption without authentication,
/// as libpq. The handshake signatures are still verified.
#[derive(Debug)]
struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// verify-ca: the full webpki check, minus the host name. rustls checks the
/// name only after the chain, validity dates and revocation have passed, so
/// a name mismatch means everything else was fine.
#[derive(Debug)]
struct IgnoreHostName {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for IgnoreHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
