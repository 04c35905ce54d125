//! Rate limits: fixed windows counted in Redis when it is configured (shared by every web
//! process), otherwise in this process's memory — the embedded default is one process, and a
//! limit check must not cost a database write.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::http::request::Parts;
use portico_config::TrustedProxies;
use redis::aio::ConnectionManager;

use crate::{AppState, Error};

/// Where counters live.
#[derive(Clone)]
pub enum Counters {
    /// One process's counters (the embedded default).
    Memory(Arc<Mutex<MemoryCounters>>),
    /// Keys are prefixed with the deployment's namespace, like its queues.
    Redis { conn: ConnectionManager, namespace: String },
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Memory(_) => "Counters::Memory",
            Self::Redis { .. } => "Counters::Redis",
        })
    }
}

/// In-process counters: per key, the window it counts and its hits. Windows that ended are
/// pruned now and then, so the map holds only the current window's keys.
#[derive(Debug, Default)]
pub struct MemoryCounters {
    windows: HashMap<String, (i64, i64)>,
    pruned_at: i64,
}

impl MemoryCounters {
    fn prune(&mut self, window_start: i64) {
        if self.pruned_at < window_start {
            self.windows.retain(|_, (start, _)| *start >= window_start);
            self.pruned_at = window_start;
        }
    }

    fn add(&mut self, key: &str, window_start: i64, by: i64) -> i64 {
        self.prune(window_start);
        let entry = self.windows.entry(key.to_owned()).or_insert((window_start, 0));
        if entry.0 != window_start {
            *entry = (window_start, 0);
        }
        entry.1 += by;
        entry.1
    }

    fn count(&self, key: &str, window_start: i64) -> i64 {
        self.windows.get(key).filter(|(start, _)| *start == window_start).map_or(0, |(_, n)| *n)
    }

    /// How many keys are held (for tests of the pruning).
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

impl Counters {
    /// Counters in this process's memory.
    pub fn memory() -> Self {
        Self::Memory(Arc::default())
    }

    fn redis_key(namespace: &str, key: &str, window_start: i64) -> String {
        format!("{namespace}:ratelimit:{key}:{window_start}")
    }

