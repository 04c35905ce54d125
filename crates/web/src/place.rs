//! Where a booking takes place, as every page that shows a booking words it.

use portico_store::bookings::Booking;
use portico_store::tenants::Tenant;
use serde::Serialize;

/// The kind in words, and the address or the meeting link (see `templates/_place.html`).
#[derive(Debug, Clone, Serialize)]
pub struct PlaceView {
    pub label: &'static str,
    /// The business's or the client's address; `None` when the business gave none.
    pub text: Option<String>,
    /// The meeting link of an online booking.
    pub link: Option<String>,
}

impl PlaceView {
    pub fn of(booking: &Booking, tenant: &Tenant) -> Self {
        let link = booking.meeting_link().map(str::to_owned);
        let text = if link.is_some() { None } else { booking.place(tenant) };
        Self { label: booking.location_kind.label(), text, link }
    }

    /// The short form for lists (see `templates/_place_line.html`): the business's address
    /// alone, "At your address" (`to_client`) or "At the client's address" with it, "Online"
    /// with the link; `None` at a business that has given no address.
    pub fn line(booking: &Booking, tenant: &Tenant, to_client: bool) -> Option<Self> {
        let (label, text) = booking.place_parts(tenant, to_client);
        let link = booking.meeting_link().map(str::to_owned);
        let text = if link.is_some() { None } else { text };
        (label.is_some() || text.is_some() || link.is_some()).then(|| Self {
            label: label.unwrap_or_default(),
            text,
            link,
        })
    }
}
