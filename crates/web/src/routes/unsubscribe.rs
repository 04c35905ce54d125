//! `/unsubscribe/{token}`: the one-click unsubscribe of an email's optional kind. The signed
//! token is the only credential (no login, no session): it names one tenant, one recipient
//! and one kind, and a changed or forged token is a 404. `GET` asks (link scanners follow
//! links, so reading changes nothing); `POST` turns the kind off — from our page's button,
//! or from a mail client's RFC 8058 one-click request.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use portico_store::notify::unsubscribe::{Recipient, Unsubscribe};
use portico_store::notify::{self, Kind};
use portico_store::{clients, tenants};
use serde::Serialize;

use crate::auth::Viewer;
use crate::chrome::Chrome;
use crate::{AppState, Error};

pub fn router() -> Router<AppState> {
    Router::new().route("/unsubscribe/{token}", get(show).post(confirm))
}

#[derive(Serialize)]
struct UnsubscribePage {
    chrome: Chrome,
    tenant: String,
    /// What stops, in words.
    what: &'static str,
    token: String,
    done: bool,
}

/// The link's meaning, if it is ours and its tenant and recipient still exist.
async fn resolve(state: &AppState, token: &str) -> Result<(Unsubscribe, String), Error> {
    let link = Unsubscribe::verify(&state.config.keys.session, token).ok_or(Error::NotFound)?;
    let tenant = tenants::by_id(&state.db, link.tenant.get()).await?.ok_or(Error::NotFound)?;
    let exists = match link.recipient {
        Recipient::Client(id) => clients::get(&state.db, tenant.id, id.get()).await?.is_some(),
        Recipient::Member(user) => {
            link.kind == Kind::Changes
                && tenants::role_of(&state.db, tenant.id, user).await?.is_some()
        }
    };
    if !exists {
        return Err(Error::NotFound);
    }
    Ok((link, tenant.name))
}

fn words(kind: Kind) -> &'static str {
    match kind {
        Kind::Changes => "emails about your bookings (confirmations, changes, cancellations)",
        Kind::Reminders => "booking reminders",
        Kind::Invoices => "invoice emails",
    }
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    link: &Unsubscribe,
    tenant: String,
    token: String,
    done: bool,
) -> Result<Response, Error> {
    let page = UnsubscribePage {
        chrome: Chrome::new(viewer).await?,
        tenant,
        what: words(link.kind),
        token,
        done,
    };
    Ok(state.templates.page("notify/unsubscribe.html", &page))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let (link, tenant) = resolve(&state, &token).await?;
    render(&state, &viewer, &link, tenant, token, false).await
}

#[tracing::instrument(skip_all)]
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let (link, tenant) = resolve(&state, &token).await?;
    let now = state.clock.now_ts();
    match link.recipient {
        Recipient::Client(client) => {
            let mut prefs = notify::prefs::client(&state.db, link.tenant, client).await?;
            prefs.email.set(link.kind, false);
            notify::prefs::set_client(&state.db, link.tenant, client, &prefs, now).await?;
        }
        Recipient::Member(user) => {
            let prefs = notify::MemberPrefs { email_changes: false };
            notify::prefs::set_member(&state.db, link.tenant, user, &prefs, now).await?;
        }
    }
    let who = match link.recipient {
        Recipient::Client(id) => format!("client #{}", id.get()),
        Recipient::Member(id) => format!("member #{}", id.get()),
    };
    state
        .audit(
            &viewer,
            Some(link.tenant),
            None,
            "notifications.unsubscribed",
            format!("{who}: email {}", link.kind.as_str()),
        )
        .await?;
    Ok(render(&state, &viewer, &link, tenant, token, true).await?.into_response())
}
