//! Links the national portal follows to fetch a dossier's component files and digital
//! results (`TaiLieuNop[].DuongDanTaiTepTin`, `DanhSachGiayToKetQua[].DuongDanTepTinKetQua`):
//! signed with a key derived from the server secret, valid for `PORTAL_FILE_LINK_TTL_SECS`
//! (default 30 days), served without login at `GET /api/v1/public/portal-files/{token}` and
//! logged on every fetch. A link names one file; it cannot be altered into another.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a link points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A component file: `dossier_attachments.id`.
    Attachment(String),
    /// A digital result: `digital_results.id`.
    Result(String),
}

#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
    base_url: String,
    ttl_secs: i64,
}

/// Why a token is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    Invalid,
    Expired,
}

impl LinkSigner {
    /// The key is HMAC(server secret, purpose): a link can never be read as a token of
    /// another kind, and the server secret is not exposed.
    pub fn new(server_secret: &str, public_base_url: &str, ttl_secs: i64) -> Self {
        let mut m = Hmac::<Sha256>::new_from_slice(server_secret.as_bytes()).expect("any key");
        m.update(b"motcua portal file links v1");
        LinkSigner {
            key: m.finalize().into_bytes().to_vec(),
            base_url: public_base_url.trim_end_matches('/').to_string(),
            ttl_secs: ttl_secs.max(60),
        }
    }

    fn mac(&self, body: &str) -> Hmac<Sha256> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key");
        m.update(body.as_bytes());
        m
    }

    /// `{a|r}{id}.{expiry unix seconds}.{hex mac}`.
    pub fn token(&self, target: &Target, now: DateTime<Utc>) -> String {
        let (k, id) = match target {
            Target::Attachment(id) => ('a', id),
            Target::Result(id) => ('r', id),
        };
        let body = format!("{k}{id}.{}", now.timestamp() + self.ttl_secs);
        let mac = hex::encode(self.mac(&body).finalize().into_bytes());
        format!("{body}.{mac}")
    }

    /// The absolute URL the portal fetches.
    pub fn url(&self, target: &Target, now: DateTime<Utc>) -> String {
        format!(
            "{}/api/v1/public/portal-files/{}",
            self.base_url,
            self.token(target, now)
        )
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Target, LinkError> {
        let (body, mac) = token.rsplit_once('.').ok_or(LinkError::Invalid)?;
        let given = hex::decode(mac).map_err(|_| LinkError::Invalid)?;
        self.mac(body)
            .verify_slice(&given)
            .map_err(|_| LinkError::Invalid)?;
        let (target, exp) = body.split_once('.').ok_or(LinkError::Invalid)?;
        let exp: i64 = exp.parse().map_err(|_| LinkError::Invalid)?;
        if now.timestamp() > exp {
            return Err(LinkError::Expired);
        }
        let id = target.get(1..).unwrap_or("").to_string();
        match target.chars().next() {
            Some('a') if !id.is_empty() => Ok(Target::Attachment(id)),
            Some('r') if !id.is_empty() => Ok(Target::Result(id)),
            _ => Err(LinkError::Invalid),
        }
    }
}

static SIGNER: OnceLock<LinkSigner> = OnceLock::new();

/// Sets the process's signer (at startup, from the configuration); the first one wins.
pub fn install(signer: LinkSigner) {
    let _ = SIGNER.set(signer);
}

/// The process's signer. A process that never installed one (a tool, a test without an
/// app) gets one with a random key: its links verify only in that process.
pub fn signer() -> &'static LinkSigner {
    SIGNER.get_or_init(|| {
        LinkSigner::new(
            &crate::auth::random_token(48),
            "http://localhost:8080",
            30 * 86_400,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn links_verify_until_they_expire_and_cannot_be_altered() {
        let s = LinkSigner::new("server-secret", "https://motcua.example/", 3600);
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let t = s.token(&Target::Attachment("abc".into()), now);
        assert_eq!(s.verify(&t, now), Ok(Target::Attachment("abc".into())));
        assert_eq!(
            s.verify(&t, now + chrono::Duration::seconds(3601)),
            Err(LinkError::Expired)
        );
        // Another file, another kind, a later expiry or another server's key: refused.
        assert_eq!(
            s.verify(&t.replacen("aabc", "aabd", 1), now),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            s.verify(&t.replacen("aabc", "rabc", 1), now),
            Err(LinkError::Invalid)
        );
        let exp = now.timestamp() + 3600;
        assert_eq!(
            s.verify(&t.replace(&exp.to_string(), &(exp + 9999).to_string()), now),
            Err(LinkError::Invalid)
        );
        let other = LinkSigner::new("other-secret", "https://motcua.example", 3600);
        assert_eq!(other.verify(&t, now), Err(LinkError::Invalid));
        assert_eq!(s.verify("garbage", now), Err(LinkError::Invalid));
        assert!(s
            .url(&Target::Result("r1".into()), now)
            .starts_with("https://motcua.example/api/v1/public/portal-files/rr1."));
    }
}
