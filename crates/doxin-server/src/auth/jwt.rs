//! Short-lived bearer tokens for programmatic clients: HS256 JWTs signed with
//! `JWT_SECRET_KEY`, valid 15 minutes. Only HS256 is accepted, so a token cannot pick a weaker
//! algorithm (`none`) or confuse an HMAC key with a public key.
//!
//! A token must also look like one DoxIn issues: a lifetime (`exp - iat`) of at most
//! [`JWT_TTL`], an `exp` no later than now + [`JWT_TTL`] and an `iat` not in the future (a few
//! seconds of clock skew aside). So a token signed with a leaked or guessed key still cannot
//! be made to last for years. Each carries `pwv`, a fingerprint of the user's password hash
//! when it was issued: changing the password changes the hash (new salt), which ends every
//! JWT issued before.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ApiError;

pub const JWT_TTL: Duration = Duration::minutes(15);
/// Clock differences between API nodes that are tolerated.
const SKEW_SECS: i64 = 5;
/// Issuer and audience: a token signed with the same secret for another purpose is refused.
const ISSUER: &str = "doxin";
const AUDIENCE: &str = "doxin-api";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    /// The role when the token was issued (informational: every request reads the user again,
    /// through the auth cache, so a demoted or deactivated user loses access at once).
    pub role: String,
    /// The user's credential version when the token was issued ([`credential_version`]).
    pub pwv: String,
}

/// A short fingerprint of a password hash: it changes with every password change (the salt
/// is new each time) and tells nothing about the password (a hash of a salted Argon2 hash).
pub fn credential_version(password_hash: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(format!("doxin-jwt-pwv:{password_hash}").as_bytes())[..8])
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(..)")
    }
}

impl JwtKeys {
    /// Keys for `secret`; fails only for an empty secret.
    pub fn new(secret: &[u8]) -> Result<JwtKeys, jsonwebtoken::errors::Error> {
        super::jwt_crypto::install();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        // A few seconds for clocks of API nodes that disagree; not the library's minute.
        validation.leeway = SKEW_SECS as u64;
        Ok(JwtKeys {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
        })
    }

    /// A token for `user_id` whose password hash is `password_hash`, valid [`JWT_TTL`] from
    /// `now`.
    pub fn issue(
        &self,
        user_id: Uuid,
        role: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), ApiError> {
        let exp = now + JWT_TTL;
        let claims = Claims {
            sub: user_id,
            iat: now.timestamp(),
            exp: exp.timestamp(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            role: role.into(),
            pwv: credential_version(password_hash),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(Box::new(e)))?;
        Ok((token, exp))
    }

    /// The claims of a valid token; `None` when it is malformed, tampered with, signed with
    /// another key, expired, not ours, or longer-lived than DoxIn issues.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .ok()?;
        let now = Utc::now().timestamp();
        let ttl = JWT_TTL.num_seconds();
        let plausible = claims.iat <= now + SKEW_SECS
            && claims.exp - claims.iat <= ttl
            && claims.exp <= now + ttl + SKEW_SECS;
        plausible.then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_secret_is_refused() {
        assert!(JwtKeys::new(b"").is_err());
    }

    #[test]
    fn tokens_verify_only_untampered_unexpired_and_with_the_right_key() {
        let keys = JwtKeys::new(b"secret one").expect("keys");
        let id = Uuid::now_v7();
        let (token, exp) = keys.issue(id, "user", "hash", Utc::now()).expect("issue");
        assert!(exp > Utc::now() + Duration::minutes(14));
        assert_eq!(keys.verify(&token).expect("valid").sub, id);

        assert!(
            JwtKeys::new(b"secret two")
                .expect("keys")
                .verify(&token)
                .is_none(),
            "wrong key"
        );
        let (old, _) = keys
            .issue(id, "user", "hash", Utc::now() - Duration::minutes(16))
            .expect("issue");
        assert!(keys.verify(&old).is_none(), "expired");
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts[1] = parts[1].chars().rev().collect();
        assert!(keys.verify(&parts.join(".")).is_none(), "tampered");
        assert!(keys.verify("not.a.jwt").is_none());
    }

    #[test]
    fn tokens_longer_lived_than_ours_are_refused() {
        let keys = JwtKeys::new(b"secret one").expect("keys");
        let now = Utc::now().timestamp();
        let forge = |iat: i64, exp: i64| {
            let claims = Claims {
                sub: Uuid::now_v7(),
                iat,
                exp,
                iss: ISSUER.into(),
                aud: AUDIENCE.into(),
                role: "user".into(),
                pwv: credential_version("hash"),
            };
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding)
                .expect("encode")
        };
        assert!(keys.verify(&forge(now, now + 900)).is_some());
        assert!(
            keys.verify(&forge(now, now + 10 * 365 * 86_400)).is_none(),
            "ten years"
        );
        assert!(
            keys.verify(&forge(now - 600, now + 901)).is_none(),
            "too long"
        );
        assert!(
            keys.verify(&forge(now + 3600, now + 3600 + 900)).is_none(),
            "issued later"
        );
        assert_ne!(credential_version("a"), credential_version("b"));
    }
}
