//! Seals on digital results: a compact token `base64url(payload).base64url(signature)`
//! signed with Ed25519 under a key id, so anyone holding the published public keys can
//! check a result offline (from the QR code) and the server can check it online. Keys
//! rotate by adding a new one: results sealed under an older key id still verify.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a seal asserts about a result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealPayload {
    pub v: u8,
    pub kid: String,
    /// Result id.
    pub rid: String,
    /// SHA-256 of the document file, hex.
    pub h: String,
    /// Format 1 only: the first 16 hex digits of an unsalted SHA-256 of the owner's ID
    /// number. A 12-digit personal ID has about 10⁶ plausible values once province, century
    /// and birth year are guessed, so this digest gave the number away in seconds. Format 2
    /// (current) leaves it out: the token binds the result id and the file hash, and the
    /// owner is bound by the record the id points to. Kept so format-1 seals still verify.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub o: String,
    /// Valid from / until (Vietnam dates, `YYYY-MM-DD`; `vu` absent: no end).
    pub vf: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vu: Option<String>,
    /// Sealed at (unix seconds).
    pub iat: i64,
}

/// The token format sealed now: no owner digest (see [`SealPayload::o`]).
pub const SEAL_FORMAT: u8 = 2;

/// The format-1 owner digest (unsalted; never sealed any more). Only for reading old seals.
pub fn legacy_owner_digest(id_number: &str) -> String {
    hex::encode(Sha256::digest(id_number.as_bytes()))[..16].to_string()
}

/// What public verification may say about the owner's ID number: nothing but that there
/// is one (every character masked, whatever its length, so not even the kind of number).
pub fn mask_id_number(_id_number: &str) -> String {
    "************".to_string()
}

#[derive(Debug, PartialEq, Eq)]
pub enum SealError {
    /// Not two base64url parts, or a payload that is not a seal.
    Malformed,
    /// No key with the token's key id.
    UnknownKey,
    /// The signature does not match the payload: altered or forged.
    BadSignature,
}

/// The server's keys: every key verifies, the active one seals.
pub struct Sealer {
    keys: Vec<(String, SigningKey)>,
    active: usize,
}

/// A public key as published at `GET /public/keys`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PublicKey {
    pub kid: String,
    /// Always `EdDSA` (curve Ed25519).
    pub alg: &'static str,
    pub crv: &'static str,
    /// The 32-byte public key, base64url without padding.
    pub x: String,
    /// Whether new seals use it.
    pub active: bool,
}

impl Sealer {
    /// `spec`: `kid:seed,kid:seed…` with 32-byte seeds in base64 (standard or url-safe).
    /// The active key is `active_kid`, or the last one listed (append to rotate).
    pub fn from_spec(spec: &str, active_kid: Option<&str>) -> Result<Sealer, String> {
        let mut keys = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (kid, seed) = item
                .split_once(':')
                .ok_or_else(|| "RESULT_SIGNING_KEYS entries are kid:base64seed".to_string())?;
            let bytes = B64
                .decode(seed.trim_end_matches('='))
                .or_else(|_| base64::engine::general_purpose::STANDARD.decode(seed))
                .map_err(|_| format!("key '{kid}': the seed is not base64"))?;
            let seed: [u8; 32] = bytes
                .try_into()
                .map_err(|_| format!("key '{kid}': the seed must be 32 bytes"))?;
            if kid.is_empty() || keys.iter().any(|(k, _)| k == kid) {
                return Err(format!("key ids must be distinct and non-empty ('{kid}')"));
            }
            keys.push((kid.to_string(), SigningKey::from_bytes(&seed)));
        }
        if keys.is_empty() {
            return Err("RESULT_SIGNING_KEYS is empty".into());
        }
        let active = match active_kid {
            Some(a) => keys
                .iter()
                .position(|(k, _)| k == a)
                .ok_or_else(|| format!("RESULT_SIGNING_ACTIVE_KID '{a}' is not among the keys"))?,
            None => keys.len() - 1,
        };
        Ok(Sealer { keys, active })
    }

    /// A single random key (demo mode, tools): seals die with the process.
    pub fn ephemeral() -> Sealer {
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        Sealer {
            keys: vec![("ephemeral".into(), SigningKey::from_bytes(&seed))],
            active: 0,
        }
    }

    pub fn active_kid(&self) -> &str {
        &self.keys[self.active].0
    }

    pub fn public_keys(&self) -> Vec<PublicKey> {
        self.keys
            .iter()
            .enumerate()
            .map(|(i, (kid, k))| PublicKey {
                kid: kid.clone(),
                alg: "EdDSA",
                crv: "Ed25519",
                x: B64.encode(k.verifying_key().as_bytes()),
                active: i == self.active,
            })
            .collect()
    }

    /// Seals with the active key (the payload's `kid` is set to it).
    pub fn seal(&self, mut payload: SealPayload) -> String {
        let (kid, key) = &self.keys[self.active];
        payload.kid = kid.clone();
        let body = B64.encode(serde_json::to_vec(&payload).expect("payload serializes"));
        let sig = key.sign(body.as_bytes());
        format!("{body}.{}", B64.encode(sig.to_bytes()))
    }

    pub fn verify(&self, token: &str) -> Result<SealPayload, SealError> {
        let keys: Vec<(String, VerifyingKey)> = self
            .keys
            .iter()
            .map(|(k, s)| (k.clone(), s.verifying_key()))
            .collect();
        verify_with(&keys, token)
    }
}

