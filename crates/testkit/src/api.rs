//! Small helpers for provider API calls and for counting rows in the test's database.

use reqwest::StatusCode;

use portico_domain::{BookingId, ClientId, TenantId, UserId};

use crate::TestApp;

impl TestApp {
    /// `GET path` as an API client: with `Authorization: Bearer <token>` when `token` is
    /// given. Returns the status and the JSON body (`Null` when the body is not JSON).
    pub async fn api_get(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = reqwest::Client::new().get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("API GET");
        let status = response.status();
        let body = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    /// `POST path` with a JSON `body` as an API client holding `token`. Returns the status and
    /// the JSON body (`Null` when the body is not JSON).
    pub async fn api_post(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let request = self.client.post(self.url(path)).bearer_auth(token).json(body);
        let response = request.send().await.expect("API POST");
        let status = response.status();
        let body = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    /// The single number `sql` selects, e.g. `select count(*) from clients`.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(self.db().pool())
            .await
            .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// The typed id of the tenant's client numbered `id` (as an API answer or a page gave it),
    /// read through the store like any caller must.
    pub async fn client_id(&self, tenant: TenantId, id: i64) -> ClientId {
        portico_store::clients::get(self.db(), tenant, id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no client {id} at tenant {tenant}"))
            .id
    }

    /// The typed id of the login numbered `id`, read through the store.
    pub async fn user_id(&self, id: i64) -> UserId {
        portico_store::users::by_id(self.db(), id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no user {id}"))
            .id
    }

    /// The typed id of the tenant's booking numbered `id`, read through the store.
    pub async fn booking_id(&self, tenant: TenantId, id: i64) -> BookingId {
        let tenant = portico_store::tenants::by_id(self.db(), tenant.get()).await.unwrap().unwrap();
        portico_store::bookings::get(self.db(), &tenant, id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no booking {id} at tenant {}", tenant.id))
            .id
    }
}
