//! Notification preferences of clients and team members, and the tenant's settings.

use portico_domain::{ClientId, StaffId, TenantId, UserId};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use crate::{Db, StoreError};

/// What a message is about; each kind can be turned off on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Confirmations, reschedules and cancellations.
    Changes,
    Reminders,
    Invoices,
}

impl Kind {
    pub const ALL: [Self; 3] = [Self::Changes, Self::Reminders, Self::Invoices];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Changes => "changes",
            Self::Reminders => "reminders",
            Self::Invoices => "invoices",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

/// The kinds a client hears of on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    pub changes: bool,
    pub reminders: bool,
    pub invoices: bool,
}

impl Channel {
    pub fn wants(&self, kind: Kind) -> bool {
        match kind {
            Kind::Changes => self.changes,
            Kind::Reminders => self.reminders,
            Kind::Invoices => self.invoices,
        }
    }

    pub fn set(&mut self, kind: Kind, on: bool) {
        match kind {
            Kind::Changes => self.changes = on,
            Kind::Reminders => self.reminders = on,
            Kind::Invoices => self.invoices = on,
        }
    }
}

/// A client's choices, email and SMS (texts go out on PRO when the business turned them on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPrefs {
    pub email: Channel,
    pub sms: Channel,
}

impl Default for ClientPrefs {
    /// Email on (a client expects to hear about their bookings), SMS off until opted in.
    fn default() -> Self {
        let on = Channel { changes: true, reminders: true, invoices: true };
        let off = Channel { changes: false, reminders: false, invoices: false };
        Self { email: on, sms: off }
    }
}

/// A team member's choices about the booking notices they get as owner or staff member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPrefs {
    pub email_changes: bool,
}

impl Default for MemberPrefs {
    fn default() -> Self {
        Self { email_changes: true }
    }
}

/// A stored 0/1 flag; anything else is corrupt.
fn flag(column: &'static str, value: i64) -> Result<bool, StoreError> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(StoreError::corrupt(column, other)),
    }
}

/// The client's choices (the defaults when they never chose).
pub async fn client(
    db: &Db,
    tenant: TenantId,
    client: ClientId,
) -> Result<ClientPrefs, StoreError> {
    let row = sqlx::query(
        "select email_changes, email_reminders, email_invoices, sms_changes, sms_reminders, \
         sms_invoices from client_notification_prefs where tenant_id = $1 and client_id = $2",
    )
    .bind(tenant.get())
    .bind(client.get())
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(ClientPrefs::default()) };
    let get = |column: &'static str| -> Result<bool, StoreError> {
        flag(column, row.try_get::<i64, _>(column)?)
    };
    Ok(ClientPrefs {
        email: Channel {
            changes: get("email_changes")?,
            reminders: get("email_reminders")?,
            invoices: get("email_invoices")?,
        },
        sms: Channel {
            changes: get("sms_changes")?,
            reminders: get("sms_reminders")?,
            invoices: get("sms_invoices")?,
        },
    })
}

/// Saves the client's choices. The caller has checked that the client is the tenant's.
pub async fn set_client(
    db: &Db,
    tenant: TenantId,
    client: ClientId,
    prefs: &ClientPrefs,
    now: i64,
) -> anyhow::Result<()> {
    let (e, s) = (prefs.email, prefs.sms);
    sqlx::query(
        "insert into client_notification_prefs (tenant_id, client_id, email_changes, \
         email_reminders, email_invoices, sms_changes, sms_reminders, sms_invoices, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (tenant_id, client_id) do update \
         set email_changes = $3, email_reminders = $4, email_invoices = $5, sms_changes = $6, \
         sms_reminders = $7, sms_invoices = $8, updated_at = $9",
    )
    .bind(tenant.get())
    .bind(client.get())
    .bind(i64::from(e.changes))
    .bind(i64::from(e.reminders))
    .bind(i64::from(e.invoices))
    .bind(i64::from(s.changes))
    .bind(i64::from(s.reminders))
    .bind(i64::from(s.invoices))
    .bind(now)
    .execute(db.writes())
    .await?;
    Ok(())
}

/// The team member's choices (the defaults when they never chose).
pub async fn member(db: &Db, tenant: TenantId, user: UserId) -> Result<MemberPrefs, StoreError> {
    let value: Option<i64> = sqlx::query_scalar(
        "select email_changes from member_notification_prefs where tenant_id = $1 and user_id = $2",
    )
    .bind(tenant.get())
    .bind(user.get())
    .fetch_optional(db.pool())
    .await?;
    match value {
        Some(value) => Ok(MemberPrefs { email_changes: flag("email_changes", value)? }),
        None => Ok(MemberPrefs::default()),
    }
}

