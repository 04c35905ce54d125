//! Who is asking: the session's user, and the verified scopes handlers receive
//! (`TenantScope`, `OwnerScope`, `StaffScope`, `ClientScope`, `ApiScope`). A handler never
//! reads a tenant id from the request itself.

use std::net::IpAddr;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::header;
use axum::http::request::Parts;
use portico_domain::accounts::Role;
use portico_domain::plans::{Feature, Plan, max_active_staff};
use portico_domain::{TenantId, UserId};
use portico_store::clients::Client;
use portico_store::tenants::Tenant;
use portico_store::users::User;
use portico_store::{clients, sessions, tenants, tokens, users};
use tower_sessions::Session;

use crate::csrf::session_error;
use crate::session::USER_ID;
use crate::{AppState, Error};

const AUTH_AT: &str = "auth_at";
const SEEN_AT: &str = "seen_at";
const IDLE_SECS: &str = "idle_secs";
/// `seen_at` is refreshed at most this often, to avoid a write on every request.
const SEEN_RESOLUTION_SECS: i64 = 60;

/// The session and, if logged in, the user. Cached per request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub session: Session,
    pub user: Option<User>,
    /// The client's address: the peer, or behind a trusted proxy the forwarded one.
    pub ip: IpAddr,
}

impl Viewer {
    pub fn require_user(&self) -> Result<&User, Error> {
        self.user.as_ref().ok_or(Error::Unauthorized)
    }

    pub fn ip_string(&self) -> String {
        self.ip.to_string()
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        if let Some(viewer) = parts.extensions.get::<Viewer>() {
            return Ok(viewer.clone());
        }
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("session layer missing")))?;
        let ip = crate::limits::client_ip(parts, &state.config.http.trusted_proxies);
        let user = session_user(state, &session).await?;
        let viewer = Viewer { session, user, ip };
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}

/// The logged-in user, after enforcing the idle and absolute timeouts with the app clock.
async fn session_user(state: &AppState, session: &Session) -> Result<Option<User>, Error> {
    let Some(user_id) = session.get::<i64>(USER_ID).await.map_err(session_error)? else {
        return Ok(None);
    };
    let now = state.clock.now_ts();
    let auth_at = session.get::<i64>(AUTH_AT).await.map_err(session_error)?.unwrap_or(0);
    let seen_at = session.get::<i64>(SEEN_AT).await.map_err(session_error)?.unwrap_or(0);
    let idle = session.get::<i64>(IDLE_SECS).await.map_err(session_error)?.unwrap_or(0);
    let absolute = state.config.sessions.absolute_hours as i64 * 3600;
    if now >= auth_at + absolute || now >= seen_at + idle {
        session.flush().await.map_err(session_error)?;
        return Ok(None);
    }
    let Some(user) = users::by_id(&state.db, user_id).await? else {
        session.flush().await.map_err(session_error)?;
        return Ok(None);
    };
    if now - seen_at >= SEEN_RESOLUTION_SECS {
        session.insert(SEEN_AT, now).await.map_err(session_error)?;
    }
    Ok(Some(user))
}

/// Logs `user` in on this session: a new session id (against fixation), a new CSRF token,
/// and the idle timeout of their most privileged role.
pub async fn log_in(state: &AppState, session: &Session, user: &User) -> Result<(), Error> {
    let now = state.clock.now_ts();
    let is_team_member = !tenants::workplaces(&state.db, user.id).await?.is_empty();
    let idle_minutes = if is_team_member {
        state.config.sessions.staff_idle_minutes
    } else {
        state.config.sessions.client_idle_minutes
    };
    session.cycle_id().await.map_err(session_error)?;
    session.insert(USER_ID, user.id).await.map_err(session_error)?;
    session.insert(AUTH_AT, now).await.map_err(session_error)?;
    session.insert(SEEN_AT, now).await.map_err(session_error)?;
    session.insert(IDLE_SECS, idle_minutes as i64 * 60).await.map_err(session_error)?;
    crate::csrf::rotate(session).await
}

