//! The tenant's booking rules (`tenants::Scheduling`): the settings page and
//! `PATCH /api/v1/{tenant}/settings/booking` accept the same ranges.

/// Each booking rule with its lowest and highest allowed value.
pub const RULE_RANGES: [(&str, u32, u32); 6] = [
    ("slot_interval_minutes", 5, 120),
    ("min_notice_minutes", 0, 10_080),
    ("max_advance_days", 1, 730),
    ("hold_minutes", 1, 60),
    ("cancel_cutoff_hours", 0, 720),
    ("series_cancel_grace_minutes", 0, 1440),
];

/// `value` for the rule `field` if it is a whole number in the rule's range, else the message
/// to show under the field. `None` is a value that was not a whole number.
pub fn rule_value(field: &str, value: Option<i64>) -> Result<u32, String> {
    let (low, high) = RULE_RANGES
        .iter()
        .find(|(name, _, _)| *name == field)
        .map_or((0, 0), |(_, low, high)| (*low, *high));
    value
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| (low..=high).contains(n))
        .ok_or(format!("Enter a whole number from {low} to {high}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_keeps_its_range() {
        assert_eq!(rule_value("slot_interval_minutes", Some(5)), Ok(5));
        assert!(rule_value("slot_interval_minutes", Some(4)).is_err());
        assert_eq!(rule_value("min_notice_minutes", Some(0)), Ok(0));
        assert!(rule_value("hold_minutes", Some(61)).is_err());
        assert!(rule_value("max_advance_days", Some(-1)).is_err());
        assert!(rule_value("cancel_cutoff_hours", None).is_err());
        assert_eq!(rule_value("series_cancel_grace_minutes", Some(0)), Ok(0));
        assert!(rule_value("series_cancel_grace_minutes", Some(1441)).is_err());
        assert_eq!(
            rule_value("max_advance_days", Some(0)),
            Err("Enter a whole number from 1 to 730.".to_owned())
        );
    }
}
