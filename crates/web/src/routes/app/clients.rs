//! The owner's client list and client records, including portal-login controls.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_jobs::AccountEmail;
use portico_store::clients::{self, Client, ClientFields};
use portico_store::invoices::{self, Filter};
use portico_store::{audit, sessions, users};
use serde::{Deserialize, Serialize};

use super::credit::{self, CreditView, GrantForm};
use super::invoices::{Owed, owed};
use crate::auth::OwnerScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::see_other;
use crate::invoice_view::{InvoiceView, today};
use crate::routes::input::Base;
use crate::routes::input::clients::{ClientDraft, prepare_client};
use crate::{AppState, Error};

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Serialize)]
struct ClientRow {
    id: i64,
    name: String,
    email: String,
    phone: String,
    portal: &'static str,
}

fn portal_status(client: &Client) -> &'static str {
    match (client.user_id, client.login_disabled()) {
        (None, _) => "none",
        (Some(_), true) => "disabled",
        (Some(_), false) => "active",
    }
}

#[derive(Serialize)]
struct IndexPage {
    chrome: Chrome,
    q: String,
    clients: Vec<ClientRow>,
}

pub async fn index(
    State(state): State<AppState>,
    scope: OwnerScope,
    Query(query): Query<SearchQuery>,
) -> Result<Response, Error> {
    let clients = clients::search(&state.db, scope.id(), &query.q, 500)
        .await?
        .into_iter()
        .map(|c| ClientRow {
            portal: portal_status(&c),
            id: c.id.get(),
            name: c.name,
            email: c.email,
            phone: c.phone,
        })
        .collect();
    let page = IndexPage { chrome: Chrome::app(&scope, &state).await?, q: query.q, clients };
    Ok(state.templates.page("app/clients/index.html", &page))
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    can_self_reschedule: Option<String>,
}

impl ClientForm {
    fn from_client(client: &Client) -> Self {
        Self {
            name: client.name.clone(),
            email: client.email.clone(),
            phone: client.phone.clone(),
            address: client.address.clone(),
            notes: client.notes.clone(),
            can_self_reschedule: (client.can_self_reschedule != 0).then(|| "on".to_owned()),
        }
    }

    fn validate(&self) -> Result<ClientFields, FieldErrors> {
        // The whole form replaces the record: an unticked box is a `false`, not "keep".
        let draft = ClientDraft {
            name: Some(self.name.clone()),
            email: Some(self.email.clone()),
            phone: Some(self.phone.clone()),
            address: Some(self.address.clone()),
            notes: Some(self.notes.clone()),
            can_self_reschedule: Some(self.can_self_reschedule.is_some()),
        };
        prepare_client(&draft, Base::New)
    }
}

#[derive(Serialize)]
struct FormPage<'a> {
    chrome: Chrome,
    client: Option<ClientDetail>,
    form: &'a ClientForm,
    /// The credit grant form as typed.
    grant: &'a GrantForm,
    errors: &'a FieldErrors,
}

#[derive(Serialize)]
struct ClientDetail {
    id: i64,
    portal: &'static str,
    billing: Billing,
    credit: CreditView,
}

/// The billing tab of a client: what they owe and their invoices, newest first.
#[derive(Serialize)]
struct Billing {
    owed: Vec<Owed>,
    invoices: Vec<InvoiceView>,
}

async fn billing(state: &AppState, scope: &OwnerScope, client: &Client) -> Result<Billing, Error> {
    let today = today(state, &scope.tenant);
    let filter = Filter { client: Some(client.id.get()), status: None };
    let list = invoices::list(&state.db, scope.id(), &filter).await?;
    Ok(Billing {
        owed: owed(&list, today)?,
        invoices: list
            .iter()
            .map(|invoice| InvoiceView::new(&scope.tenant, invoice, today))
            .collect::<Result<_, Error>>()?,
    })
}

async fn render_form(
    state: &AppState,
    scope: &OwnerScope,
    client: Option<&Client>,
    form: &ClientForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    render_page(state, scope, client, form, &GrantForm::default(), errors).await
}

/// The client's page with the credit grant form as typed and its messages.
pub async fn render_client(
    state: &AppState,
    scope: &OwnerScope,
    client: &Client,
    grant: &GrantForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let form = ClientForm::from_client(client);
    render_page(state, scope, Some(client), &form, grant, errors).await
}

async fn render_page(
    state: &AppState,
    scope: &OwnerScope,
    client: Option<&Client>,
    form: &ClientForm,
    grant: &GrantForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let client = match client {
        Some(c) => Some(ClientDetail {
            id: c.id.get(),
            portal: portal_status(c),
            billing: billing(state, scope, c).await?,
            credit: credit::view(state, &scope.tenant, c.id).await?,
        }),
        None => None,
    };
    let page = FormPage { chrome: Chrome::app(scope, state).await?, client, form, grant, errors };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("app/clients/form.html", &page)).into_response())
}