/// Verification with public keys only: what an offline verifier does.
pub fn verify_with(keys: &[(String, VerifyingKey)], token: &str) -> Result<SealPayload, SealError> {
    let (body, sig) = token.trim().split_once('.').ok_or(SealError::Malformed)?;
    let payload_bytes = B64.decode(body).map_err(|_| SealError::Malformed)?;
    let payload: SealPayload =
        serde_json::from_slice(&payload_bytes).map_err(|_| SealError::Malformed)?;
    let sig: [u8; 64] = B64
        .decode(sig)
        .map_err(|_| SealError::BadSignature)?
        .try_into()
        .map_err(|_| SealError::BadSignature)?;
    let key = keys
        .iter()
        .find(|(k, _)| *k == payload.kid)
        .map(|(_, v)| v)
        .ok_or(SealError::UnknownKey)?;
    key.verify(body.as_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| SealError::BadSignature)?;
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(n: u8) -> String {
        B64.encode([n; 32])
    }

    fn payload() -> SealPayload {
        SealPayload {
            v: SEAL_FORMAT,
            kid: String::new(),
            rid: "r1".into(),
            h: "ab".repeat(32),
            o: String::new(),
            vf: "2026-11-28".into(),
            vu: None,
            iat: 1_790_000_000,
        }
    }

    #[test]
    fn seal_and_verify_round_trip() {
        let s = Sealer::from_spec(&format!("k1:{}", seed(1)), None).unwrap();
        let t = s.seal(payload());
        let p = s.verify(&t).unwrap();
        assert_eq!(p.kid, "k1");
        assert_eq!(p.rid, "r1");
        assert_eq!(p.v, 2);
    }

    /// Issue 13, hole 3: the public token must not carry anything derived from the owner's
    /// ID number (an unsalted digest of a 12-digit personal ID is reversed by enumeration).
    #[test]
    fn format_2_tokens_carry_nothing_about_the_owner() {
        let s = Sealer::from_spec(&format!("k1:{}", seed(1)), None).unwrap();
        let t = s.seal(payload());
        let body = B64.decode(t.split('.').next().unwrap()).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(json.get("o").is_none(), "{json}");
        assert!(!String::from_utf8(body)
            .unwrap()
            .contains(&legacy_owner_digest("025190000001")));
        for id in ["025190000001", "0123456789", ""] {
            let m = mask_id_number(id);
            assert!(!m.chars().any(|c| c.is_ascii_digit()), "{m}");
            assert_eq!(m, mask_id_number("999999999999"));
        }
    }

    /// Seals made before format 2 (with the owner digest) still verify, byte for byte.
    #[test]
    fn format_1_seals_still_verify() {
        let s = Sealer::from_spec(&format!("k1:{}", seed(1)), None).unwrap();
        let mut old = payload();
        old.v = 1;
        old.o = legacy_owner_digest("025190000001");
        let t = s.seal(old);
        let p = s.verify(&t).unwrap();
        assert_eq!((p.v, p.o.len()), (1, 16));
        // A format-1 body is exactly what format 1 wrote (the field order and `o` kept).
        let body = String::from_utf8(B64.decode(t.split('.').next().unwrap()).unwrap()).unwrap();
        assert!(
            body.starts_with("{\"v\":1,\"kid\":\"k1\",\"rid\":\"r1\",\"h\":"),
            "{body}"
        );
        assert!(body.contains("\"o\":\""), "{body}");
    }

    #[test]
    fn any_changed_character_is_caught() {
        let s = Sealer::from_spec(&format!("k1:{}", seed(1)), None).unwrap();
        let t = s.seal(payload());
        for i in 0..t.len() {
            if t.as_bytes()[i] == b'.' {
                continue;
            }
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(b).unwrap();
            if changed == t {
                continue;
            }
            assert!(s.verify(&changed).is_err(), "change at {i} accepted");
        }
        assert_eq!(s.verify("nonsense"), Err(SealError::Malformed));
    }

    #[test]
    fn rotation_keeps_old_seals_valid() {
        let old = Sealer::from_spec(&format!("2025:{}", seed(1)), None).unwrap();
        let t = old.seal(payload());
        let rotated =
            Sealer::from_spec(&format!("2025:{},2026:{}", seed(1), seed(2)), None).unwrap();
        assert_eq!(rotated.active_kid(), "2026");
        assert_eq!(rotated.verify(&t).unwrap().kid, "2025");
        assert_eq!(
            rotated.verify(&rotated.seal(payload())).unwrap().kid,
            "2026"
        );
        // Dropping the old key makes its seals unverifiable (unknown key), never "valid".
        let only_new = Sealer::from_spec(&format!("2026:{}", seed(2)), None).unwrap();
        assert_eq!(only_new.verify(&t), Err(SealError::UnknownKey));
        // Offline: the published keys suffice.
        let published: Vec<(String, VerifyingKey)> = rotated
            .public_keys()
            .into_iter()
            .map(|k| {
                let bytes: [u8; 32] = B64.decode(&k.x).unwrap().try_into().unwrap();
                (k.kid, VerifyingKey::from_bytes(&bytes).unwrap())
            })
            .collect();
        assert!(verify_with(&published, &t).is_ok());
    }

    #[test]
    fn bad_specs_are_refused() {
        assert!(Sealer::from_spec("", None).is_err());
        assert!(Sealer::from_spec("k1", None).is_err());
        assert!(Sealer::from_spec("k1:short", None).is_err());
        assert!(Sealer::from_spec(&format!("k1:{},k1:{}", seed(1), seed(2)), None).is_err());
        assert!(Sealer::from_spec(&format!("k1:{}", seed(1)), Some("k9")).is_err());
    }
}
