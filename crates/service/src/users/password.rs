//! Password hashing: the one place tiercare uses argon2. Accounts store
//! only the PHC string of an argon2id hash with a random salt; signing in
//! (the API's token endpoint, the web pages) checks a password here.

use crate::ServiceError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
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
/// be read.
pub fn verify_password(password: &str, hash: &str) -> bool {
    argon2::password_hash::PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
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
        assert_eq!(format!("{h:?}"), "PasswordHash(..)");
    }
}
