//! Fast fixtures straight in the store: tenants with owners, logins, clients.

use portico_domain::Clock as _;
use portico_domain::accounts::{Email, Role, Slug};
use portico_domain::plans::Plan;
use portico_domain::{ClientId, StaffId, TenantId, UserId};
use portico_store::clients::{self, ClientFields};
use portico_store::tenants::{self, NewTenant};
use portico_store::users;

use crate::TestApp;

/// A tenant made for a test, with its owner's credentials.
#[derive(Debug, Clone)]
pub struct SeededTenant {
    pub id: TenantId,
    pub slug: String,
    pub owner: UserId,
    pub owner_email: String,
    pub owner_password: String,
}

/// The password every seeded login uses (it passes the password policy).
pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// A verified login.
    pub async fn seed_user(&self, email: &str, name: &str) -> UserId {
        let email = Email::parse(email).expect("valid email");
        let hash = portico_web::passwords::hash(PASSWORD).await.expect("hash");
        let now = self.clock.now_ts();
        let mut tx = self.db().begin().await.expect("begin");
        let id = users::insert(&mut tx, &email, name, Some(&hash), Some(now), now)
            .await
            .expect("insert user")
            .expect("email not taken");
        tx.commit().await.expect("commit");
        id
    }

    /// A tenant on `plan` with an owner `owner@<slug>.example`.
    pub async fn seed_tenant(&self, slug: &str, plan: Plan) -> SeededTenant {
        let owner_email = format!("owner@{slug}.example");
        let owner = self.seed_user(&owner_email, &format!("Owner of {slug}")).await;
        let now = self.clock.now_ts();
        let slug_value = Slug::parse(slug).expect("valid slug");
        let new = NewTenant {
            slug: &slug_value,
            name: &format!("Business {slug}"),
            timezone: chrono_tz::Europe::London,
            currency: "GBP",
            plan,
            pro_until: None,
        };
        let mut tx = self.db().begin().await.expect("begin");
        let id =
            tenants::insert(&mut tx, &new, now).await.expect("insert tenant").expect("slug free");
        let mut tx = portico_store::versions::ScheduleTx::wrap(tx, id);
        tenants::add_member(&mut tx, id, owner, Role::Owner, now).await.expect("owner");
        tx.commit().await.expect("commit");
        SeededTenant {
            id,
            slug: slug.to_owned(),
            owner,
            owner_email,
            owner_password: PASSWORD.to_owned(),
        }
    }

    /// Links a staff login to the staff member `member`; false when either is taken.
    pub async fn link_staff_login(&self, tenant: TenantId, member: StaffId, user: UserId) -> bool {
        let mut tx = portico_store::versions::begin(self.db(), tenant).await.expect("begin");
        let now = self.clock.now_ts();
        let linked = portico_store::staff::link_user(&mut tx, tenant, member, user, now)
            .await
            .expect("link staff login");
        tx.commit().await.expect("commit");
        linked
    }

    /// Adds a staff login to the tenant.
    pub async fn seed_staff(&self, tenant: &SeededTenant, email: &str) -> UserId {
        let user = self.seed_user(email, "Staff Member").await;
        let mut tx = portico_store::versions::begin(self.db(), tenant.id).await.expect("begin");
        tenants::add_member(&mut tx, tenant.id, user, Role::Staff, self.clock.now_ts())
            .await
            .expect("staff");
        tx.commit().await.expect("commit");
        user
    }

    /// A client record, optionally with a (verified) portal login of the same email.
    pub async fn seed_client(
        &self,
        tenant: &SeededTenant,
        name: &str,
        email: &str,
        with_login: bool,
    ) -> (ClientId, Option<UserId>) {
        let user = if with_login { Some(self.seed_user(email, name).await) } else { None };
        let fields = ClientFields { name: name.into(), email: email.into(), ..Default::default() };
        let mut tx = self.db().begin().await.expect("begin");
        let id = clients::insert(&mut tx, tenant.id, &fields, user, self.clock.now_ts())
            .await
            .expect("client");
        tx.commit().await.expect("commit");
        (id, user)
    }
}