/// The team's side of a booking's notice: the staff member's name, and the addresses that
/// hear of the change by email — the owners and the staff member (if they have an email),
/// each by their own choice read now (a staff record without a login has nobody to choose,
/// so its address hears). One statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeTeam {
    /// The booking's staff member's name (`None`: the owner's own booking, or unknown).
    pub staff_name: Option<String>,
    /// Sorted, each once.
    pub recipients: Vec<String>,
}

/// [`NoticeTeam`] of a booking with `staff` (`None`: the owner's own).
pub async fn notice_team(
    db: &Db,
    tenant: TenantId,
    staff: Option<StaffId>,
) -> Result<NoticeTeam, StoreError> {
    // Rows (is the staff member, name, email, choice or null = the default).
    let rows: Vec<(i64, String, String, Option<i64>)> = sqlx::query_as(
        "select cast(0 as bigint), u.name, u.email, p.email_changes from memberships m \
         join users u on u.id = m.user_id \
         left join member_notification_prefs p on p.tenant_id = m.tenant_id and p.user_id = m.user_id \
         where m.tenant_id = $1 and m.role = 'owner' \
         union all \
         select cast(1 as bigint), s.name, s.email, p.email_changes from staff_members s \
         left join member_notification_prefs p on p.tenant_id = s.tenant_id and p.user_id = s.user_id \
         where s.tenant_id = $1 and s.id = $2",
    )
    .bind(tenant.get())
    .bind(staff.map_or(0, StaffId::get))
    .fetch_all(db.pool())
    .await?;
    let mut team = NoticeTeam::default();
    for (is_staff, name, email, choice) in rows {
        let wants = match choice {
            Some(value) => flag("email_changes", value)?,
            None => MemberPrefs::default().email_changes,
        };
        if is_staff == 1 {
            team.staff_name = Some(name);
        }
        if wants && !email.is_empty() {
            team.recipients.push(email);
        }
    }
    team.recipients.sort();
    team.recipients.dedup();
    Ok(team)
}

/// Saves a team member's choices. The caller has checked the membership.
pub async fn set_member(
    db: &Db,
    tenant: TenantId,
    user: UserId,
    prefs: &MemberPrefs,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into member_notification_prefs (tenant_id, user_id, email_changes, updated_at) \
         values ($1, $2, $3, $4) on conflict (tenant_id, user_id) do update \
         set email_changes = $3, updated_at = $4",
    )
    .bind(tenant.get())
    .bind(user.get())
    .bind(i64::from(prefs.email_changes))
    .bind(now)
    .execute(db.writes())
    .await?;
    Ok(())
}

/// The tenant's notification settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Reminders are due at start minus this many minutes; `None` = no reminders.
    pub reminder_minutes_before: Option<u32>,
    /// Whether the business texts clients who opted in; only PRO may turn it on.
    pub sms_enabled: bool,
}

pub async fn settings(db: &Db, tenant: TenantId) -> Result<Settings, StoreError> {
    let row = sqlx::query("select reminder_minutes_before, sms_enabled from tenants where id = $1")
        .bind(tenant.get())
        .fetch_one(db.pool())
        .await?;
    let minutes: Option<i64> = row.try_get("reminder_minutes_before")?;
    let minutes = minutes
        .map(|m| u32::try_from(m).map_err(|_| StoreError::corrupt("reminder_minutes_before", m)))
        .transpose()?;
    Ok(Settings {
        reminder_minutes_before: minutes,
        sms_enabled: flag("sms_enabled", row.try_get("sms_enabled")?)?,
    })
}

pub async fn set_settings(
    db: &Db,
    tenant: TenantId,
    settings: &Settings,
    now: i64,
) -> anyhow::Result<()> {
    let mut tx = crate::versions::begin(db, tenant).await?;
    sqlx::query(
        "update tenants set reminder_minutes_before = $1, sms_enabled = $2, updated_at = $3 \
         where id = $4",
    )
    .bind(settings.reminder_minutes_before.map(i64::from))
    .bind(i64::from(settings.sms_enabled))
    .bind(now)
    .bind(tenant.get())
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}
