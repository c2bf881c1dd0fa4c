//! A headless Chromium for tests, driven over the W3C WebDriver protocol
//! through Debian's `chromedriver` (packages `chromium` and
//! `chromium-driver`; `scripts/test.sh` installs them).
//!
//! The protocol is a handful of JSON-over-HTTP commands, spoken here with
//! the `reqwest` client the tests already use: a WebDriver crate would
//! bring two dozen more crates to build (fantoccini pulls a second `http`,
//! `icu` 1.x and `zerovec` with their proc macros) for the six commands a
//! test needs. Missing binaries fail the test: a browser test that
//! silently does not run proves nothing.

use serde_json::{Value, json};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The key of an element reference in W3C WebDriver responses.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long the driver and the browser may take to start or to do one
/// thing, on a machine shared with builds.
const PATIENCE: Duration = Duration::from_secs(60);

/// A program named by an environment variable or found on `PATH`.
fn program(env: &str, names: &[&str]) -> PathBuf {
    if let Ok(p) = std::env::var(env) {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "{} is not installed (or set {env}): the browser test needs Debian's chromium and \
         chromium-driver; scripts/test.sh installs them with apt-get",
        names.join(" or ")
    );
}

/// A running `chromedriver`, in its own process group so that it and the
/// browsers it started end with it.
pub struct Driver {
    child: Child,
    url: String,
    client: reqwest::Client,
    chromium: PathBuf,
    profile: TempDir,
}

impl Driver {
    /// Starts the driver and waits until it says it is ready.
    pub async fn start() -> Driver {
        let chromium = program("TIERCARE_CHROMIUM", &["chromium", "chromium-browser"]);
        let driver = program("TIERCARE_CHROMEDRIVER", &["chromedriver"]);
        // A free port: bound by us, then released for the driver.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver.display()));
        let d = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            chromium,
            profile: tempfile::Builder::new()
                .prefix("tiercare-chromium-")
                .tempdir()
                .expect("profile directory"),
        };
        let deadline = Instant::now() + PATIENCE;
        loop {
            let ready = match d.client.get(format!("{}/status", d.url)).send().await {
                Ok(r) => r
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                return d;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready within {PATIENCE:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Opens a headless browser.
    pub async fn session(&self) -> Session {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.chromium,
                // A browser set up as our users' are: Chinese first.
                "prefs": {"intl.accept_languages": "zh-CN,zh"},
                "args": [
                    "--headless=new",
                    // Containers run tests as root, where Chromium's
                    // sandbox cannot start.
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--no-first-run",
                    "--window-size=1400,1000",
                    "--lang=zh-CN",
                    format!("--user-data-dir={}", self.profile.path().display()),
                ]
            }
        }}});
        let resp = self
            .client
            .post(format!("{}/session", self.url))
            .json(&caps)
            .timeout(PATIENCE)
            .send()
            .await
            .expect("new session request");
        let v: Value = resp.json().await.expect("new session answer");
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver refused a session: {v}"));
        Session {
            url: format!("{}/session/{id}", self.url),
            client: self.client.clone(),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: the driver and any browser it left running.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session. Cheap to clone: it is a URL and a client.
#[derive(Clone)]
pub struct Session {
    url: String,
    client: reqwest::Client,
}

impl Session {
    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut rb = self
            .client
            .request(method, format!("{}{path}", self.url))
            .timeout(PATIENCE);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("WebDriver command sent");
        let status = resp.status();
        let v: Value = resp.json().await.expect("WebDriver answer");
        assert!(status.is_success(), "WebDriver {path}: {status} {v}");
        v["value"].clone()
    }

    /// Loads a page and waits for it to load.
    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// The address of the page shown.
    pub async fn current_url(&self) -> String {
        self.command(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .command(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    /// Types into the element `css` selects.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Clicks the element `css` selects.
    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Runs a script in the page and returns what it returns.
    pub async fn script(&self, body: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": body, "args": []})),
        )
        .await
    }

    /// Waits until the page's address satisfies `ok`.
    pub async fn wait_for_url(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let url = self.current_url().await;
            if ok(&url) {
                return url;
            }
            assert!(
                Instant::now() < deadline,
                "the browser never reached {what}; it is at {url}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Resizes the window: 390 wide is a phone, as residents use it.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.command(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// The visible text of the element `css` selects.
    pub async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        self.command(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Whether the page has an element `css` selects, without failing.
    pub async fn has(&self, css: &str) -> bool {
        let resp = self
            .client
            .post(format!("{}/element", self.url))
            .json(&json!({"using": "css selector", "value": css}))
            .timeout(PATIENCE)
            .send()
            .await
            .expect("WebDriver command sent");
        resp.status().is_success()
    }

    /// Waits until the page shows an element `css` selects: after a click
    /// that sends a form, the next page's element is the sign it arrived
    /// (a refused form keeps its address, so the address cannot be).
    pub async fn wait_for(&self, css: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.has(css).await {
            assert!(Instant::now() < deadline, "{css} never appeared");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element `css` selects shows `needle` in its text,
    /// and returns that text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self.has(css).await {
                let text = self.text(css).await;
                if text.contains(needle) {
                    return text;
                }
            }
            assert!(Instant::now() < deadline, "{css} never showed {needle:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a screenshot of the page as `target/screenshots/<name>.png`
    /// (not committed: the test run writes them for people to look at).
    pub async fn screenshot(&self, name: &str) {
        use base64::Engine;
        let data = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("a base64 screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }

    /// Signs in through the form and waits to land on the user's
    /// worklist; returns its address.
    pub async fn sign_in(&self, base: &str, user: &str, password: &str) -> String {
        self.goto(&format!("{base}/ui/login")).await;
        self.type_into("#username", user).await;
        self.type_into("#password", password).await;
        self.click("#sign-in").await;
        self.wait_for_url("a worklist", |u| !u.contains("/ui/login"))
            .await
    }

    /// The language the page says it is in (`<html lang>`).
    pub async fn page_lang(&self) -> String {
        self.script("return document.documentElement.lang;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Clicks the header's language switch and waits for the page to come
    /// back in the other language.
    pub async fn switch_language(&self) {
        let before = self.page_lang().await;
        self.click("#lang-switch").await;
        let deadline = Instant::now() + PATIENCE;
        while self.page_lang().await == before {
            assert!(Instant::now() < deadline, "the language never switched");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Closes the browser.
    pub async fn quit(self) {
        let _ = self.client.delete(&self.url).timeout(PATIENCE).send().await;
    }
}
