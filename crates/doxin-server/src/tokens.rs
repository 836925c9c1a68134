//! Per-job capability tokens: until accounts exist, whoever uploaded a document holds the
//! token that lets them follow its job over the WebSocket. A token is an HMAC of the job id
//! under a key derived from `SECRET_KEY`, so every API process of a deployment can check it
//! without shared state, and it cannot be forged or moved to another job.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use uuid::Uuid;

#[derive(Clone)]
pub struct JobTokens {
    key: Vec<u8>,
}

impl std::fmt::Debug for JobTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobTokens(..)")
    }
}

impl JobTokens {
    pub fn new(secret: &[u8]) -> JobTokens {
        // A key of its own, so a token never doubles as anything else signed with the secret.
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key");
        mac.update(b"doxin job tokens v1");
        JobTokens {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn mac(&self, job_id: Uuid) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(job_id.as_bytes());
        mac
    }

    pub fn issue(&self, job_id: Uuid) -> String {
        hex::encode(self.mac(job_id).finalize().into_bytes())
    }

    /// Constant-time check of a token for a job.
    pub fn verify(&self, job_id: Uuid, token: &str) -> bool {
        match hex::decode(token) {
            Ok(bytes) => self.mac(job_id).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_job_and_key() {
        let t = JobTokens::new(b"secret one");
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let token = t.issue(a);
        assert!(t.verify(a, &token));
        assert!(!t.verify(b, &token));
        assert!(!JobTokens::new(b"secret two").verify(a, &token));
        assert!(!t.verify(a, "zz"));
        assert!(!t.verify(a, &token[..10]));
    }
}
