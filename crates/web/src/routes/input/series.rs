//! The recurring-series form shared by the provider dashboard and the client portal: a first
//! step chooses the service, the person and the first date; the second shows the start times
//! actually bookable on that date (never a typed time) and the repetition; a posted time the
//! first date does not offer is refused.

use chrono::{Datelike as _, NaiveDate, Weekday};
use portico_domain::recurrence::{End, Rule};
use portico_domain::schedule::LocalMinutes;
use portico_store::catalog::{self, Service};
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};

use crate::forms::Check;
use crate::routes::book::flow;
use crate::{AppState, Error};

/// Who sets the series up, and so which options its first date offers: a provider books past
/// the notice and advance rules guests have, a client within them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booker {
    Provider,
    Client,
}

/// What the first step of the page chose: the service, the person and the first date.
#[derive(Debug, Default, Deserialize)]
pub struct FirstStep {
    #[serde(default)]
    service: String,
    #[serde(default)]
    staff_id: String,
    #[serde(default)]
    starts_on: String,
}

impl FirstStep {
    /// The form the page starts with: weekly, eight times, from the chosen first date
    /// (tomorrow if none) on its weekday, with the chosen service (the first active one if none).
    pub async fn form(self, state: &AppState, tenant: &Tenant) -> Result<SeriesForm, Error> {
        let service = match self.service.trim() {
            "" => catalog::list(&state.db, tenant.id, true)
                .await?
                .into_iter()
                .next()
                .map(|s| s.code)
                .unwrap_or_default(),
            code => code.to_owned(),
        };
        let tomorrow = flow::today(state, tenant).succ_opt().map(|d| d.to_string());
        let mut form = SeriesForm {
            service,
            staff_id: self.staff_id,
            interval_weeks: "1".into(),
            ends: "count".into(),
            count: "8".into(),
            starts_on: match self.starts_on.trim() {
                "" => tomorrow.unwrap_or_default(),
                date => date.to_owned(),
            },
            ..SeriesForm::default()
        };
        if let Ok(date) = form.starts_on.parse::<NaiveDate>() {
            let on = Some("on".to_owned());
            match date.weekday() {
                Weekday::Mon => form.mo = on,
                Weekday::Tue => form.tu = on,
                Weekday::Wed => form.we = on,
                Weekday::Thu => form.th = on,
                Weekday::Fri => form.fr = on,
                Weekday::Sat => form.sa = on,
                Weekday::Sun => form.su = on,
            }
        }
        Ok(form)
    }
}

/// A person to book the series with.
#[derive(Debug, Serialize)]
pub struct StaffChoice {
    pub id: i64,
    /// The id as text, to compare with the posted form.
    pub key: String,
    pub name: String,
}

impl StaffChoice {
    pub fn new(id: i64, name: String) -> Self {
        Self { id, key: id.to_string(), name }
    }
}

/// A start time offered on the first date.
#[derive(Debug, Serialize)]
pub struct TimeChoice {
    /// Local "HH:MM", posted as `time`.
    pub time: String,
    /// "09:00–10:00", with the block's label in block mode.
    pub label: String,
    pub checked: bool,
}

/// The service and first date the form names, if both are valid.
async fn chosen(
    state: &AppState,
    tenant: &Tenant,
    form: &SeriesForm,
) -> Result<Option<(Service, NaiveDate)>, Error> {
    let service =
        catalog::by_code(&state.db, tenant.id, form.service.trim()).await?.filter(|s| s.active);
    let date = form.starts_on.trim().parse::<NaiveDate>().ok();
    Ok(service.zip(date.filter(|d| *d >= flow::today(state, tenant))))
}

/// The distinct local start times of `service` (with `staff`, or anyone) on `date`, as
/// `booker` may book them.
async fn offered(
    state: &AppState,
    tenant: &Tenant,
    booker: Booker,
    service: &Service,
    staff: Option<i64>,
    date: NaiveDate,
) -> Result<Vec<TimeChoice>, Error> {
    let options = match booker {
        Booker::Provider => {
            crate::routes::app::bookings::provider_options(
                state, tenant, service, date, staff, None,
            )
            .await?
        }
        Booker::Client => flow::options(state, tenant, service, date, staff, None).await?,
    };
    let mut times: Vec<TimeChoice> = Vec::new();
    for o in options {
        if times.iter().all(|t| t.time != o.time) {
            let label = match &o.label {
                Some(label) => format!("{}–{} {label}", o.time, o.until),
                None => format!("{}–{}", o.time, o.until),
            };
            times.push(TimeChoice { time: o.time, label, checked: false });
        }
    }
    Ok(times)
}

/// The start times the page offers for the form's service, person and first date (the posted
/// one checked); `None` until a service and a first date are chosen.
pub async fn times(
    state: &AppState,
    tenant: &Tenant,
    booker: Booker,
    form: &SeriesForm,
    staff: Option<i64>,
) -> Result<Option<Vec<TimeChoice>>, Error> {
    let Some((service, date)) = chosen(state, tenant, form).await? else { return Ok(None) };
    let mut times = offered(state, tenant, booker, &service, staff, date).await?;
    for t in &mut times {
        t.checked = t.time == form.time.trim();
    }
    Ok(Some(times))
}

/// Refuses (in `check`) a posted time the first date does not offer for this service and
/// person.
pub async fn check_time(
    state: &AppState,
    tenant: &Tenant,
    booker: Booker,
    form: &SeriesForm,
    staff: Option<i64>,
    check: &mut Check,
) -> Result<(), Error> {
    if let Some(times) = times(state, tenant, booker, form, staff).await?
        && !times.iter().any(|t| t.checked)
    {
        check.fail("time", "Choose one of the times offered on the first date.");
    }
    Ok(())
}

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
            id: s.id.get(),
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
            skipped: series::skips(&state.db, tenant.id, s.id.get())
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