pub async fn new(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    render_form(&state, &scope, None, &ClientForm::default(), &FieldErrors::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<ClientForm>,
) -> Result<Response, Error> {
    let fields = match form.validate() {
        Ok(fields) => fields,
        Err(errors) => return render_form(&state, &scope, None, &form, &errors).await,
    };
    let now = state.clock.now_ts();
    let mut tx = state.db.begin().await?;
    let id = clients::insert(&mut tx, scope.id(), &fields, None, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "client.created",
            format!("#{id} {}", fields.name),
        )
        .await?;
    flash(&scope.viewer.session, "info", format!("{} was added.", fields.name)).await?;
    Ok(see_other(&format!("/app/{}/clients/{id}", scope.tenant.slug)))
}

pub(super) async fn load(state: &AppState, scope: &OwnerScope, id: i64) -> Result<Client, Error> {
    clients::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let client = load(&state, &scope, id).await?;
    render_form(
        &state,
        &scope,
        Some(&client),
        &ClientForm::from_client(&client),
        &FieldErrors::new(),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<ClientForm>,
) -> Result<Response, Error> {
    let client = load(&state, &scope, id).await?;
    let fields = match form.validate() {
        Ok(fields) => fields,
        Err(errors) => return render_form(&state, &scope, Some(&client), &form, &errors).await,
    };
    clients::update(&state.db, scope.id(), client.id, &fields, state.clock.now_ts()).await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "client.updated",
            format!("#{id}"),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Saved.").await?;
    Ok(see_other(&format!("/app/{}/clients/{id}", scope.tenant.slug)))
}

/// Emails the client a link to set up (or connect) a portal login.
pub async fn invite(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let client = load(&state, &scope, id).await?;
    if !scope.tenant.portal_enabled {
        return Err(Error::Conflict {
            code: "portal_disabled",
            message: "Turn the client portal on in Settings first.".into(),
        });
    }
    state.limit_invitations(scope.id()).await?;
    let job = AccountEmail::ClientInvite {
        tenant_id: scope.id().get(),
        client_id: client.id.get(),
        email: client.email.clone(),
    };
    state
        .audit_with_job(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "client.invited",
            format!("#{id} {}", client.email),
            &job,
        )
        .await?;
    flash(&scope.viewer.session, "info", format!("We emailed an invitation to {}.", client.email))
        .await?;
    Ok(see_other(&format!("/app/{}/clients/{id}", scope.tenant.slug)))
}

/// The client cannot log in to this portal any more and their sessions end; the login and
/// its link are kept.
pub async fn disable_login(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let client = load(&state, &scope, id).await?;
    let user = client.user_id.ok_or(Error::Conflict {
        code: "no_login",
        message: "This client has no portal login.".into(),
    })?;
    clients::set_login_disabled(&state.db, scope.id(), client.id, true, state.clock.now_ts())
        .await?;
    sessions::delete_for_user(&state.db, user.get()).await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "client.login_disabled",
            format!("#{id}"),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Portal login disabled.").await?;
    Ok(see_other(&format!("/app/{}/clients/{id}", scope.tenant.slug)))
}

pub async fn enable_login(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let client = load(&state, &scope, id).await?;
    clients::set_login_disabled(&state.db, scope.id(), client.id, false, state.clock.now_ts())
        .await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "client.login_enabled",
            format!("#{id}"),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Portal login enabled.").await?;
    Ok(see_other(&format!("/app/{}/clients/{id}", scope.tenant.slug)))
}

/// Unlinks the login; deletes it only if nothing else (another business, a team) uses it.
pub async fn remove_login(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let client = load(&state, &scope, id).await?;
    let now = state.clock.now_ts();
    let mut tx = state.db.begin_write().await?;
    let Some(user) = clients::unlink_user(&mut tx, scope.id(), client.id, now).await? else {
        return Err(Error::Conflict {
            code: "no_login",
            message: "This client has no portal login.".into(),
        });
    };
    let deleted = users::delete_if_unlinked(&mut tx, user).await?;
    let ip = scope.viewer.ip_string();
    let detail = format!(
        "#{id}{}",
        if deleted { ", login deleted" } else { ", login kept (used elsewhere)" }
    );
    let entry = audit::Entry {
        tenant: Some(scope.id()),
        actor: Some(scope.user.id),
        action: "client.login_removed",
        detail,
        ip: &ip,
    };
    audit::record_in(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    sessions::delete_for_user(&state.db, user.get()).await?;
    flash(&scope.viewer.session, "info", "Portal login removed.").await?;
    Ok(see_other(&format!("/app/{}/clients/{id}", scope.tenant.slug)))
}
