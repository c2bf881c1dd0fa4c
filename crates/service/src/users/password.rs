//! Password hashing: the one place tiercare uses argon2. Accounts store
//! only the PHC string of an argon2id hash with a random salt; signing in
//! (the API's token endpoint, the web pages) checks a password here.

use crate::ServiceError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use rand::RngCore;

/// The shortest password an account may have. Ten characters: the demo
/// passwords and anything a user is told to choose clear it, while a PIN
/// or a word does not.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// An argon2id hash in PHC string format, as the store keeps it. Only
/// [`hash_password`] makes one from a password, so a value of this type is
/// never a password in clear.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// The PHC string, for the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// Hashes a password with argon2id and a random salt. Does not check the
/// password's length: the user service does, for new passwords, while the
/// API hashes a fixed dummy password to keep failed sign-ins slow.
pub fn hash_password(password: &str) -> Result<PasswordHash, ServiceError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| PasswordHash(h.to_string()))
        .map_err(|e| ServiceError::Unavailable(e.to_string()))
}

/// Whether `password` matches a stored hash; false for a hash that cannot
/// be read. The hash's working memory (19 MiB with the default
/// parameters) is kept per thread and reused, rather than allocated and
/// freed per check: the allocator would keep freed blocks of that size
/// around anyway, a few per thread, and a burst of sign-ins would leave the
/// process hundreds of MiB larger.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::Output;
    use argon2::{Algorithm, Block, Params, Version};
    thread_local! {
        static MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let Ok(h) = argon2::password_hash::PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(h.algorithm),
        Params::try_from(&h),
        h.salt,
        h.hash,
    ) else {
        return false;
    };
    let version = match h.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let hashed = MEMORY.with(|memory| {
        let mut blocks = memory.borrow_mut();
        blocks.resize(params.block_count(), Block::default());
        Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut blocks[..],
        )
    });
    // `Output` compares in constant time.
    hashed.is_ok() && Output::new(&out).is_ok_and(|o| o == expected)
}

/// Checks a new password's length, then hashes it off the async threads
/// (argon2 is deliberately slow).
pub(super) async fn hash_new(password: &str) -> Result<PasswordHash, ServiceError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ServiceError::invalid(
            "password",
            format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ServiceError::Unavailable(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", h.as_str()));
        assert!(!verify_password("wrong horse", h.as_str()));
        assert!(!verify_password("correct horse", "not a hash"));
        // The same answers again, on the thread's reused memory.
        assert!(verify_password("correct horse", h.as_str()));
        assert!(!verify_password("correct horsf", h.as_str()));
        assert_eq!(format!("{h:?}"), "PasswordHash(..)");
    }
}
