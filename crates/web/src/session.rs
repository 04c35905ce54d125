//! Sessions in our own database, adapted to tower-sessions. The cookie holds only a signed
//! random id; the server can end any session (logout, log out everywhere, disabled login).

use async_trait::async_trait;
use portico_store::{Db, sessions};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Session data key holding the logged-in user's id.
pub const USER_ID: &str = "uid";

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn backend(error: anyhow::Error) -> session_store::Error {
    session_store::Error::Backend(format!("{error:#}"))
}

fn encode(record: &Record) -> session_store::Result<(Option<i64>, String, i64)> {
    let user_id = record.data.get(USER_ID).and_then(serde_json::Value::as_i64);
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok((user_id, data, record.expiry_date.unix_timestamp()))
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let (user_id, data, expires_at) = encode(record)?;
            let id = record.id.to_string();
            if sessions::create(&self.db, &id, user_id, &data, expires_at).await.map_err(backend)? {
                return Ok(());
            }
            // 128-bit ids collide essentially never, but never overwrite someone's session.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (user_id, data, expires_at) = encode(record)?;
        sessions::save(&self.db, &record.id.to_string(), user_id, &data, expires_at)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        // Cookie expiry follows real time (as tower-sessions does); idle and absolute timeouts
        // are enforced against the application clock in `auth`.
        let now = OffsetDateTime::now_utc().unix_timestamp();
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
