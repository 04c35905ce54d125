//! Template filters: tera 2 ships few built-ins, so dates and money are formatted here.

use chrono::DateTime;
use tera::{Kwargs, State, Tera};

pub fn register(tera: &mut Tera) {
    tera.register_filter("datetime", datetime);
    tera.register_filter("money", money);
}

/// `{{ ts | datetime(tz="Europe/London") }}`: epoch seconds as local "2026-12-01 09:00".
fn datetime(ts: i64, kwargs: Kwargs, _: &State) -> String {
    let Some(instant) = DateTime::from_timestamp(ts, 0) else { return String::new() };
    let tz: chrono_tz::Tz = kwargs
        .get::<&str>("tz")
        .ok()
        .flatten()
        .and_then(|tz| tz.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    instant.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// `{{ minor | money(currency="GBP") }}`: minor units as "GBP 12.50", with the currency's
/// own decimal places ("JPY 1200"). An unknown code falls back to two places.
fn money(minor: i64, kwargs: Kwargs, _: &State) -> String {
    let currency = kwargs.get::<&str>("currency").ok().flatten().unwrap_or("");
    let amount = match portico_domain::Currency::parse(currency) {
        Ok(known) => portico_domain::Money::new(minor, known).amount(),
        Err(_) => {
            let sign = if minor < 0 { "-" } else { "" };
            let abs = minor.unsigned_abs();
            format!("{sign}{}.{:02}", abs / 100, abs % 100)
        }
    };
    format!("{currency} {amount}").trim().to_owned()
}
