//! What every page shows around its content: who is logged in, the CSRF token for forms,
//! flash messages, and the navigation of the current area.

use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::auth::{ClientScope, PortalVisitor, TenantScope, Viewer};
use crate::csrf::session_error;
use crate::{AppState, Error};

const FLASH: &str = "flash";

/// A one-time message shown on the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
struct StoredFlash {
    kind: String,
    text: String,
}

/// Queues a message for the next page this session sees.
pub async fn flash(
    session: &Session,
    kind: &'static str,
    text: impl Into<String>,
) -> Result<(), Error> {
    let mut list: Vec<serde_json::Value> =
        session.get(FLASH).await.map_err(session_error)?.unwrap_or_default();
    list.push(serde_json::json!({ "kind": kind, "text": text.into() }));
    session.insert(FLASH, list).await.map_err(session_error)
}

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TenantNav {
    pub slug: String,
    pub name: String,
    pub is_owner: bool,
    pub plan: &'static str,
    /// A staff login's own hours page, when the owner lets staff edit their own hours.
    pub own_hours: Option<String>,
}

/// The business a client-facing page belongs to: how to reach it and its colour.
#[derive(Debug, Clone, Serialize)]
pub struct BusinessView {
    pub slug: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    /// The postal address, line by line.
    pub address: Vec<String>,
    pub website: String,
    /// The brand colour without `#` (the stylesheet `/book/{slug}/brand.css?v=…`), if set.
    pub brand: Option<String>,
    /// Whether its client portal is on (clients can register and log in).
    pub portal: bool,
    /// The path of its logo, if it uploaded one.
    pub logo: Option<String>,
}

impl BusinessView {
    pub fn of(tenant: &Tenant) -> Self {
        let contact = &tenant.contact;
        Self {
            slug: tenant.slug.clone(),
            name: tenant.name.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone(),
            address: contact.address.lines().map(str::to_owned).collect(),
            website: contact.website.clone(),
            brand: tenant.brand_color.map(|c| c.hex().trim_start_matches('#').to_owned()),
            portal: tenant.portal_enabled,
            logo: crate::pictures::logo_path(&tenant.slug, tenant.logo_version),
        }
    }
}

/// The page frame, embedded as `chrome` in every page context.
#[derive(Debug, Clone, Serialize)]
pub struct Chrome {
    pub user: Option<UserView>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    /// Set in the provider dashboard.
    pub tenant: Option<TenantNav>,
    /// Set in a client portal: the provider's slug and name.
    pub portal: Option<TenantNav>,
    /// Set on a public booking page.
    pub booking: Option<TenantNav>,
    /// Set on every page a client or guest sees of a business (booking, manage, portal).
    pub business: Option<BusinessView>,
    /// Set while the owner previews a client's portal: the banner.
    pub preview: Option<PreviewBanner>,
}

/// The banner of the owner's read-only portal preview.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewBanner {
    pub client_name: String,
    /// Where the owner ends it (`/app/{tenant}/preview/end`).
    pub end: String,
}

impl PreviewBanner {
    fn new(
        preview: bool,
        tenant: &Tenant,
        client: Option<&portico_store::clients::Client>,
    ) -> Option<Self> {
        let client = client.filter(|_| preview)?;
        Some(Self {
            client_name: client.name.clone(),
            end: format!("/app/{}/preview/end", tenant.slug),
        })
    }
}

impl Chrome {
    /// The frame for public and account pages.
    pub async fn new(viewer: &Viewer) -> Result<Self, Error> {
        let csrf = crate::csrf::token(&viewer.session).await?;
        // Removing marks the session changed (a write when it is saved): only when a message
        // is waiting, so reading a page does not write.
        let waiting = viewer.session.get_value(FLASH).await.map_err(session_error)?.is_some();
        let stored: Vec<StoredFlash> = if waiting {
            viewer.session.remove(FLASH).await.map_err(session_error)?.unwrap_or_default()
        } else {
            Vec::new()
        };
        let flashes = stored
            .into_iter()
            .map(|f| Flash {
                kind: match f.kind.as_str() {
                    "error" => "error",
                    _ => "info",
                },
                text: f.text,
            })
            .collect();
        Ok(Self {
            user: viewer
                .user
                .as_ref()
                .map(|u| UserView { name: u.name.clone(), email: u.email.clone() }),
            csrf,
            flashes,
            tenant: None,
            portal: None,
            booking: None,
            business: None,
            preview: None,
        })
    }

    /// The frame for the provider dashboard.
    pub async fn app(scope: &TenantScope, state: &AppState) -> Result<Self, Error> {
        let mut chrome = Self::new(&scope.viewer).await?;
        let is_owner = scope.role == portico_domain::accounts::Role::Owner;
        let own_hours = match (is_owner, scope.tenant.staff_edit_own_hours) {
            (false, true) => portico_store::staff::for_user(&state.db, scope.id(), scope.user.id)
                .await?
                .map(|s| format!("/app/{}/staff/{}/hours", scope.tenant.slug, s.id)),
            _ => None,
        };
        chrome.tenant = Some(TenantNav {
            slug: scope.tenant.slug.clone(),
            name: scope.tenant.name.clone(),
            is_owner,
            plan: scope.plan(state).as_str(),
            own_hours,
        });
        Ok(chrome)
    }

