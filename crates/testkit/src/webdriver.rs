//! A real browser for tests: Debian's headless Chromium driven through `chromedriver` over the
//! W3C WebDriver protocol (plain JSON over HTTP, so a thin client on `reqwest` is enough), plus
//! the checks every page of a golden path must pass: no horizontal overflow, no console error,
//! no failed request, and no serious or critical axe-core violation.
//!
//! When Chromium, `chromedriver` or axe-core is missing, [`Chrome::start`] returns `None` with a
//! notice (the test is skipped), unless `PORTICO_TEST_REQUIRE_SERVICES=1` (CI), where it panics.
//! `.ci/run` installs all three.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

/// The W3C name of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where the browser binaries live (Debian's packages).
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A headless Chromium session at a fixed viewport width.
pub struct Chrome {
    driver: Child,
    http: reqwest::Client,
    session: String,
    axe: String,
    /// The viewport width in CSS pixels (1280 for a desktop, 390 for a phone).
    pub width: u32,
    shots: PathBuf,
}

/// One element of the current page.
#[derive(Clone, Debug)]
pub struct Element(String);

fn require() -> bool {
    std::env::var("PORTICO_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// axe-core's browser build, installed from the npm registry by `.ci/run` into
/// `tools/browser/node_modules` (or named by `PORTICO_AXE_JS`).
fn axe_path() -> PathBuf {
    if let Ok(path) = std::env::var("PORTICO_AXE_JS") {
        return PathBuf::from(path);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tools/browser/node_modules/axe-core/axe.min.js")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port()
}

impl Chrome {
    /// Starts `chromedriver` and a headless Chromium whose viewport is `width` CSS pixels wide
    /// (phone widths use Chromium's device emulation: a headless window cannot be that narrow).
    /// Screenshots go to `target/browser-screens/{name}/`.
    pub async fn start(name: &str, width: u32) -> Option<Self> {
        let missing: Vec<String> = [Path::new(CHROMIUM), Path::new(CHROMEDRIVER), &axe_path()]
            .iter()
            .filter(|p| !p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "browser tests need {} (`.ci/run` installs them: apt-get install chromium \
                 chromium-driver; npm ci --prefix tools/browser)",
                missing.join(", ")
            );
            assert!(!require(), "{message}");
            eprintln!("SKIPPED: {message}");
            return None;
        }
        let axe = std::fs::read_to_string(axe_path()).expect("read axe-core");
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        crate::wait_for("chromedriver", Duration::from_secs(20), || {
            let http = http.clone();
            let url = format!("{base}/status");
            async move {
                let status: Value = http.get(url).send().await.ok()?.json().await.ok()?;
                status["value"]["ready"].as_bool().filter(|ready| *ready)
            }
        })
        .await;
        let mut options = json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--window-size=1280,900"],
        });
        if width < 1000 {
            options["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": 844, "pixelRatio": 1}});
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let answer: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("new WebDriver session")
            .json()
            .await
            .expect("session JSON");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {answer}"))
            .to_owned();
        let shots = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/browser-screens")
            .join(format!("{name}-{width}"));
        std::fs::create_dir_all(&shots).expect("screenshot dir");
        Some(Self { driver, http, session: format!("{base}/session/{session}"), axe, width, shots })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value =
            request.send().await.expect("WebDriver call").json().await.expect("WebDriver JSON");
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    /// The address of the current page.
    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_owned()
    }

    /// The path (and query) of the current page.
    pub async fn path(&self) -> String {
        let url = url::Url::parse(&self.url().await).expect("page URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page; its return value.
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args })).await
    }

    /// The first element matching the CSS `selector`, waiting up to five seconds for it.
    pub async fn find(&self, selector: &str) -> Element {
        let query = json!({ "using": "css selector", "value": selector });
        let what = format!("element {selector} on {}", self.url().await);
        crate::wait_for(&what, Duration::from_secs(5), || async {
            let answer: Value = self
                .http
                .post(format!("{}/element", self.session))
                .json(&query)
                .send()
                .await
                .expect("WebDriver call")
                .json()
                .await
                .expect("WebDriver JSON");
            answer["value"][ELEMENT].as_str().map(|id| Element(id.to_owned()))
        })
        .await
    }

    /// Whether an element matches `selector` now.
    pub async fn has(&self, selector: &str) -> bool {
        let found =
            self.post("/elements", json!({ "using": "css selector", "value": selector })).await;
        found.as_array().is_some_and(|list| !list.is_empty())
    }

    /// Clicks the first element matching `selector` (scrolled into view, as a user would).
    pub async fn click(&self, selector: &str) {
        let Element(id) = self.find(selector).await;
        self.post(&format!("/element/{id}/click"), json!({})).await;
    }

    /// Clicks the element matching `selector` that leaves the page (a link, a form's button)
    /// and waits until the next page has loaded.
    pub async fn follow(&self, selector: &str) {
        self.run("window.__porticoOld = true;", json!([])).await;
        self.click(selector).await;
        self.wait_for_new_page().await;
    }

    async fn wait_for_new_page(&self) {
        let what = format!("the page to change from {}", self.url().await);
        crate::wait_for(&what, Duration::from_secs(10), || async {
            let state = self
                .run("return window.__porticoOld ? 'old' : document.readyState;", json!([]))
                .await;
            (state == "complete").then_some(())
        })
        .await;
    }

    /// Replaces the value of the field matching `selector` with `text`, typed.
    pub async fn fill(&self, selector: &str, text: &str) {
        let Element(id) = self.find(selector).await;
        self.post(&format!("/element/{id}/clear"), json!({})).await;
        self.post(&format!("/element/{id}/value"), json!({ "text": text })).await;
    }

    /// Chooses the option with `value` in the `<select>` matching `selector`.
    pub async fn select(&self, selector: &str, value: &str) {
        self.click(&format!("{selector} option[value=\"{value}\"]")).await;
    }

    /// The visible text of the page's body.
    pub async fn text(&self) -> String {
        let text = self.run("return document.body.innerText;", json!([])).await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// Answers "Yes, go ahead" in the confirmation dialog of a safe action.
    pub async fn confirm(&self) {
        self.follow("dialog.confirm-dialog[open] button.danger").await;
    }

    /// Checks the current page as a user at this width would see it, and saves a screenshot
    /// named `step`: the page must not scroll sideways, the console must hold no error and no
    /// request may have failed since the last check, and axe-core must find no serious or
    /// critical accessibility violation.
    pub async fn check(&self, step: &str) {
        let path = self.path().await;
        let shot = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot.as_str().unwrap_or_default())
            .expect("screenshot PNG");
        std::fs::write(self.shots.join(format!("{step}.png")), png).expect("save screenshot");

        let widths = self
            .run(
                "return [document.documentElement.scrollWidth, window.innerWidth, \
                 Array.from(document.querySelectorAll('body *')).filter(e => \
                 e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5) \
                 .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40))];",
                json!([]),
            )
            .await;
        let (scroll, inner) = (widths[0].as_i64().unwrap_or(0), widths[1].as_i64().unwrap_or(0));
        assert!(
            scroll <= inner,
            "{step} ({path}) at {} px scrolls sideways: {scroll} > {inner}; wide: {}",
            self.width,
            widths[2]
        );

        let logs = self.post("/se/log", json!({ "type": "browser" })).await;
        let errors: Vec<&str> = logs
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .filter_map(|entry| entry["message"].as_str())
            .collect();
        assert!(
            errors.is_empty(),
            "{step} ({path}): console errors or failed requests: {errors:?}"
        );

        self.run(&self.axe, json!([])).await;
        let violations = self
            .post(
                "/execute/async",
                json!({ "script": "const done = arguments[arguments.length - 1]; \
                    axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations \
                    .filter(v => v.impact === 'serious' || v.impact === 'critical') \
                    .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + \
                    v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))));",
                    "args": [] }),
            )
            .await;
        let violations: Vec<&str> =
            violations.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        assert!(
            violations.is_empty(),
            "{step} ({path}) at {} px: accessibility violations: {violations:#?}",
            self.width
        );
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        // Ends the browser through the driver (a plain HTTP DELETE: drop cannot await), then
        // the driver itself.
        use std::io::{Read as _, Write as _};
        if let Ok(url) = url::Url::parse(&self.session) {
            let address = format!("127.0.0.1:{}", url.port().unwrap_or(80));
            if let Ok(mut stream) = std::net::TcpStream::connect(address) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let request = format!(
                    "DELETE {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                    url.path()
                );
                let _ = stream.write_all(request.as_bytes());
                let _ = stream.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
