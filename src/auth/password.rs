//! Password hashing with argon2id (PHC string format, parameters stored with the hash).
//!
//! Memory: argon2's default parameters need 19 MiB of working memory per hash. Allocated
//! per call, that memory ends up kept by the allocator's per-thread arenas after it is freed
//! (glibc raises its mmap threshold after the first free), so a burst of logins across the
//! blocking pool's threads left hundreds of MB resident. Here at most [`permits`] hashes run
//! at once (one per core: more would only queue for the CPU), each in a buffer taken from a
//! pool that never holds more than [`permits`] buffers, so hashing memory stays bounded by
//! `permits × 19 MiB` however many logins arrive. A login that cannot get a permit within
//! [`MAX_WAIT`] is answered 503 with `Retry-After` instead of piling up.

use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::Duration;

use actix_web::http::StatusCode;
use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

/// How long a login waits for a hashing permit before it is answered 503.
pub const MAX_WAIT: Duration = Duration::from_secs(5);

struct Hashing {
    permits: Arc<Semaphore>,
    size: usize,
    /// Working memory of finished hashes, reused by the next ones.
    buffers: Mutex<Vec<Vec<Block>>>,
}

static HASHING: LazyLock<Hashing> = LazyLock::new(|| {
    let size = std::thread::available_parallelism().map_or(2, |n| n.get());
    Hashing {
        permits: Arc::new(Semaphore::new(size)),
        size,
        buffers: Mutex::new(Vec::with_capacity(size)),
    }
});

/// How many hashes may run at once (the number of cores).
pub fn permits() -> usize {
    HASHING.size
}

/// The right to run one hash: one of the [`permits`].
pub struct HashPermit {
    _held: tokio::sync::OwnedSemaphorePermit,
}

/// Waits at most [`MAX_WAIT`] for a hashing permit; else 503 `auth.busy` with
/// `Retry-After: 1`. A login takes it before its attempt is counted, so a busy server
/// never counts against the account.
pub async fn permit() -> ApiResult<HashPermit> {
    tokio::time::timeout(MAX_WAIT, HASHING.permits.clone().acquire_owned())
        .await
        .map_err(|_| busy())?
        .map(|held| HashPermit { _held: held })
        .map_err(|_| busy())
}

impl HashPermit {
    /// Runs a hashing closure ([`hash`], [`verify`], [`verify_dummy`]) on the blocking pool.
    /// The permit travels with the closure, so it is held until the hash is done even if
    /// the request is dropped meanwhile.
    pub async fn run<T, F>(self, f: F) -> ApiResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Ok(actix_web::web::block(move || {
            let out = f();
            drop(self);
            out
        })
        .await?)
    }
}

/// [`permit`], then [`HashPermit::run`].
pub async fn bounded<T, F>(f: F) -> ApiResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    permit().await?.run(f).await
}

fn busy() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "auth.busy",
        "Máy chủ đang bận kiểm tra mật khẩu, vui lòng thử lại sau giây lát.",
        "The server is busy checking passwords; please retry in a moment.",
    )
    .with_header("retry-after", "1")
}

/// Runs `f` with working memory for `params`, from the pool when one is free.
fn with_memory<T>(params: &Params, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let blocks = params.block_count();
    let mut buffer = HASHING
        .buffers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop()
        .unwrap_or_default();
    if buffer.len() < blocks {
        buffer.resize(blocks, Block::default());
    }
    let out = f(&mut buffer[..blocks]);
    let mut pool = HASHING.buffers.lock().unwrap_or_else(|e| e.into_inner());
    // Callers outside `bounded` (CLI, tests) may briefly use more; keep only `permits`.
    if pool.len() < HASHING.size {
        pool.push(buffer);
    }
    out
}

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .expect("a generated salt decodes");
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    with_memory(&params, |blocks| {
        argon.hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, blocks)
    })
    .expect("argon2 hashing with default parameters cannot fail");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).expect("default parameters format"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).expect("32-byte output")),
    }
    .to_string()
}

pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params.clone());
    let computed = with_memory(&params, |blocks| {
        argon.hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, blocks)
    });
    // `Output`'s equality is constant-time.
    computed.is_ok() && Output::new(&out).is_ok_and(|o| o == expected)
}

/// Spends the same time as a real verification, so that a login for an unknown username
/// cannot be told apart from a wrong password by timing.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("motcua-timing-equaliser"));
    let _ = verify(password, phc);
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, SaltString};

    #[test]
    fn hash_verifies_and_salts_differ() {
        let a = super::hash("mật khẩu đủ dài");
        let b = super::hash("mật khẩu đủ dài");
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(super::verify("mật khẩu đủ dài", &a));
        assert!(!super::verify("mat khau du dai", &a));
        assert!(!super::verify("x", "not a phc string"));
    }

    #[test]
    fn agrees_with_the_argon2_crate_both_ways() {
        use argon2::PasswordVerifier;
        // Hashes stored before the pooled buffers (made by the crate's own hasher) verify,
        // and ours verify with the crate's verifier.
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let theirs = argon2::Argon2::default()
            .hash_password(b"mat-khau", &salt)
            .unwrap()
            .to_string();
        assert!(super::verify("mat-khau", &theirs));
        assert!(!super::verify("mat-khac", &theirs));
        let ours = super::hash("mat-khau");
        let parsed = argon2::password_hash::PasswordHash::new(&ours).unwrap();
        assert!(argon2::Argon2::default()
            .verify_password(b"mat-khau", &parsed)
            .is_ok());
    }

    #[test]
    fn the_pool_keeps_at_most_one_buffer_per_permit() {
        std::thread::scope(|s| {
            for _ in 0..(super::permits() * 3) {
                s.spawn(|| super::verify_dummy("x"));
            }
        });
        let kept = super::HASHING.buffers.lock().unwrap().len();
        assert!(kept <= super::permits(), "{kept} buffers kept");
    }
}
