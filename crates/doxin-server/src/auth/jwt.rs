//! Short-lived bearer tokens for programmatic clients: HS256 JWTs signed with
//! `JWT_SECRET_KEY`, valid 15 minutes. Only HS256 is accepted, so a token cannot pick a weaker
//! algorithm (`none`) or confuse an HMAC key with a public key.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ApiError;

pub const JWT_TTL: Duration = Duration::minutes(15);
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
    /// The role when the token was issued (informational: every request reloads the user, so
    /// a demoted or deactivated user loses access at once).
    pub role: String,
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
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        // A few seconds for clocks of API nodes that disagree; not the library's minute.
        validation.leeway = 5;
        Ok(JwtKeys {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
        })
    }

    /// A token for `user_id`, valid [`JWT_TTL`] from `now`.
    pub fn issue(
        &self,
        user_id: Uuid,
        role: &str,
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
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(Box::new(e)))?;
        Ok((token, exp))
    }

    /// The claims of a valid token; `None` when it is malformed, tampered with, signed with
    /// another key, expired, or not ours.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .ok()
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
        let (token, exp) = keys.issue(id, "user", Utc::now()).expect("issue");
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
            .issue(id, "user", Utc::now() - Duration::minutes(16))
            .expect("issue");
        assert!(keys.verify(&old).is_none(), "expired");
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts[1] = parts[1].chars().rev().collect();
        assert!(keys.verify(&parts.join(".")).is_none(), "tampered");
        assert!(keys.verify("not.a.jwt").is_none());
    }
}
