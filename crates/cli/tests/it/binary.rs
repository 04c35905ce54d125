//! Tests of the `portico` binary itself: configuration errors, the commands, and shutdown.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use portico_testkit::{Backend, PgDatabase, backends, redis_url, wait_for};

pub(crate) fn portico(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portico"));
    // Start from a clean environment so the developer's variables do not leak in.
    for (key, _) in std::env::vars() {
        if key.starts_with("PORTICO_") || key == "DATABASE_URL" || key == "REDIS_URL" {
            command.env_remove(key);
        }
    }
    command.env_remove("MALLOC_ARENA_MAX");
    command.arg("--data-dir").arg(data_dir).env("RUST_LOG", "warn");
    command
}

pub(crate) fn run(command: &mut Command) -> Output {
    command.stdin(Stdio::null()).output().expect("run portico")
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `portico` process killed when dropped.
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn spawn(command: &mut Command) -> Running {
    Running(
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap(),
    )
}

pub(crate) async fn ready(port: u16) -> reqwest::Response {
    wait_for("/readyz to answer 200", Duration::from_secs(60), || async move {
        let response = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await.ok()?;
        (response.status() == 200).then_some(response)
    })
    .await
}

fn terminate(process: &mut Running) -> std::process::ExitStatus {
    let status =
        Command::new("kill").arg("-TERM").arg(process.0.id().to_string()).status().unwrap();
    assert!(status.success());
    for _ in 0..300 {
        if let Some(status) = process.0.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("portico did not exit within 15 s of SIGTERM");
}

#[test]
fn a_bad_setting_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(portico(dir.path()).env("PORTICO_BIND", "nowhere").arg("check-config"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`bind`"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");

    let file = dir.path().join("bad.toml");
    for key in ["concurrency", "message_concurrency"] {
        std::fs::write(&file, format!("[queue]\n{key} = 0\n")).unwrap();
        let output = run(portico(dir.path()).arg("--config").arg(&file).arg("check-config"));
        assert_eq!(output.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&output.stderr).contains(&format!("`queue.{key}`")));
    }

    let output = run(portico(dir.path())
        .env("PORTICO_PRODUCTION", "true")
        .env("PORTICO_PUBLIC_URL", "https://portico.example.com")
        .arg("check-config"));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("`secrets.session_key`"));
}

#[test]
fn check_config_accepts_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(portico(dir.path()).arg("check-config"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("configuration is valid"));
    assert!(
        !stdout
            .contains(&std::fs::read_to_string(dir.path().join("secrets.toml")).unwrap()[90..120])
    );
}

#[tokio::test]
async fn demo_serves_on_the_embedded_default_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut demo =
        spawn(portico(dir.path()).env("DATABASE_URL", "postgres://ignored-by-demo").args([
            "--bind",
            &format!("127.0.0.1:{port}"),
            "demo",
        ]));
    let body: serde_json::Value = ready(port).await.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"database": "ok", "queue": "ok"}));
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        // It re-executed itself (same pid) with glibc's arena limit from `runtime.malloc_arenas`.
        let environ = std::fs::read(format!("/proc/{}/environ", demo.0.id())).unwrap();
        assert!(
            environ.split(|b| *b == 0).any(|var| var == b"MALLOC_ARENA_MAX=2"),
            "{}",
            String::from_utf8_lossy(&environ)
        );
    }
    assert!(dir.path().join("portico.db").exists());
    assert!(dir.path().join("jobs.db").exists());

    let status = terminate(&mut demo);
    assert_eq!(status.code(), Some(0), "graceful shutdown exits 0");
}

#[tokio::test]
async fn migrate_serve_and_worker_run_on_postgres_and_redis() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let database = PgDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let with_services = |command: &mut Command| {
        command
            .env("DATABASE_URL", &database.url)
            .env("REDIS_URL", redis_url())
            .env("PORTICO_QUEUE__NAMESPACE", format!("bin{}", free_port()));
    };

    let mut migrate = portico(dir.path());
    with_services(&mut migrate);
    let output = run(migrate.arg("migrate"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let port = free_port();
    let mut web = portico(dir.path());
    with_services(&mut web);
    let mut web = spawn(web.args(["--bind", &format!("127.0.0.1:{port}"), "serve", "--no-worker"]));
    let mut worker = portico(dir.path());
    with_services(&mut worker);
    let mut worker = spawn(worker.arg("worker"));

    let body: serde_json::Value = ready(port).await.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"database": "ok", "queue": "ok"}));
    assert!(!dir.path().join("portico.db").exists(), "nothing embedded was used");

    assert_eq!(terminate(&mut worker).code(), Some(0));
    assert_eq!(terminate(&mut web).code(), Some(0));
}
