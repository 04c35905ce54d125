//! The tenant's notification settings, as the settings page and the API take them.

/// The longest reminder lead time: 30 days.
pub const MAX_REMINDER_MINUTES: i64 = 30 * 24 * 60;

/// Checks a reminder lead time in minutes (off is "no value", decided by the caller).
pub fn reminder_minutes(value: i64) -> Result<u32, String> {
    match u32::try_from(value) {
        Ok(minutes) if (1..=MAX_REMINDER_MINUTES).contains(&value) => Ok(minutes),
        _ => Err(format!("Use 1 to {MAX_REMINDER_MINUTES} minutes, or none for no reminders.")),
    }
}
