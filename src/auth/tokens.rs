//! Access tokens (JWT) and refresh tokens (opaque, stored hashed).
//!
//! Only tokens this server issues (HS256 with the configured secret) are access tokens.
//! A token of the external identity provider (RS256/ES256/EdDSA public key) is never an
//! access token: it is exchanged once at `POST /auth/external` for a local session of the
//! account mapped to its subject, so every session rule (deactivation, session epoch,
//! refresh rotation) applies to it, and nothing in it (role, commune) grants anything.
//! The algorithm of each verifier is fixed by configuration: a header naming any other
//! algorithm (`none`, HS256 signed with the public key…) is refused.

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::domain::roles::Role;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province_code: Option<String>,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// Session epoch of the account when the token was issued. Deactivation, a role change
    /// or a password reset bumps the account's epoch, which voids older tokens at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ep: Option<i64>,
}

/// What a token of the external identity provider may tell: who (issuer, subject) and the
/// claims it vouches for. Role, commune and any other claim are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct ExternalClaims {
    pub sub: String,
    pub iss: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(flatten)]
    pub other: std::collections::HashMap<String, serde_json::Value>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid,
}

struct Verifier {
    algorithm: Algorithm,
    key: DecodingKey,
    validation: Validation,
}

pub struct TokenService {
    encoding: EncodingKey,
    internal: Verifier,
    external: Option<Verifier>,
    issuer: String,
    audience: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

fn validation(alg: Algorithm, issuer: Option<&str>, audience: &str) -> Validation {
    let mut v = Validation::new(alg);
    v.algorithms = vec![alg];
    v.leeway = 30;
    v.validate_exp = true;
    v.validate_nbf = true;
    v.set_audience(&[audience]);
    if let Some(iss) = issuer {
        v.set_issuer(&[iss]);
    }
    v.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
    v
}

impl TokenService {
    pub fn from_config(config: &Config) -> Result<TokenService, String> {
        let secret = config
            .jwt_secret
            .as_deref()
            .ok_or("JWT_SECRET is not set")?;
        let external = match &config.jwt_external_public_key_file {
            None => None,
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    format!(
                        "cannot read JWT_EXTERNAL_PUBLIC_KEY_FILE {}: {e}",
                        path.display()
                    )
                })?;
                let algorithm: Algorithm = config.jwt_external_algorithm.parse().map_err(|_| {
                    format!(
                        "unknown JWT_EXTERNAL_ALGORITHM {}",
                        config.jwt_external_algorithm
                    )
                })?;
                let key = match algorithm {
                    Algorithm::RS256
                    | Algorithm::RS384
                    | Algorithm::RS512
                    | Algorithm::PS256
                    | Algorithm::PS384
                    | Algorithm::PS512 => DecodingKey::from_rsa_pem(&pem),
                    Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(&pem),
                    Algorithm::EdDSA => DecodingKey::from_ed_pem(&pem),
                    _ => {
                        return Err("JWT_EXTERNAL_ALGORITHM must be an asymmetric algorithm".into())
                    }
                }
                .map_err(|e| format!("invalid external public key: {e}"))?;
                let audience = config
                    .jwt_external_audience
                    .clone()
                    .unwrap_or_else(|| config.jwt_audience.clone());
                let issuer = config
                    .jwt_external_issuer
                    .as_deref()
                    .ok_or("JWT_EXTERNAL_ISSUER is required with an external public key")?;
                Some(Verifier {
                    algorithm,
                    key,
                    validation: validation(algorithm, Some(issuer), &audience),
                })
            }
        };
        Ok(TokenService {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            internal: Verifier {
                algorithm: Algorithm::HS256,
                key: DecodingKey::from_secret(secret.as_bytes()),
                validation: validation(
                    Algorithm::HS256,
                    Some(&config.jwt_issuer),
                    &config.jwt_audience,
                ),
            },
            external,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            access_ttl_secs: config.jwt_access_ttl_secs,
            refresh_ttl_secs: config.jwt_refresh_ttl_secs,
        })
    }

    /// Issues an access token for an account.
    pub fn issue(
        &self,
        user_id: &str,
        role: Role,
        commune_code: Option<&str>,
        province_code: Option<&str>,
        session_epoch: i64,
    ) -> String {
        let now = crate::clock::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            commune_code: commune_code.map(str::to_string),
            province_code: province_code.map(str::to_string),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + self.access_ttl_secs,
            jti: uuid::Uuid::new_v4().to_string(),
            ep: Some(session_epoch),
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims with the internal key (also used by tests to forge edge cases).
    pub fn sign(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// Verifies an access token this server issued.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        decode_with(&self.internal, token)
    }

    /// Whether an external identity provider is configured.
    pub fn has_external(&self) -> bool {
        self.external.is_some()
    }

    /// Verifies a token of the external identity provider (signature, `iss`, `aud`, `exp`,
    /// `nbf`). `None` when no provider is configured.
    pub fn verify_external(&self, token: &str) -> Option<Result<ExternalClaims, TokenError>> {
        self.external.as_ref().map(|v| decode_with(v, token))
    }
}

fn decode_with<T: serde::de::DeserializeOwned>(
    verifier: &Verifier,
    token: &str,
) -> Result<T, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
    if header.alg != verifier.algorithm {
        return Err(TokenError::Invalid);
    }
    match jsonwebtoken::decode::<T>(token, &verifier.key, &verifier.validation) {
        Ok(data) => Ok(data.claims),
        Err(e) => match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => Err(TokenError::Expired),
            _ => Err(TokenError::Invalid),
        },
    }
}

/// A random URL-safe token of `bytes` random bytes (refresh tokens, PINs' entropy, demo secrets).
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Refresh tokens are stored as their SHA-256: a database leak yields no usable token.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
