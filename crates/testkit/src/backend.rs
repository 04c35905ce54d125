//! The backend matrix: every store, queue and HTTP test runs on the embedded default
//! (SQLite + SQLite queue) and, when reachable, on PostgreSQL + Redis.

use std::fmt;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::OnceLock;
use std::time::Duration;

/// One deployment shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite database file + apalis queue on its own SQLite file.
    Sqlite,
    /// PostgreSQL database + apalis queue on Redis.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite (+ sqlite queue)",
            Self::Postgres => "postgres (+ redis queue)",
        })
    }
}

/// Admin URL of the test PostgreSQL server; each test creates its own database there.
pub fn postgres_admin_url() -> String {
    std::env::var("PORTICO_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub fn redis_url() -> String {
    std::env::var("PORTICO_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

fn require_services() -> bool {
    std::env::var("PORTICO_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1" || v == "true")
}

fn reachable(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else { return false };
    let host = parsed.host_str().unwrap_or("127.0.0.1");
    let port = parsed.port_or_known_default().unwrap_or(match parsed.scheme() {
        "redis" | "rediss" => 6379,
        _ => 5432,
    });
    let Ok(addrs) = (host, port).to_socket_addrs() else { return false };
    addrs
        .collect::<Vec<SocketAddr>>()
        .iter()
        .any(|addr| TcpStream::connect_timeout(addr, Duration::from_millis(500)).is_ok())
}

/// The backends this run covers. SQLite always; PostgreSQL + Redis when both answer. When
/// they do not, the tests on them are skipped with a notice — or, with
/// `PORTICO_TEST_REQUIRE_SERVICES=1` (CI), the run fails.
pub fn backends() -> Vec<Backend> {
    static SERVICES: OnceLock<bool> = OnceLock::new();
    let available = *SERVICES.get_or_init(|| {
        let postgres = reachable(&postgres_admin_url());
        let redis = reachable(&redis_url());
        if !(postgres && redis) {
            let missing = match (postgres, redis) {
                (false, false) => "PostgreSQL and Redis",
                (false, true) => "PostgreSQL",
                _ => "Redis",
            };
            assert!(
                !require_services(),
                "PORTICO_TEST_REQUIRE_SERVICES=1 but {missing} is not reachable \
                 (PORTICO_TEST_DATABASE_URL / PORTICO_TEST_REDIS_URL)"
            );
            eprintln!(
                "notice: {missing} not reachable; PostgreSQL + Redis tests are skipped \
                 (set PORTICO_TEST_REQUIRE_SERVICES=1 to make this an error)"
            );
        }
        postgres && redis
    });
    let mut list = vec![Backend::Sqlite];
    if available {
        list.push(Backend::Postgres);
    }
    list
}

/// Runs `test` once on every backend of [`backends`], one after the other.
pub async fn matrix<F, Fut>(test: F)
where
    F: Fn(Backend) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        eprintln!("--- on {backend}");
        test(backend).await;
    }
}