/// Whether `password` is the user's. With no user (or no password set) it still spends the
/// time of a real check, so unknown and existing accounts cannot be told apart by timing.
pub async fn passwords_match(password: &str, user: Option<&User>) -> bool {
    let hash = user.and_then(|u| u.password_hash.as_deref());
    crate::passwords::verify(password, hash).await
}

/// Ends this session on the server and clears the cookie.
pub async fn log_out(session: &Session) -> Result<(), Error> {
    session.flush().await.map_err(session_error)
}

/// Ends every session of the user, on every device.
pub async fn log_out_everywhere(state: &AppState, user: UserId) -> Result<u64, Error> {
    Ok(sessions::delete_for_user(&state.db, user.get()).await?)
}

/// The `{tenant}` path parameter.
async fn tenant_from_path(parts: &mut Parts, state: &AppState) -> Result<Tenant, Error> {
    if let Some(tenant) = parts.extensions.get::<Tenant>() {
        return Ok(tenant.clone());
    }
    let params =
        RawPathParams::from_request_parts(parts, state).await.map_err(|_| Error::NotFound)?;
    let slug = params.iter().find(|(key, _)| *key == "tenant").map(|(_, v)| v.to_owned());
    let slug = slug.ok_or(Error::NotFound)?;
    let tenant = tenants::by_slug(&state.db, &slug).await?.ok_or(Error::NotFound)?;
    parts.extensions.insert(tenant.clone());
    Ok(tenant)
}

/// A team member (owner or staff) of the tenant in the path.
#[derive(Debug, Clone)]
pub struct TenantScope {
    pub tenant: Tenant,
    pub user: User,
    pub role: Role,
    pub viewer: Viewer,
}

impl TenantScope {
    pub fn id(&self) -> TenantId {
        self.tenant.id
    }

    pub fn plan(&self, state: &AppState) -> Plan {
        self.tenant.effective_plan(state.clock.now())
    }

    /// Refuses with 402 unless the tenant's plan includes `feature`.
    pub fn require(&self, state: &AppState, feature: Feature) -> Result<(), Error> {
        require_feature(&self.tenant, state, feature)
    }
}

fn require_feature(tenant: &Tenant, state: &AppState, feature: Feature) -> Result<(), Error> {
    if portico_domain::plans::allows(tenant.effective_plan(state.clock.now()), feature) {
        Ok(())
    } else {
        Err(Error::PlanRequired(feature))
    }
}

/// Refuses adding a staff login to `tenant` unless its plan has room: 402 without the staff
/// feature, 409 `staff_limit` at the plan's limit. Sending and accepting a team invitation
/// both check, so invitations sent while there was room cannot exceed the limit later.
pub async fn require_staff_room(state: &AppState, tenant: &Tenant) -> Result<(), Error> {
    require_feature(tenant, state, Feature::Staff)?;
    let staff = tenants::members(&state.db, tenant.id)
        .await?
        .into_iter()
        .filter(|m| m.role == Role::Staff.as_str())
        .count();
    if staff >= max_active_staff(tenant.effective_plan(state.clock.now())) {
        return Err(Error::Conflict {
            code: "staff_limit",
            message: "This plan's staff limit is reached.".into(),
        });
    }
    Ok(())
}

impl FromRequestParts<AppState> for TenantScope {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let user = viewer.require_user()?.clone();
        // Unknown tenant and "not your tenant" look the same: 404.
        let tenant = tenant_from_path(parts, state).await?;
        let role = tenants::role_of(&state.db, tenant.id, user.id).await?.ok_or(Error::NotFound)?;
        Ok(Self { tenant, user, role, viewer })
    }
}

/// The owner of the tenant in the path. Staff get 403: they know the tenant exists.
#[derive(Debug, Clone)]
pub struct OwnerScope(pub TenantScope);

impl std::ops::Deref for OwnerScope {
    type Target = TenantScope;

    fn deref(&self) -> &TenantScope {
        &self.0
    }
}

impl FromRequestParts<AppState> for OwnerScope {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let scope = TenantScope::from_request_parts(parts, state).await?;
        if scope.role != Role::Owner {
            return Err(Error::Forbidden);
        }
        Ok(Self(scope))
    }
}

