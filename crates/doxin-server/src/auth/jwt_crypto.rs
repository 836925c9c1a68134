//! The cryptography behind `jsonwebtoken`: HMAC-SHA256 and nothing else.
//!
//! `jsonwebtoken` needs a crypto provider. Its two built-in ones bring either AWS-LC (a large C
//! library, minutes of every clean build) or RSA, ECDSA and EdDSA stacks DoxIn never uses.
//! DoxIn signs and verifies HS256 only, so this provider implements exactly that with the
//! RustCrypto `hmac` and `sha2` crates the tree already builds. Any other algorithm is refused
//! by the provider itself, on top of the `Validation` that already pins HS256.

use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

static HS256_ONLY: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes the HS256 provider the process's `jsonwebtoken` provider. Idempotent: later calls,
/// and calls after another provider was installed, change nothing.
pub fn install() {
    let _ = HS256_ONLY.install_default();
}

fn hmac_for(family: AlgorithmFamily, key: &[u8], alg: &Algorithm) -> Result<HmacSha256, Error> {
    if *alg != Algorithm::HS256 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    if family != AlgorithmFamily::Hmac {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    HmacSha256::new_from_slice(key).map_err(|_| ErrorKind::InvalidKeyFormat.into())
}

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    Ok(Box::new(Hs256(hmac_for(
        key.family(),
        key.as_bytes(),
        alg,
    )?)))
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    Ok(Box::new(Hs256(hmac_for(
        key.family(),
        key.try_get_as_bytes()?,
        alg,
    )?)))
}

struct Hs256(HmacSha256);

impl signature::Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl signature::Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, msg: &[u8], tag: &Vec<u8>) -> Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        // Constant-time comparison.
        mac.verify_slice(tag).map_err(signature::Error::from_source)
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}
