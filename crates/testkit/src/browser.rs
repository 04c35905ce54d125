//! A browser-like HTTP client: its own cookie jar, no automatic redirects, and form posts
//! that carry the session's CSRF token like our pages do.

use reqwest::{Response, StatusCode};

#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    base: String,
}

impl Browser {
    pub fn new(base: String) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Self { client, jar, base }
    }

    /// The `Cookie` header this browser sends (e.g. to replay an old session elsewhere).
    pub fn cookies(&self) -> String {
        use reqwest::cookie::CookieStore as _;
        let url = self.base.parse().expect("base URL");
        self.jar.cookies(&url).and_then(|v| v.to_str().ok().map(str::to_owned)).unwrap_or_default()
    }

    /// GET with exactly the given `Cookie` header, outside this browser's jar.
    pub async fn get_with_cookies(&self, path: &str, cookies: &str) -> Response {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client")
            .get(self.url(path))
            .header(reqwest::header::COOKIE, cookies)
            .send()
            .await
            .expect("GET")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GET and return the body, asserting 200.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        let status = response.status();
        let body = response.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// The session's CSRF token, as a page would embed it.
    pub async fn csrf(&self) -> String {
        let html = self.page("/accounts/password/reset").await;
        extract_csrf(&html).expect("a CSRF token in the page")
    }

    /// Posts a form with the CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("_csrf", &token));
        self.client.post(self.url(path)).form(&form).send().await.expect("POST")
    }

    /// Posts a file upload (`multipart/form-data`, as a browser sends it) with the CSRF token
    /// first, then the file in `field`.
    pub async fn post_file(
        &self,
        path: &str,
        field: &str,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Response {
        let token = self.csrf().await;
        let boundary = "----PorticoTestBoundary7MA4YWxkTrZu0gW";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
             filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.client
            .post(self.url(path))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_form_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client.post(self.url(path)).form(fields).send().await.expect("POST")
    }

    /// Logs in through the login form; panics unless it redirects.
    pub async fn login(&self, email: &str, password: &str) {
        let response =
            self.post_form("/accounts/login", &[("email", email), ("password", password)]).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "login as {email}: {}",
            response.text().await.unwrap_or_default()
        );
    }
}

/// The `_csrf` hidden field's value in `html`.
pub fn extract_csrf(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// Where a redirect points.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
