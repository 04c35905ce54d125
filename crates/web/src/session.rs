//! Sessions in our own database, adapted to tower-sessions. The cookie holds only a signed
//! random id; the server can end any session (logout, log out everywhere, disabled login).
//!
//! A row is written only when a request changed the session (tower-sessions saves modified,
//! non-empty sessions only), so a visitor who is only reading gets no row and no cookie.
//! Expiry is measured on the application clock, like the idle and absolute timeouts, so the
//! maintenance job that purges expired rows agrees with the store about which ones are dead.

use std::sync::Arc;

use async_trait::async_trait;
use portico_domain::Clock;
use portico_store::{Db, sessions};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Session data key holding the logged-in user's id.
pub const USER_ID: &str = "uid";

/// The session store: rows in `sessions`, expiring `lifetime_secs` after their last change.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
    clock: Arc<dyn Clock>,
    lifetime_secs: i64,
}

impl DbSessionStore {
    pub fn new(db: Db, clock: Arc<dyn Clock>, lifetime_secs: i64) -> Self {
        Self { db, clock, lifetime_secs }
    }

    fn encode(&self, record: &Record) -> session_store::Result<(Option<i64>, String, i64)> {
        let user_id = record.data.get(USER_ID).and_then(serde_json::Value::as_i64);
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        Ok((user_id, data, self.clock.now_ts() + self.lifetime_secs))
    }
}

fn backend(error: anyhow::Error) -> session_store::Error {
    session_store::Error::Backend(format!("{error:#}"))
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let (user_id, data, expires_at) = self.encode(record)?;
            let id = record.id.to_string();
            if sessions::create(&self.db, &id, user_id, &data, expires_at).await.map_err(backend)? {
                return Ok(());
            }
            // 128-bit ids collide essentially never, but never overwrite someone's session.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (user_id, data, expires_at) = self.encode(record)?;
        sessions::save(&self.db, &record.id.to_string(), user_id, &data, expires_at)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        // The idle and absolute timeouts of a login are enforced in `auth`; this is the row's
        // own end of life.
        let now = self.clock.now_ts();
        let Some((data, expires_at)) =
            sessions::load(&self.db, &id.to_string(), now).await.map_err(backend)?
        else {
            return Ok(None);
        };
        let data =
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sessions::delete(&self.db, &id.to_string()).await.map_err(backend)
    }
}
