//! Rate limits: fixed windows counted in Redis when it is configured, otherwise in the
//! database — never only in one process's memory, so they hold across web processes.

use std::net::IpAddr;

use portico_store::{Db, rate_limits};
use redis::aio::ConnectionManager;

use crate::{AppState, Error};

/// Where counters live.
#[derive(Clone)]
pub enum Counters {
    Database(Db),
    /// Keys are prefixed with the deployment's namespace, like its queues.
    Redis {
        conn: ConnectionManager,
        namespace: String,
    },
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Database(_) => "Counters::Database",
            Self::Redis { .. } => "Counters::Redis",
        })
    }
}

impl Counters {
    /// Counts a hit; returns the hits in the current window.
    async fn hit(&self, key: &str, window_start: i64, window_secs: u64) -> anyhow::Result<i64> {
        match self {
            Self::Database(db) => rate_limits::hit(db, key, window_start).await,
            Self::Redis { conn, namespace } => {
                let mut conn = conn.clone();
                let key = format!("{namespace}:ratelimit:{key}:{window_start}");
                let (hits, _): (i64, i64) = redis::pipe()
                    .atomic()
                    .cmd("INCR")
                    .arg(&key)
                    .cmd("EXPIRE")
                    .arg(&key)
                    .arg(window_secs * 2)
                    .query_async(&mut conn)
                    .await?;
                Ok(hits)
            }
        }
    }
}

/// One limited action, e.g. login attempts per IP.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub name: &'static str,
    pub max: u32,
}

impl AppState {
    /// Counts one attempt of `limit` for `subject` (an IP or an account); refuses with 429 and
    /// the seconds until the window ends once the limit is passed.
    pub async fn rate_limit(&self, limit: Limit, subject: &str) -> Result<(), Error> {
        let window = self.config.rate_limits.window_secs.max(1);
        let now = self.clock.now_ts();
        let window_start = now - now.rem_euclid(window as i64);
        let key = format!("{}:{subject}", limit.name);
        let hits = self.counters.hit(&key, window_start, window).await?;
        if hits > i64::from(limit.max) {
            let retry_after = (window_start + window as i64 - now).max(1) as u64;
            tracing::warn!(limit = limit.name, "rate limit reached");
            return Err(Error::TooManyRequests { retry_after });
        }
        Ok(())
    }
}

/// The peer address of the request (behind a proxy, the proxy's).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip());
        Ok(Self(ip))
    }
}

/// The client's IP as a rate-limit subject.
pub fn ip_subject(ip: IpAddr) -> String {
    match ip {
        // IPv6 clients usually own a whole /64: limit by it.
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        IpAddr::V4(v4) => v4.to_string(),
    }
}
