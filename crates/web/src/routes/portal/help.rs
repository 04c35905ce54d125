//! `/portal/{tenant}/help`: the business's FAQ, its cancellation and reschedule policy in words
//! (from its cut-off and, for a logged-in client, their own online-changes setting), and how
//! to reach it. Public: it is what a business tells anyone before they book.

use axum::extract::{Path, State};
use axum::response::Response;
use portico_domain::policy;
use portico_store::{clients, faq, tenants};
use serde::Serialize;

use crate::auth::Viewer;
use crate::chrome::Chrome;
use crate::{AppState, Error};

#[derive(Serialize)]
struct HelpPage {
    chrome: Chrome,
    faq: Vec<faq::Entry>,
    policy: Vec<String>,
}

#[tracing::instrument(skip_all)]
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let tenant = tenants::by_slug(&state.db, &slug).await?.ok_or(Error::NotFound)?;
    let client = match &viewer.user {
        Some(user) => clients::for_user(&state.db, tenant.id, user.id).await?,
        None => None,
    };
    let self_serve = client.map(|c| c.can_self_reschedule != 0);
    let page = HelpPage {
        faq: faq::list(&state.db, tenant.id).await?,
        policy: policy::in_words(
            tenant.scheduling.cancel_cutoff_hours,
            tenant.scheduling.series_cancel_grace_minutes,
            self_serve,
        ),
        chrome: Chrome::portal_of(&viewer, &tenant).await?,
    };
    Ok(state.templates.page("portal/help.html", &page))
}
