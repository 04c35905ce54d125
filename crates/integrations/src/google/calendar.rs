//! The Calendar v3 calls: events insert/get/patch/delete, calendarList and freeBusy, under
//! `{api_base}` (`https://www.googleapis.com/calendar/v3` by default).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Google;
use super::error::{GoogleError, retry_after};

/// An event's start or end: an instant, and the IANA zone it is shown in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTime {
    /// RFC 3339 with offset.
    pub date_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// The fields Portico writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEvent {
    pub summary: String,
    pub description: String,
    /// Where it takes place, on one line: an address or the meeting link ("" clears it).
    pub location: String,
    pub start: EventTime,
    pub end: EventTime,
}

/// An event as Google answers it (the fields Portico reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(default)]
    pub etag: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub summary: String,
    pub start: Option<EventTime>,
    pub end: Option<EventTime>,
}

/// One calendar of the person's list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarEntry {
    pub id: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub primary: bool,
    #[serde(default)]
    pub access_role: String,
}

/// A busy interval from freeBusy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusyInterval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Path segments are percent-encoded (calendar ids are email addresses, some with `#`).
fn segment(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>().replace('+', "%20")
}

impl Google {
    fn events_url(&self, calendar: &str) -> String {
        format!("{}/calendars/{}/events", self.settings.api_base, segment(calendar))
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Result<String, GoogleError> {
        let response = request.send().await.map_err(GoogleError::Network)?;
        let status = response.status().as_u16();
        let wait = retry_after(&response);
        let body = response.text().await.map_err(GoogleError::Network)?;
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(GoogleError::from_api(status, wait, &body))
        }
    }

    fn parse<T: for<'de> Deserialize<'de>>(body: &str) -> Result<T, GoogleError> {
        serde_json::from_str(body).map_err(|e| GoogleError::Refused {
            status: 200,
            message: format!("unreadable answer: {e}"),
        })
    }

    /// Inserts an event with our own id. [`GoogleError::AlreadyExists`] if the id is taken.
    pub async fn insert_event(
        &self,
        access: &str,
        calendar: &str,
        id: &str,
        event: &NewEvent,
    ) -> Result<Event, GoogleError> {
        let mut body = serde_json::to_value(event).unwrap_or_default();
        body["id"] = json!(id);
        let body =
            self.call(self.http.post(self.events_url(calendar)).bearer_auth(access).json(&body));
        Self::parse(&body.await?)
    }

    pub async fn get_event(
        &self,
        access: &str,
        calendar: &str,
        id: &str,
    ) -> Result<Event, GoogleError> {
        let url = format!("{}/{}", self.events_url(calendar), segment(id));
        Self::parse(&self.call(self.http.get(url).bearer_auth(access)).await?)
    }

    /// Overwrites Portico's fields of the event (a cancelled event is brought back).
    pub async fn patch_event(
        &self,
        access: &str,
        calendar: &str,
        id: &str,
        event: &NewEvent,
    ) -> Result<Event, GoogleError> {
        let url = format!("{}/{}", self.events_url(calendar), segment(id));
        let mut body = serde_json::to_value(event).unwrap_or_default();
        body["status"] = json!("confirmed");
        Self::parse(&self.call(self.http.patch(url).bearer_auth(access).json(&body)).await?)
    }

    /// Deletes the event. [`GoogleError::Gone`] when it is not there (or already deleted).
    pub async fn delete_event(
        &self,
        access: &str,
        calendar: &str,
        id: &str,
    ) -> Result<(), GoogleError> {
        let url = format!("{}/{}", self.events_url(calendar), segment(id));
        self.call(self.http.delete(url).bearer_auth(access)).await.map(|_| ())
    }

    /// The person's calendars (first page, up to 250: enough to choose a target).
    pub async fn calendar_list(&self, access: &str) -> Result<Vec<CalendarEntry>, GoogleError> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            items: Vec<CalendarEntry>,
        }
        let url = format!("{}/users/me/calendarList?maxResults=250", self.settings.api_base);
        let list: List = Self::parse(&self.call(self.http.get(url).bearer_auth(access)).await?)?;
        Ok(list.items)
    }

    /// Busy intervals of `calendars` in `[from, to)`, merged across them.
    pub async fn free_busy(
        &self,
        access: &str,
        calendars: &[&str],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<BusyInterval>, GoogleError> {
        #[derive(Deserialize)]
        struct Span {
            start: DateTime<Utc>,
            end: DateTime<Utc>,
        }
        #[derive(Deserialize)]
        struct Cal {
            #[serde(default)]
            busy: Vec<Span>,
            #[serde(default)]
            errors: Vec<serde_json::Value>,
        }
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            calendars: std::collections::BTreeMap<String, Cal>,
        }
        let body = json!({
            "timeMin": from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "timeMax": to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "items": calendars.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(),
        });
        let url = format!("{}/freeBusy", self.settings.api_base);
        let answer: Answer =
            Self::parse(&self.call(self.http.post(url).bearer_auth(access).json(&body)).await?)?;
        let mut busy = Vec::new();
        for (id, calendar) in answer.calendars {
            if let Some(error) = calendar.errors.first() {
                let reason = error["reason"].as_str().unwrap_or("unknown");
                return Err(GoogleError::Refused {
                    status: 200,
                    message: format!("free/busy of {id}: {reason}"),
                });
            }
            busy.extend(
                calendar.busy.into_iter().map(|s| BusyInterval { start: s.start, end: s.end }),
            );
        }
        busy.sort_by_key(|b| (b.start, b.end));
        Ok(busy)
    }
}