/// A client of the tenant in the path, with an active portal login.
#[derive(Debug, Clone)]
pub struct ClientScope {
    pub tenant: Tenant,
    pub user: User,
    pub client: Client,
    pub viewer: Viewer,
    /// The owner (`user`) is previewing this client's portal, read-only ([`crate::preview`]).
    pub preview: bool,
}

/// The portal visitor before the client record is checked (for the portal home, which
/// explains an unlinked login instead of refusing it).
#[derive(Debug, Clone)]
pub struct PortalVisitor {
    pub tenant: Tenant,
    pub user: User,
    pub client: Option<Client>,
    pub viewer: Viewer,
    /// See [`ClientScope::preview`].
    pub preview: bool,
}

impl FromRequestParts<AppState> for PortalVisitor {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let user = viewer.require_user()?.clone();
        let tenant = tenant_from_path(parts, state).await?;
        if let Some(client) = previewed_client(state, &viewer, &tenant, &user).await? {
            return Ok(Self { tenant, user, client: Some(client), viewer, preview: true });
        }
        if !tenant.portal_enabled {
            return Err(Error::NotFound);
        }
        let client = clients::for_user(&state.db, tenant.id, user.id)
            .await?
            .filter(|client| !client.login_disabled());
        Ok(Self { tenant, user, client, viewer, preview: false })
    }
}

impl FromRequestParts<AppState> for ClientScope {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let visitor = PortalVisitor::from_request_parts(parts, state).await?;
        let client = visitor.client.ok_or(Error::NotFound)?;
        Ok(Self {
            tenant: visitor.tenant,
            user: visitor.user,
            client,
            viewer: visitor.viewer,
            preview: visitor.preview,
        })
    }
}

/// The client whose portal this session's owner previews in `tenant`, if any. The marker is
/// honoured only while the user is still the tenant's owner and the client still exists (and
/// even when the portal is off, so an owner can look before opening it).
async fn previewed_client(
    state: &AppState,
    viewer: &Viewer,
    tenant: &Tenant,
    user: &User,
) -> Result<Option<Client>, Error> {
    let Some(preview) = crate::preview::current(&viewer.session).await? else {
        return Ok(None);
    };
    if preview.tenant_id != tenant.id.get()
        || tenants::role_of(&state.db, tenant.id, user.id).await? != Some(Role::Owner)
    {
        return Ok(None);
    }
    Ok(clients::get(&state.db, tenant.id, preview.client_id).await?)
}

/// A provider API call authenticated with `Authorization: Bearer <token>` for the tenant in
/// the path. A token of another tenant gets 404, like any unknown id.
#[derive(Debug, Clone)]
pub struct ApiScope {
    pub tenant: Tenant,
}

impl FromRequestParts<AppState> for ApiScope {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Error::Unauthorized)?
            .trim()
            .to_owned();
        let owner = tokens::tenant_of_api_token(&state.db, &token, state.clock.now_ts())
            .await?
            .ok_or(Error::Unauthorized)?;
        let tenant = tenant_from_path(parts, state).await?;
        if tenant.id != owner {
            return Err(Error::NotFound);
        }
        state.limit_token(&token).await?;
        Ok(Self { tenant })
    }
}

/// Marks a feature for [`RequirePlan`].
pub trait Gate {
    const FEATURE: Feature;
}

macro_rules! gates {
    ($($name:ident => $feature:expr;)*) => {$(
        #[doc = concat!("Gate marker for `", stringify!($feature), "`.")]
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl Gate for $name {
            const FEATURE: Feature = $feature;
        }
    )*};
}

gates! {
    StaffGate => Feature::Staff;
    CalendarGate => Feature::GoogleCalendar;
    SmsGate => Feature::SmsNotifications;
}

/// Refuses the request with 402 (an upgrade page in the browser, `plan_required` in the API)
/// unless the plan of the tenant in the path includes `G::FEATURE`.
#[derive(Debug, Clone, Copy)]
pub struct RequirePlan<G: Gate>(std::marker::PhantomData<G>);

impl<G: Gate + Send + Sync> FromRequestParts<AppState> for RequirePlan<G> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let tenant = tenant_from_path(parts, state).await?;
        require_feature(&tenant, state, G::FEATURE)?;
        Ok(Self(std::marker::PhantomData))
    }
}
