//! The recurring-series form shared by the provider dashboard and the client portal.

use chrono::{NaiveDate, Weekday};
use portico_domain::recurrence::{End, Rule};
use portico_domain::schedule::LocalMinutes;
use serde::{Deserialize, Serialize};

use crate::forms::Check;

/// As posted. Weekdays come as checkboxes `mo`, `tu`, … .
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SeriesForm {
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub staff_id: String,
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub interval_weeks: String,
    #[serde(default)]
    pub ends: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub count: String,
    pub mo: Option<String>,
    pub tu: Option<String>,
    pub we: Option<String>,
    pub th: Option<String>,
    pub fr: Option<String>,
    pub sa: Option<String>,
    pub su: Option<String>,
}

impl SeriesForm {
    fn weekdays(&self) -> Vec<Weekday> {
        [
            (&self.mo, Weekday::Mon),
            (&self.tu, Weekday::Tue),
            (&self.we, Weekday::Wed),
            (&self.th, Weekday::Thu),
            (&self.fr, Weekday::Fri),
            (&self.sa, Weekday::Sat),
            (&self.su, Weekday::Sun),
        ]
        .into_iter()
        .filter_map(|(on, day)| on.as_ref().map(|_| day))
        .collect()
    }

    /// The rule and local start time, recording field errors in `check`.
    pub fn parse(&self, check: &mut Check, today: NaiveDate) -> Option<(Rule, LocalMinutes)> {
        let time =
            check.field("time", LocalMinutes::parse(self.time.trim()).map_err(|e| e.to_string()));
        let starts_on = check.field(
            "starts_on",
            self.starts_on.trim().parse::<NaiveDate>().map_err(|_| "Choose a date."),
        );
        if starts_on.is_some_and(|d| d < today) {
            check.fail("starts_on", "Choose today or a later date.");
        }
        let interval = check.field(
            "interval_weeks",
            self.interval_weeks.trim().parse::<u32>().map_err(|_| "Enter a number of weeks."),
        );
        let end = match self.ends.as_str() {
            "count" => check
                .field(
                    "count",
                    self.count.trim().parse::<u32>().map_err(|_| "Enter how many times."),
                )
                .map(End::Count),
            _ => check
                .field(
                    "until",
                    self.until.trim().parse::<NaiveDate>().map_err(|_| "Choose the last date."),
                )
                .map(End::Until),
        };
        let (time, starts_on, interval, end) = (time?, starts_on?, interval?, end?);
        let rule =
            check.field("weekdays", Rule::new(interval, &self.weekdays(), starts_on, end))?;
        check.is_ok().then_some((rule, time))
    }
}

/// "Every 2 weeks on Mon, Fri at 09:00, 6 times" for pages.
pub fn describe(series: &portico_store::series::Series) -> String {
    let Ok(rule) = series.rule() else { return series.rrule.clone() };
    let every = if rule.interval_weeks == 1 {
        "Every week".to_owned()
    } else {
        format!("Every {} weeks", rule.interval_weeks)
    };
    let days: Vec<String> = rule.weekdays.iter().map(|d| d.to_string()).collect();
    let minute = series.local_start_minute;
    let end = match rule.end {
        End::Count(n) => format!("{n} times"),
        End::Until(date) => format!("until {date}"),
    };
    format!(
        "{every} on {} at {:02}:{:02} from {}, {end}",
        days.join(", "),
        minute / 60,
        minute % 60,
        rule.starts_on
    )
}

/// A series as listed on a page.
#[derive(Debug, Serialize)]
pub struct SeriesView {
    pub id: i64,
    pub service: String,
    pub text: String,
    pub cancelled_from: String,
    pub upcoming: Vec<String>,
    pub skipped: Vec<Skip>,
}

#[derive(Debug, Serialize)]
pub struct Skip {
    pub date: String,
    pub reason: String,
}

/// A weekday checkbox.
#[derive(Debug, Serialize)]
pub struct WeekdayBox {
    pub key: &'static str,
    pub name: &'static str,
    pub checked: bool,
}

