//! Small helpers for provider API calls and for counting rows in the test's database.

use reqwest::StatusCode;

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

    /// The single number `sql` selects, e.g. `select count(*) from clients`.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(self.db().pool())
            .await
            .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }
}
