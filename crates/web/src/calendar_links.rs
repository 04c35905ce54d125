//! "Add to Google / Outlook / Apple" for a booking on the confirmation pages: the two web
//! calendars take the event in their links; Apple (and every other app) opens the `.ics`
//! download, which has the booking's stable UID, so adding it twice replaces it.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use portico_store::bookings::Booking;
use portico_store::notify::feeds;
use portico_store::tenants::Tenant;
use serde::Serialize;
use url::form_urlencoded::Serializer;

use crate::{AppState, Error};

/// The three links of a booking.
#[derive(Debug, Clone, Serialize)]
pub struct AddToCalendar {
    pub google: String,
    pub outlook: String,
    /// Our `.ics` download of the booking.
    pub ics: String,
}

impl AddToCalendar {
    /// The links for `booking`, whose `.ics` is served at `ics_path`.
    pub fn new(tenant: &Tenant, booking: &Booking, ics_path: &str) -> Self {
        let title = portico_core::ics::title(tenant, booking);
        let at = |ts: i64| DateTime::from_timestamp(ts, 0).unwrap_or_default();
        let (start, end) = (at(booking.starts_at.unix()), at(booking.ends_at.unix()));
        let compact = |t: chrono::DateTime<chrono::Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
        let iso = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let place = booking.place(tenant).unwrap_or_default();
        let google = Serializer::new(String::new())
            .append_pair("action", "TEMPLATE")
            .append_pair("text", &title)
            .append_pair("dates", &format!("{}/{}", compact(start), compact(end)))
            .append_pair("location", &place)
            .finish();
        let outlook = Serializer::new(String::new())
            .append_pair("path", "/calendar/action/compose")
            .append_pair("rru", "addevent")
            .append_pair("subject", &title)
            .append_pair("startdt", &iso(start))
            .append_pair("enddt", &iso(end))
            .append_pair("location", &place)
            .finish();
        Self {
            google: format!("https://calendar.google.com/calendar/render?{google}"),
            outlook: format!("https://outlook.live.com/calendar/0/deeplink/compose?{outlook}"),
            ics: ics_path.to_owned(),
        }
    }
}

/// The `.ics` download of one booking.
pub async fn download(
    state: &AppState,
    tenant: &Tenant,
    booking: &Booking,
) -> Result<Response, Error> {
    let sequence = feeds::sequence(&state.db, tenant.id, booking.id, None).await?;
    let title = portico_core::ics::title(tenant, booking);
    let body =
        portico_core::ics::feed(&title, tenant, &[(booking.clone(), sequence)], state.clock.now());
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"booking.ics\""),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response())
}
