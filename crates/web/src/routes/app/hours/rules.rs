//! The tenant's booking rules: slot interval, notice, how far ahead, hold time, cut-off.

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use portico_store::tenants::{self, Scheduling};
use serde::{Deserialize, Serialize};

use super::Person;
use super::page::{Pending, render};
use crate::auth::OwnerScope;
use crate::chrome::flash;
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::routes::input::rules::rule_value;
use crate::{AppState, Error};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RulesForm {
    #[serde(default)]
    slot_interval_minutes: String,
    #[serde(default)]
    min_notice_minutes: String,
    #[serde(default)]
    max_advance_days: String,
    #[serde(default)]
    hold_minutes: String,
    #[serde(default)]
    cancel_cutoff_hours: String,
    #[serde(default)]
    series_cancel_grace_minutes: String,
}

impl RulesForm {
    pub(super) fn current(s: &Scheduling) -> Self {
        Self {
            slot_interval_minutes: s.slot_interval_minutes.to_string(),
            min_notice_minutes: s.min_notice_minutes.to_string(),
            max_advance_days: s.max_advance_days.to_string(),
            hold_minutes: s.hold_minutes.to_string(),
            cancel_cutoff_hours: s.cancel_cutoff_hours.to_string(),
            series_cancel_grace_minutes: s.series_cancel_grace_minutes.to_string(),
        }
    }

    fn validate(&self) -> Result<Scheduling, FieldErrors> {
        let mut check = Check::default();
        let mut number = |field: &str, text: &str| {
            let parsed = text.trim().parse::<i64>().ok();
            check.field(field, rule_value(field, parsed))
        };
        let slot = number("slot_interval_minutes", &self.slot_interval_minutes);
        let notice = number("min_notice_minutes", &self.min_notice_minutes);
        let advance = number("max_advance_days", &self.max_advance_days);
        let hold = number("hold_minutes", &self.hold_minutes);
        let cutoff = number("cancel_cutoff_hours", &self.cancel_cutoff_hours);
        let grace = number("series_cancel_grace_minutes", &self.series_cancel_grace_minutes);
        match (slot, notice, advance, hold, cutoff, grace) {
            (Some(slot), Some(notice), Some(advance), Some(hold), Some(cutoff), Some(grace)) => {
                Ok(Scheduling {
                    slot_interval_minutes: slot,
                    min_notice_minutes: notice,
                    max_advance_days: advance,
                    hold_minutes: hold,
                    cancel_cutoff_hours: cutoff,
                    series_cancel_grace_minutes: grace,
                })
            }
            _ => Err(check.errors),
        }
    }
}

pub async fn update_rules(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<RulesForm>,
) -> Result<Response, Error> {
    let rules = match form.validate() {
        Ok(rules) => rules,
        Err(errors) => {
            let pending = Pending { rules: Some((form, errors)), ..Pending::default() };
            return render(&state, &scope, &Person { staff: None }, pending).await;
        }
    };
    tenants::update_scheduling(&state.db, scope.id(), &rules, state.clock.now_ts()).await?;
    let detail = format!(
        "interval={} notice={} advance={} hold={} cutoff={} grace={}",
        rules.slot_interval_minutes,
        rules.min_notice_minutes,
        rules.max_advance_days,
        rules.hold_minutes,
        rules.cancel_cutoff_hours,
        rules.series_cancel_grace_minutes
    );
    state
        .audit(&scope.viewer, Some(scope.id()), Some(scope.user.id), "scheduling.updated", detail)
        .await?;
    flash(&scope.viewer.session, "info", "Booking rules saved.").await?;
    Ok(see_other(&format!("/app/{}/hours", scope.tenant.slug)))
}
