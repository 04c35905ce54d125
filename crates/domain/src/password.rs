//! The password policy: long enough, not absurdly long, not one of the passwords attackers try
//! first, and not simply the account's own email or business name.
//!
//! The rules follow NIST SP 800-63B (§5.1.1.2): a length floor, a generous ceiling, a check
//! against a list of common passwords, and no composition rules. The password is checked whole
//! and never truncated: what passes here is exactly what the caller hashes.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Fewest characters (Unicode scalar values) a password may have.
pub const MIN_LENGTH: usize = 8;

/// Most characters (Unicode scalar values) a password may have.
pub const MAX_LENGTH: usize = 128;

/// Why a password was refused. The messages are written for the person choosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_LENGTH`] characters.
    #[error("Use at least {min} characters.", min = MIN_LENGTH)]
    TooShort,
    /// More than [`MAX_LENGTH`] characters.
    #[error("Use at most {max} characters.", max = MAX_LENGTH)]
    TooLong,
    /// One of the most common passwords, which attackers try first.
    #[error("This is one of the most common passwords. Choose one that is harder to guess.")]
    TooCommon,
    /// The same as the account's email, name or business name.
    #[error("Your password can't be your email address or name.")]
    TooSimilar,
}

/// The 10,000 most common passwords, lowercase (see `data/README.md` for where they come from).
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// Checks `password` against the policy. `context` holds strings the password must not equal
/// (ignoring case), such as the user's email address and name or the business name; empty
/// strings in it are ignored.
pub fn check_password(password: &str, context: &[&str]) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }

    let lowered = password.to_lowercase();
    if COMMON.contains(lowered.as_str()) {
        return Err(PasswordError::TooCommon);
    }
    if context.iter().any(|item| !item.is_empty() && item.to_lowercase() == lowered) {
        return Err(PasswordError::TooSimilar);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_exactly_ten_thousand_entries() {
        assert_eq!(COMMON.len(), 10_000);
    }

    #[test]
    fn long_passwords_are_accepted_whole() {
        let sixty_four = "correct horse battery staple ".repeat(3)[..64].to_owned();
        assert_eq!(sixty_four.chars().count(), 64);
        assert_eq!(check_password(&sixty_four, &[]), Ok(()));

        let hundred = "tr0ub4dor&3-".repeat(9)[..100].to_owned();
        assert_eq!(hundred.chars().count(), 100);
        assert_eq!(check_password(&hundred, &[]), Ok(()));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // Seven characters, fourteen bytes in UTF-8.
        assert_eq!(check_password("ééééééé", &[]), Err(PasswordError::TooShort));
        assert_eq!(check_password("éééééééé", &[]), Ok(()));
        assert_eq!(check_password(&"é".repeat(MAX_LENGTH), &[]), Ok(()));
    }

    #[test]
    fn too_short_and_too_long_are_refused() {
        assert_eq!(check_password("k9#vQ2x", &[]), Err(PasswordError::TooShort));
        assert_eq!(check_password("", &[]), Err(PasswordError::TooShort));
        assert_eq!(check_password(&"x7".repeat(65), &[]), Err(PasswordError::TooLong));
        assert_eq!(check_password(&"q".repeat(MAX_LENGTH), &[]), Ok(()));
    }

    #[test]
    fn common_passwords_are_refused_ignoring_case() {
        // All of these are in data/common-passwords.txt.
        for password in ["password", "iloveyou", "Password1", "SUNSHINE", "qwerty123", "12345678"] {
            assert_eq!(
                check_password(password, &[]),
                Err(PasswordError::TooCommon),
                "{password} should be refused"
            );
        }
    }

    #[test]
    fn a_password_equal_to_the_context_is_refused() {
        let email = "Ada.Lovelace@example.com";
        let context = [email, "Lovelace Tutoring"];
        assert_eq!(
            check_password("ada.lovelace@EXAMPLE.com", &context),
            Err(PasswordError::TooSimilar)
        );
        assert_eq!(check_password("lovelace tutoring", &context), Err(PasswordError::TooSimilar));
        assert_eq!(check_password("analytical-engine-1843", &context), Ok(()));
        assert_eq!(check_password("analytical-engine-1843", &[""]), Ok(()));
    }

    #[test]
    fn messages_are_for_people() {
        assert_eq!(PasswordError::TooShort.to_string(), "Use at least 8 characters.");
        assert_eq!(PasswordError::TooLong.to_string(), "Use at most 128 characters.");
    }
}
