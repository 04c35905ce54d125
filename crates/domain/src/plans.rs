//! Plans and feature gates. This table is the one place that decides what each plan allows;
//! every gate in the product reads it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Pro,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Pro => "pro",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "free" => Some(Self::Free),
            "pro" => Some(Self::Pro),
            _ => None,
        }
    }

    /// The plan in force at `now`: PRO past its `pro_until` is FREE again. Nothing is deleted
    /// on downgrade; gated things simply pause until the next upgrade.
    pub fn effective(stored: Plan, pro_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Plan {
        match (stored, pro_until) {
            (Self::Pro, Some(until)) if until <= now => Self::Free,
            (plan, _) => plan,
        }
    }
}

/// Something a plan may or may not include.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Staff members besides the owner (with optional logins).
    Staff,
    /// Choosing a staff member on booking pages.
    StaffSelection,
    GoogleCalendar,
    SmsNotifications,
}

impl Feature {
    pub fn code(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::StaffSelection => "staff_selection",
            Self::GoogleCalendar => "google_calendar",
            Self::SmsNotifications => "sms_notifications",
        }
    }

    /// What the feature does, for the upgrade page.
    pub fn title(self) -> &'static str {
        match self {
            Self::Staff => "Staff members",
            Self::StaffSelection => "Staff selection on booking pages",
            Self::GoogleCalendar => "Google Calendar sync",
            Self::SmsNotifications => "SMS notifications",
        }
    }

    pub fn pitch(self) -> &'static str {
        match self {
            Self::Staff => {
                "Add up to 10 staff members, each with their own services, weekly hours, time off \
                 and an optional login to see their own appointments."
            }
            Self::StaffSelection => {
                "Let clients choose who they book with, or take the first available person."
            }
            Self::GoogleCalendar => {
                "Every booking appears in your Google Calendar and stays up to date when it is \
                 rescheduled or cancelled."
            }
            Self::SmsNotifications => {
                "Send booking confirmations and reminders by text message as well as email."
            }
        }
    }
}

/// The gate table (DESIGN.md §5). Everything not listed here is on every plan.
pub fn allows(plan: Plan, feature: Feature) -> bool {
    match feature {
        Feature::Staff
        | Feature::StaffSelection
        | Feature::GoogleCalendar
        | Feature::SmsNotifications => plan == Plan::Pro,
    }
}

/// Active staff members (besides the owner) a plan may have bookable.
pub fn max_active_staff(plan: Plan) -> usize {
    match plan {
        Plan::Free => 0,
        Plan::Pro => 10,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn pro_features_need_pro() {
        for feature in [
            Feature::Staff,
            Feature::StaffSelection,
            Feature::GoogleCalendar,
            Feature::SmsNotifications,
        ] {
            assert!(!allows(Plan::Free, feature));
            assert!(allows(Plan::Pro, feature));
        }
        assert_eq!(max_active_staff(Plan::Free), 0);
        assert_eq!(max_active_staff(Plan::Pro), 10);
    }

    #[test]
    fn pro_lapses_at_pro_until() {
        let until = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let before = until - chrono::Duration::seconds(1);
        assert_eq!(Plan::effective(Plan::Pro, Some(until), before), Plan::Pro);
        assert_eq!(Plan::effective(Plan::Pro, Some(until), until), Plan::Free);
        assert_eq!(Plan::effective(Plan::Pro, None, until), Plan::Pro);
        assert_eq!(Plan::effective(Plan::Free, None, until), Plan::Free);
    }
}