impl SeriesForm {
    /// The weekday checkboxes, as posted.
    pub fn weekday_boxes(&self) -> Vec<WeekdayBox> {
        [
            ("mo", "Mon", &self.mo),
            ("tu", "Tue", &self.tu),
            ("we", "Wed", &self.we),
            ("th", "Thu", &self.th),
            ("fr", "Fri", &self.fr),
            ("sa", "Sat", &self.sa),
            ("su", "Sun", &self.su),
        ]
        .into_iter()
        .map(|(key, name, on)| WeekdayBox { key, name, checked: on.is_some() })
        .collect()
    }
}

/// The client's series with their next occurrences and skipped dates.
pub async fn views(
    state: &crate::AppState,
    tenant: &portico_store::tenants::Tenant,
    client: portico_domain::ClientId,
) -> Result<Vec<SeriesView>, crate::Error> {
    use portico_store::{bookings, catalog, series};
    let services = catalog::list(&state.db, tenant.id, false).await?;
    // The client's upcoming confirmed bookings, once for all series.
    let filter = bookings::Filter {
        from: Some(state.clock.now_ts()),
        client: Some(client.get()),
        status: Some(bookings::Status::Confirmed),
        limit: Some(500),
        ..Default::default()
    };
    let upcoming = bookings::list(&state.db, tenant, &filter).await?;
    let mut views = Vec::new();
    for s in series::for_client(&state.db, tenant.id, client).await? {
        views.push(SeriesView {
            id: s.id,
            service: services
                .iter()
                .find(|sv| sv.id == s.service_id)
                .map(|sv| sv.name.clone())
                .unwrap_or_default(),
            text: describe(&s),
            cancelled_from: s.cancelled_from.clone(),
            upcoming: upcoming
                .iter()
                .filter(|b| b.series_id == Some(s.id))
                .take(6)
                .map(|b| {
                    crate::routes::book::flow::local_range(
                        tenant,
                        b.starts_at.unix(),
                        b.ends_at.unix(),
                    )
                    .0
                })
                .collect(),
            skipped: series::skips(&state.db, tenant.id, s.id)
                .await?
                .into_iter()
                .map(|(date, reason)| Skip { date, reason })
                .collect(),
        });
    }
    Ok(views)
}

/// Validates the posted series (plus whatever the caller already checked in `check`) and books
/// it (the workflow records it in the audit log). `Ok(Err(fields))` when the form needs correcting.
#[expect(clippy::too_many_arguments, reason = "who asks, for whom, and what")]
pub async fn create(
    state: &crate::AppState,
    viewer: &crate::auth::Viewer,
    actor: portico_domain::booking::Actor,
    tenant: &portico_store::tenants::Tenant,
    client: portico_domain::ClientId,
    staff: Option<i64>,
    form: &SeriesForm,
    mut check: Check,
) -> Result<Result<portico_core::series::Outcome, crate::error::FieldErrors>, crate::Error> {
    use portico_store::catalog;
    let service =
        catalog::by_code(&state.db, tenant.id, form.service.trim()).await?.filter(|s| s.active);
    if service.is_none() {
        check.fail("service", "Choose a service.");
    }
    let parsed = form.parse(&mut check, crate::routes::book::flow::today(state, tenant));
    let (Some(service), Some((rule, time)), true) = (service, parsed, check.is_ok()) else {
        return Ok(Err(check.errors));
    };
    let new = portico_core::series::NewSeries {
        client,
        service: &service,
        staff,
        rule: &rule,
        local_start: time,
    };
    let ctx = state.context(actor, viewer.ip_string());
    let (_, outcome) = portico_core::series::create(&state.db, tenant, &new, &ctx).await?;
    if outcome.refused() {
        // Nothing was kept: say why, date by date (the first few).
        let reasons: Vec<String> =
            outcome.skipped.iter().take(3).map(|(date, why)| format!("{date}: {why}")).collect();
        let more = outcome.skipped.len().saturating_sub(reasons.len());
        let mut message = format!("This series would book nothing. {}", reasons.join("; "));
        if more > 0 {
            message.push_str(&format!(" (and {more} more)"));
        }
        check.fail("starts_on", message);
        return Ok(Err(check.errors));
    }
    Ok(Ok(outcome))
}
