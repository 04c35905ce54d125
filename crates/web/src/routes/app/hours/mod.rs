//! Weekly hours and time off of the owner (the business) or of a staff member (PRO), and the
//! tenant's booking rules, on one page: [`page`] renders it, [`week`], [`rules`] and
//! [`time_off`] take its forms. The parsing is shared with the API (`routes::input::hours`).
//! A staff login manages its own hours and time off on the same page when the owner allows
//! it (`staff_edit_own_hours`), never anyone else's.

mod affected;
mod page;
mod rules;
mod time_off;
mod week;

use portico_domain::accounts::Role;
use portico_domain::plans::Feature;
use portico_store::bookings::Actor;
use portico_store::staff::{self, StaffMember};

use crate::auth::TenantScope;
use crate::{AppState, Error};

pub use page::{show, staff_show};
pub use rules::{RulesForm, update_rules};
pub use time_off::{TimeOffForm, add_time_off, delete_time_off, staff_add_time_off};
pub use week::{staff_update, update};

/// Whose hours a page shows: the owner (the business) or a staff member.
struct Person {
    staff: Option<StaffMember>,
}

impl Person {
    fn id(&self) -> Option<i64> {
        self.staff.as_ref().map(|s| s.id.get())
    }

    fn path(&self, slug: &str) -> String {
        match &self.staff {
            Some(s) => format!("/app/{slug}/staff/{}/hours", s.id),
            None => format!("/app/{slug}/hours"),
        }
    }
}

/// The tenant's staff member `id` (PRO) whose hours `scope` may manage: the owner any of
/// them; a staff login only its own, and only when the owner allows it (else 403). Another
/// member's, or one of another tenant, is 404.
async fn staff_member(state: &AppState, scope: &TenantScope, id: i64) -> Result<Person, Error> {
    edits_own_hours(scope)?;
    scope.require(state, Feature::Staff)?;
    let member = staff::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)?;
    if scope.role != Role::Owner && member.user_id != Some(scope.user.id) {
        return Err(Error::NotFound);
    }
    Ok(Person { staff: Some(member) })
}

/// The owner always; a staff login only when the owner lets staff edit their own hours.
fn edits_own_hours(scope: &TenantScope) -> Result<(), Error> {
    if scope.role == Role::Owner || scope.tenant.staff_edit_own_hours {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Who changes bookings when the person's choice cancels some.
fn actor(scope: &TenantScope) -> Actor {
    match scope.role {
        Role::Owner => Actor::Owner(scope.user.id),
        _ => Actor::Staff(scope.user.id),
    }
}
