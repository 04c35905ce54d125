//! Weekly hours and time off of the owner (the business) or of a staff member (PRO), and the
//! tenant's booking rules, on one page: [`page`] renders it, [`week`], [`rules`] and
//! [`time_off`] take its forms. The parsing is shared with the API (`routes::input::hours`).

mod affected;
mod page;
mod rules;
mod time_off;
mod week;

use portico_store::staff::{self, StaffMember};

use crate::auth::OwnerScope;
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
        self.staff.as_ref().map(|s| s.id)
    }

    fn path(&self, slug: &str) -> String {
        match &self.staff {
            Some(s) => format!("/app/{slug}/staff/{}/hours", s.id),
            None => format!("/app/{slug}/hours"),
        }
    }
}

/// The tenant's staff member `id`, or 404.
async fn staff_member(state: &AppState, scope: &OwnerScope, id: i64) -> Result<Person, Error> {
    let member = staff::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)?;
    Ok(Person { staff: Some(member) })
}