    /// Counts a hit; returns the hits in the current window.
    async fn hit(&self, key: &str, window_start: i64, window_secs: u64) -> anyhow::Result<i64> {
        match self {
            Self::Memory(counters) => Ok(lock(counters).add(key, window_start, 1)),
            Self::Redis { conn, namespace } => {
                let mut conn = conn.clone();
                let key = Self::redis_key(namespace, key, window_start);
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

    /// The hits in the current window, without counting one.
    async fn peek(&self, key: &str, window_start: i64) -> anyhow::Result<i64> {
        match self {
            Self::Memory(counters) => Ok(lock(counters).count(key, window_start)),
            Self::Redis { conn, namespace } => {
                let mut conn = conn.clone();
                let hits: Option<i64> = redis::cmd("GET")
                    .arg(Self::redis_key(namespace, key, window_start))
                    .query_async(&mut conn)
                    .await?;
                Ok(hits.unwrap_or(0))
            }
        }
    }

    /// Forgets the current window's hits on `key`.
    async fn reset(&self, key: &str, window_start: i64) -> anyhow::Result<()> {
        match self {
            Self::Memory(counters) => {
                lock(counters).windows.remove(key);
                Ok(())
            }
            Self::Redis { conn, namespace } => {
                let mut conn = conn.clone();
                let _: i64 = redis::cmd("DEL")
                    .arg(Self::redis_key(namespace, key, window_start))
                    .query_async(&mut conn)
                    .await?;
                Ok(())
            }
        }
    }
}

fn lock(counters: &Mutex<MemoryCounters>) -> std::sync::MutexGuard<'_, MemoryCounters> {
    // A panic while holding the lock leaves plain numbers behind: still usable.
    counters.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One limited action, e.g. login attempts per IP.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub name: &'static str,
    pub max: u32,
}

impl Limit {
    fn key(&self, subject: &str) -> String {
        format!("{}:{subject}", self.name)
    }
}

impl AppState {
    /// The current window's start and the seconds until it ends.
    fn window(&self) -> (i64, u64, u64) {
        let window = self.config.rate_limits.window_secs.max(1);
        let now = self.clock.now_ts();
        let window_start = now - now.rem_euclid(window as i64);
        let retry_after = (window_start + window as i64 - now).max(1) as u64;
        (window_start, window, retry_after)
    }

    /// Counts one attempt of `limit` for `subject` (an IP or an account); refuses with 429 and
    /// the seconds until the window ends once the limit is passed.
    pub async fn rate_limit(&self, limit: Limit, subject: &str) -> Result<(), Error> {
        let (window_start, window, retry_after) = self.window();
        let hits = self.counters.hit(&limit.key(subject), window_start, window).await?;
        if hits > i64::from(limit.max) {
            tracing::warn!(limit = limit.name, "rate limit reached");
            return Err(Error::TooManyRequests { retry_after });
        }
        Ok(())
    }

    /// Counts one provider API call made with `token` (already verified) against the token's
    /// own limit, `rate_limits.api_per_token`. A token caller is never held to the per-IP
    /// guest limits: many integrations share one address, and the token already says who
    /// is calling. The key is the token's hash, so no secret is kept in counters or Redis.
    pub async fn limit_token(&self, token: &str) -> Result<(), Error> {
        let limit = Limit { name: "api-token", max: self.config.rate_limits.api_per_token };
        self.rate_limit(limit, &portico_store::tokens::hash(token)).await
    }

    /// Counts one invitation emailed from `tenant`'s dashboard to someone else against the
    /// business's limit, `rate_limits.invitations_per_tenant`: a hijacked or careless
    /// dashboard cannot turn the platform's mail into a spam cannon. Call it once the request
    /// is otherwise valid, before anything is queued.
    pub async fn limit_invitations(&self, tenant: portico_domain::TenantId) -> Result<(), Error> {
        let limit =
            Limit { name: "tenant-invites", max: self.config.rate_limits.invitations_per_tenant };
        self.rate_limit(limit, &tenant.get().to_string()).await
    }

    /// Whether `subject` already used up `limit` in this window, without counting anything:
    /// `Some(seconds to wait)` if so. For limits that count only failures.
    pub async fn rate_limited(&self, limit: Limit, subject: &str) -> Result<Option<u64>, Error> {
        let (window_start, _, retry_after) = self.window();
        let hits = self.counters.peek(&limit.key(subject), window_start).await?;
        Ok((hits >= i64::from(limit.max)).then_some(retry_after))
    }

    /// Counts one failure of `limit` for `subject` (see [`rate_limited`](Self::rate_limited)).
    pub async fn count_failure(&self, limit: Limit, subject: &str) -> Result<(), Error> {
        let (window_start, window, _) = self.window();
        self.counters.hit(&limit.key(subject), window_start, window).await?;
        Ok(())
    }

    /// Forgets the failures of `limit` for `subject` in this window.
    pub async fn clear_failures(&self, limit: Limit, subject: &str) -> Result<(), Error> {
        let (window_start, _, _) = self.window();
        self.counters.reset(&limit.key(subject), window_start).await?;
        Ok(())
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// rightmost address in `X-Forwarded-For` that is not itself a trusted proxy. Everything left
/// of that was written by the client and proves nothing.
pub fn client_ip(parts: &Parts, trusted: &TrustedProxies) -> IpAddr {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip().to_canonical());
    if !trusted.contains(peer) {
        return peer;
    }
    // Several headers count as one list, in order.
    let hops: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // An unreadable entry ends the trail: what is left of it cannot be trusted either.
        let Ok(ip) = hop.parse::<IpAddr>().map(|ip| ip.to_canonical()) else {
            break;
        };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    client
}

/// The client's address (see [`client_ip`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip(parts, &state.config.http.trusted_proxies)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_counters_count_per_window_and_prune_ended_windows() {
        let mut counters = MemoryCounters::default();
        assert_eq!(counters.add("a", 0, 1), 1);
        assert_eq!(counters.add("a", 0, 1), 2);
        assert_eq!(counters.add("b", 0, 1), 1);
        assert_eq!(counters.count("a", 0), 2);
        // A new window starts from zero, and the ended window's keys are dropped.
        assert_eq!(counters.add("a", 900, 1), 1);
        assert_eq!(counters.count("b", 900), 0);
        assert_eq!(counters.len(), 1, "b's ended window was pruned");
    }

    fn parts(peer: &str, forwarded: &[&str]) -> Parts {
        let mut request = axum::http::Request::builder();
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        let peer: std::net::SocketAddr = peer.parse().unwrap();
        parts.extensions.insert(axum::extract::ConnectInfo(peer));
        parts
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let trusted = TrustedProxies::parse(["10.0.0.0/8"]).unwrap();
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        // An untrusted peer's header is ignored.
        assert_eq!(
            client_ip(&parts("203.0.113.9:5000", &["1.2.3.4"]), &trusted),
            ip("203.0.113.9")
        );
        // Behind the proxy: the rightmost address the proxies did not add.
        assert_eq!(
            client_ip(&parts("10.0.0.2:5000", &["6.6.6.6, 198.51.100.7, 10.0.0.3"]), &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(&parts("10.0.0.2:5000", &["6.6.6.6", "198.51.100.7"]), &trusted),
            ip("198.51.100.7"),
            "several headers are one list"
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(client_ip(&parts("10.0.0.2:5000", &[]), &trusted), ip("10.0.0.2"));
        assert_eq!(client_ip(&parts("10.0.0.2:5000", &["nonsense"]), &trusted), ip("10.0.0.2"));
        // Nobody trusted: never the header.
        assert_eq!(
            client_ip(&parts("10.0.0.2:5000", &["1.2.3.4"]), &TrustedProxies::default()),
            ip("10.0.0.2")
        );
    }
}
