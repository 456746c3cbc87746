//! Content-addressed file store on disk: a file's name is its SHA-256, so one scan stored
//! twice takes the space once, and every read can prove the bytes are the ones recorded.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Clone, Debug)]
pub struct FileStore {
    root: PathBuf,
}

/// Document types accepted as dossier components and results, recognised from their bytes.
pub fn sniff_content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("file {0} is missing from the store")]
    Missing(String),
    #[error("file {0} does not match its recorded SHA-256 (corrupted or altered on disk)")]
    Corrupted(String),
    #[error("file store I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl FileStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FileStore { root: root.into() }
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        let (a, b) = (&sha256[0..2], &sha256[2..4]);
        self.root.join(a).join(b).join(sha256)
    }

    /// Stores the bytes (idempotently) and returns their SHA-256. Written to a temporary
    /// file, synced, then renamed, so a crash never leaves a half file under a valid name.
    pub fn put(&self, bytes: &[u8]) -> Result<String, FileError> {
        let sha = sha256_hex(bytes);
        let path = self.path_of(&sha);
        if path.exists() {
            return Ok(sha);
        }
        let dir = path.parent().expect("hashed paths have a parent");
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{sha}.{}.tmp", uuid::Uuid::new_v4().simple()));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(sha)
    }

    /// Reads a file and checks it against its name.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, FileError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(FileError::Missing(sha256.to_string()));
        }
        let bytes = match std::fs::read(self.path_of(sha256)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FileError::Missing(sha256.to_string()))
            }
            Err(e) => return Err(e.into()),
        };
        if sha256_hex(&bytes) != sha256 {
            return Err(FileError::Corrupted(sha256.to_string()));
        }
        Ok(bytes)
    }

    /// Where a stored file lives (tests use it to simulate corruption).
    pub fn location(&self, sha256: &str) -> PathBuf {
        self.path_of(sha256)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_trusts_bytes_not_names() {
        assert_eq!(
            sniff_content_type(b"%PDF-1.7\n..."),
            Some("application/pdf")
        );
        assert_eq!(
            sniff_content_type(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some("image/jpeg")
        );
        assert_eq!(
            sniff_content_type(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some("image/png")
        );
        assert_eq!(sniff_content_type(b"MZ\x90\x00"), None);
        assert_eq!(sniff_content_type(b"<html>"), None);
        assert_eq!(sniff_content_type(b""), None);
    }

    #[test]
    fn put_get_and_detect_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let sha = store.put(b"%PDF-1.4 hello").unwrap();
        assert_eq!(sha, sha256_hex(b"%PDF-1.4 hello"));
        assert_eq!(store.put(b"%PDF-1.4 hello").unwrap(), sha, "idempotent");
        assert_eq!(store.get(&sha).unwrap(), b"%PDF-1.4 hello");
        std::fs::write(store.location(&sha), b"%PDF-1.4 HELLO").unwrap();
        assert!(matches!(store.get(&sha), Err(FileError::Corrupted(_))));
        assert!(matches!(
            store.get(&"0".repeat(64)),
            Err(FileError::Missing(_))
        ));
        assert!(matches!(
            store.get("../../etc/passwd"),
            Err(FileError::Missing(_))
        ));
    }
}