    /// The frame for a client portal.
    pub async fn portal(visitor: &PortalVisitor) -> Result<Self, Error> {
        let mut chrome = Self::portal_of(&visitor.viewer, &visitor.tenant).await?;
        chrome.preview =
            PreviewBanner::new(visitor.preview, &visitor.tenant, visitor.client.as_ref());
        Ok(chrome)
    }

    pub async fn client(scope: &ClientScope) -> Result<Self, Error> {
        let mut chrome = Self::portal_of(&scope.viewer, &scope.tenant).await?;
        chrome.preview = PreviewBanner::new(scope.preview, &scope.tenant, Some(&scope.client));
        Ok(chrome)
    }

    /// The frame of `tenant`'s portal pages.
    pub async fn portal_of(viewer: &Viewer, tenant: &Tenant) -> Result<Self, Error> {
        let mut chrome = Self::new(viewer).await?;
        chrome.portal = Some(TenantNav {
            slug: tenant.slug.clone(),
            name: tenant.name.clone(),
            is_owner: false,
            own_hours: None,
            plan: "",
        });
        chrome.business = Some(BusinessView::of(tenant));
        Ok(chrome)
    }

    /// The frame of `tenant`'s public booking pages.
    pub async fn booking(viewer: &Viewer, tenant: &Tenant) -> Result<Self, Error> {
        let mut chrome = Self::new(viewer).await?;
        chrome.booking = Some(TenantNav {
            slug: tenant.slug.clone(),
            name: tenant.name.clone(),
            is_owner: false,
            own_hours: None,
            plan: "",
        });
        chrome.business = Some(BusinessView::of(tenant));
        Ok(chrome)
    }
}

/// The frame of an error page, attached to an error response so the page keeps its
/// navigation and the way back: the dashboard's under `/app/{tenant}/…` when the viewer is a
/// member of that tenant; the business's own booking page or portal frame under
/// `/book/{tenant}/…` and `/portal/{tenant}/…`. The error-rendering layer (outside the
/// sessions) reads it.
#[derive(Debug, Clone)]
pub struct ErrorFrame(pub Chrome);

/// Which part of the site a path belongs to, for [`frame_errors`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    App,
    Book,
    Portal,
}

/// The area and tenant slug of `path`, if it is inside a tenant's pages.
fn area_of(path: &str) -> Option<(Area, String)> {
    let (area, rest) = [("/app/", Area::App), ("/book/", Area::Book), ("/portal/", Area::Portal)]
        .into_iter()
        .find_map(|(prefix, area)| path.strip_prefix(prefix).map(|rest| (area, rest)))?;
    let slug = rest.split('/').next().filter(|slug| !slug.is_empty())?;
    Some((area, slug.to_owned()))
}

/// Middleware inside the session layer: see [`ErrorFrame`]. Pages that succeed cost nothing
/// more (the viewer it reads is the one the handler's extractor reuses).
pub async fn frame_errors(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::extract::FromRequestParts as _;

    let Some((area, slug)) = area_of(request.uri().path()) else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let viewer = Viewer::from_request_parts(&mut parts, &state).await.ok();
    let mut response = next.run(axum::extract::Request::from_parts(parts, body)).await;
    let status = response.status();
    let failed = status.is_client_error() || status.is_server_error();
    if !failed || status == axum::http::StatusCode::UNAUTHORIZED {
        return response;
    }
    let Some(viewer) = viewer else { return response };
    let frame = match area {
        Area::App => member_frame(&state, viewer, &slug).await,
        Area::Book | Area::Portal => business_frame(&state, &viewer, &slug, area).await,
    };
    match frame {
        Ok(Some(chrome)) => {
            response.extensions_mut().insert(ErrorFrame(chrome));
        }
        Ok(None) => {}
        // The plain error page still shows; the frame is a courtesy.
        Err(error) => tracing::warn!(error = %error, "framing an error page"),
    }
    response
}

/// The frame of a business's booking page or portal (only while its portal is on).
async fn business_frame(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    area: Area,
) -> Result<Option<Chrome>, Error> {
    let Some(tenant) = portico_store::tenants::by_slug(&state.db, slug).await? else {
        return Ok(None);
    };
    Ok(Some(match area {
        Area::Portal if tenant.portal_enabled => Chrome::portal_of(viewer, &tenant).await?,
        Area::Portal => return Ok(None),
        _ => Chrome::booking(viewer, &tenant).await?,
    }))
}

/// The dashboard frame for `viewer` in tenant `slug`, if they are a member of it.
async fn member_frame(
    state: &AppState,
    viewer: Viewer,
    slug: &str,
) -> Result<Option<Chrome>, Error> {
    let Some(user) = viewer.user.clone() else { return Ok(None) };
    let Some(tenant) = portico_store::tenants::by_slug(&state.db, slug).await? else {
        return Ok(None);
    };
    let Some(role) = portico_store::tenants::role_of(&state.db, tenant.id, user.id).await? else {
        return Ok(None);
    };
    let scope = TenantScope { tenant, user, role, viewer };
    Ok(Some(Chrome::app(&scope, state).await?))
}
