//! The provider home and the tenant switcher.
//!
//! The home runs the day: today's and the next days' bookings per person and block with their
//! actions, the public booking link, the week's numbers, and — until a new business has done
//! each step — a setup checklist.

use axum::extract::State;
use axum::response::Response;
use chrono::{Datelike as _, Duration};
use portico_domain::accounts::Role;
use portico_domain::plans::{self, Feature};
use portico_store::calendar;
use portico_store::overview::{self, Setup, StatusCounts};
use portico_store::tenants;
use serde::Serialize;

use super::bookings::agenda::{self, HomeDay};
use super::bookings::day_start;
use crate::auth::{TenantScope, Viewer};
use crate::chrome::Chrome;
use crate::forms::see_other;
use crate::routes::book::flow;
use crate::{AppState, Error};

/// How many days from today the home lists.
const DAYS: i64 = 3;

/// One step of a new business's setup.
#[derive(Debug, Serialize)]
struct Step {
    text: &'static str,
    /// Where the step is done; `None` for the booking link (copied on the page itself).
    href: Option<String>,
    done: bool,
}

/// `calendar`: whether the owner's Google Calendar is connected, when the plan and the
/// operator offer it (`None`: the step does not apply).
fn checklist(slug: &str, setup: Setup, calendar: Option<bool>) -> Vec<Step> {
    let mut steps = vec![
        Step {
            text: "Add a service",
            href: Some(format!("/app/{slug}/services/new")),
            done: setup.service,
        },
        Step {
            text: "Set your weekly hours or timetable blocks",
            href: Some(format!("/app/{slug}/hours")),
            done: setup.schedule,
        },
        Step {
            text: "Add or invite a client",
            href: Some(format!("/app/{slug}/clients/new")),
            done: setup.client,
        },
        Step {
            text: "Share your booking link and take a first booking",
            href: None,
            done: setup.booked,
        },
    ];
    if let Some(done) = calendar {
        let href = Some(format!("/app/{slug}/calendar"));
        steps.push(Step { text: "Connect your Google Calendar", href, done });
    }
    steps
}

/// The week's numbers (Monday to Sunday, the tenant's time).
#[derive(Debug, Serialize)]
struct Week {
    label: String,
    booked: i64,
    completed: i64,
    cancelled: i64,
    no_show: i64,
}

impl Week {
    fn new(label: String, counts: StatusCounts) -> Self {
        Self {
            label,
            booked: counts.booked(),
            completed: counts.completed,
            cancelled: counts.cancelled,
            no_show: counts.no_show,
        }
    }
}

#[derive(Serialize)]
struct DashboardPage {
    chrome: Chrome,
    role: &'static str,
    owner: bool,
    timezone: String,
    plan: &'static str,
    pro_until: Option<i64>,
    portal_enabled: bool,
    booking_link: String,
    /// Empty once every step is done.
    checklist: Vec<Step>,
    week: Option<Week>,
    days: Vec<HomeDay>,
    /// Google disconnected this person's calendar: a banner asks them to reconnect.
    calendar_lost: bool,
}

pub async fn show(State(state): State<AppState>, scope: TenantScope) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let owner = scope.role == Role::Owner;
    let (checklist, week) = if owner {
        let setup = overview::setup(&state.db, tenant.id).await?;
        let calendar = if plans::allows(scope.plan(&state), Feature::GoogleCalendar)
            && state.google.is_some()
        {
            let mine = calendar::for_user(&state.db, tenant.id, scope.user.id).await?;
            Some(mine.is_some_and(|c| c.is_connected()))
        } else {
            None
        };
        let steps = checklist(&tenant.slug, setup, calendar);
        let steps = if steps.iter().all(|s| s.done) { Vec::new() } else { steps };
        let today = flow::today(&state, tenant);
        let monday = today - Duration::days(today.weekday().num_days_from_monday().into());
        let from = day_start(tenant, monday).timestamp();
        let to = day_start(tenant, monday + Duration::days(7)).timestamp();
        let counts = overview::status_counts(&state.db, tenant.id, from, to).await?;
        (steps, Some(Week::new(format!("Week of {}", monday.format("%-d %B")), counts)))
    } else {
        (Vec::new(), None)
    };
    let base = state.config.public_url.as_str().trim_end_matches('/');
    let page = DashboardPage {
        chrome: Chrome::app(&scope, &state).await?,
        role: scope.role.as_str(),
        owner,
        timezone: tenant.timezone.name().to_owned(),
        plan: scope.plan(&state).as_str(),
        pro_until: tenant.pro_until.map(|t| t.timestamp()),
        portal_enabled: tenant.portal_enabled,
        booking_link: format!("{base}/book/{}", tenant.slug),
        checklist,
        week,
        days: agenda::upcoming_days(&state, &scope, DAYS).await?,
        calendar_lost: super::calendar::lost(&state, &scope).await?,
    };
    Ok(state.templates.page("app/dashboard.html", &page))
}

/// `/app`: straight to the only business, or the switcher on the account page.
pub async fn switcher(State(state): State<AppState>, viewer: Viewer) -> Result<Response, Error> {
    let user = viewer.require_user()?;
    let workplaces = tenants::workplaces(&state.db, user.id).await?;
    Ok(match workplaces.as_slice() {
        [only] => see_other(&format!("/app/{}", only.slug)),
        _ => see_other("/accounts"),
    })
}
