//! The HTML report in a real browser: headless Chromium driven over WebDriver (Debian's
//! `chromium` and `chromium-driver`; `./scripts/test` installs them).
//!
//! The page must load without console errors and without any request, show its sections,
//! filter in place, draw something (the screenshot is not blank), and show a hostile
//! resource name and tag value as text, without running them.

use crate::common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// A script a hostile resource would like to run; it sets a global the test looks for.
const HOSTILE_NAME: &str = "<script>window.__plumbPwned=1</script>";
const HOSTILE_TAG: &str = "<img src=x onerror=\"window.__plumbPwned=2\">";

fn find_binary(env: &str, names: &[&str]) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "{} not found: the browser test needs Debian's chromium and chromium-driver \
         (`./scripts/test` installs them; or `apt-get install chromium chromium-driver`), \
         or ${env} pointing at the binary",
        names[0]
    );
}

/// chromedriver, listening on 127.0.0.1 only, ended when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let binary = find_binary("CHROMEDRIVER", &["chromedriver"]);
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port on 127.0.0.1")
            .port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver's browser log (`goog:loggingPrefs`): console messages, uncaught exceptions,
/// Content-Security-Policy violations and failed requests.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

async fn browser_log(client: &Client) -> Vec<Value> {
    let log = client
        .issue_cmd(BrowserLog)
        .await
        .expect("the browser log is readable");
    log.as_array().cloned().unwrap_or_default()
}

/// An estate with a hostile Kubernetes object and a hostile tag, next to the demo.
fn hostile_estate(dir: &Path) {
    std::fs::write(
        dir.join("hostile.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name:?}\n  namespace: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:latest\n        securityContext: {{privileged: true}}\n",
            name = format!("evil{HOSTILE_NAME}")
        ),
    )
    .unwrap();
    let state = json!({
        "version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "l", "outputs": {},
        "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": "hostile",
            "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
            "instances": [{"attributes": {"bucket": "hostile-bucket",
                "tags": {"Owner": HOSTILE_TAG, "Environment": "prod"}}}]}]
    });
    std::fs::write(dir.join("terraform.tfstate"), state.to_string()).unwrap();
    std::fs::write(
        dir.join("waivers.yaml"),
        "waivers:\n  - policy: PLB-RDS-003\n    resource: tf:aws_db_instance.reporting\n    reason: Reached through a bastion only (RISK-42)\n    approved_by: ciso@example.com\n    expires: 2099-12-31\n",
    )
    .unwrap();
}

fn render_report(dir: &Path) -> PathBuf {
    hostile_estate(dir);
    let html = dir.join("report.html");
    let out = plumb(&[
        "scan",
        dir.to_str().unwrap(),
        "fixtures/demo",
        "--waivers",
        dir.join("waivers.yaml").to_str().unwrap(),
        "--format",
        &format!("html={}", html.display()),
        "--fail-on",
        "never",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(
        !text.contains(HOSTILE_NAME),
        "the hostile name is escaped in the file"
    );
    assert!(
        !text.contains(HOSTILE_TAG),
        "the hostile tag is escaped in the file"
    );
    html
}

/// Rows of the findings table: (all, visible, text of the visible ones).
async fn rows(client: &Client) -> (u64, u64, Vec<String>) {
    let v = client
        .execute(
            "const rows = Array.from(document.querySelectorAll('#findings tr.finding'));
             const shown = rows.filter(r => r.getClientRects().length > 0);
             return [rows.length, shown.length, shown.map(r => r.dataset.status + ' ' + r.textContent)];",
            vec![],
        )
        .await
        .unwrap();
    (
        v[0].as_u64().unwrap(),
        v[1].as_u64().unwrap(),
        v[2].as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect(),
    )
}

async fn section_text(client: &Client, id: &str) -> String {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("section #{id}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Waits until the filter has run (it is debounced) and the row count settles.
async fn settled_rows(client: &Client) -> (u64, u64, Vec<String>) {
    tokio::time::sleep(Duration::from_millis(400)).await;
    rows(client).await
}

/// Pixel statistics of a PNG screenshot: (distinct colours, variance of luminance).
fn pixel_stats(png_bytes: &[u8]) -> (usize, f64) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG screenshot");
    let mut buf = vec![0; reader.output_buffer_size().expect("a bounded image")];
    let info = reader.next_frame(&mut buf).expect("one frame");
    let channels = info.color_type.samples();
    assert!(
        channels >= 3,
        "colour screenshot, got {:?}",
        info.color_type
    );
    let pixels = &buf[..info.buffer_size()];
    let mut colours = std::collections::HashSet::new();
    let (mut sum, mut sum_sq, mut n) = (0f64, 0f64, 0f64);
    for px in pixels.chunks_exact(channels) {
        colours.insert((px[0], px[1], px[2]));
        let y = 0.2126 * f64::from(px[0]) + 0.7152 * f64::from(px[1]) + 0.0722 * f64::from(px[2]);
        sum += y;
        sum_sq += y * y;
        n += 1.0;
    }
    let mean = sum / n;
    (colours.len(), sum_sq / n - mean * mean)
}

#[tokio::test(flavor = "current_thread")]
async fn the_html_report_works_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let html = render_report(dir.path());
    let chromium = find_binary(
        "CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let driver = Driver::start();
    let profile = dir.path().join("profile");
    let mut caps = Capabilities::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
                "--window-size=1280,1600",
            ],
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let client = tokio::time::timeout(
        Duration::from_secs(60),
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port)),
    )
    .await
    .expect("a browser session within a minute")
    .expect("chromedriver starts chromium");

    let outcome = tokio::time::timeout(Duration::from_secs(120), check_page(&client, &html)).await;
    let _ = client.close().await;
    drop(driver);
    outcome.expect("the browser checks finish within two minutes");
}

async fn check_page(client: &Client, html: &Path) {
    client
        .goto(&format!("file://{}", html.display()))
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("#findings tr.finding"))
        .await
        .unwrap();

    // Loaded cleanly: no console error, no CSP violation, no request of any kind.
    let log = browser_log(client).await;
    let severe: Vec<&Value> = log.iter().filter(|e| e["level"] == "SEVERE").collect();
    assert!(severe.is_empty(), "console errors: {severe:#?}");
    let requests = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(requests, json!([]), "the page made requests");

    // The hostile values are text, and neither ran.
    let pwned = client
        .execute("return typeof window.__plumbPwned;", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, "undefined", "a hostile value ran as script");
    let counts = client
        .execute(
            "return [document.scripts.length, document.images.length,
                     document.body.innerText.includes(arguments[0]),
                     document.body.innerText.includes(arguments[1])];",
            // The tag is shown inside the JSON of the tags map, its quotes escaped.
            vec![json!(HOSTILE_NAME), json!("<img src=x onerror=")],
        )
        .await
        .unwrap();
    assert_eq!(
        counts,
        json!([1, 0, true, true]),
        "one script (the report's own), no image, both hostile values shown as text"
    );

    // Key sections say what they must.
    let summary = section_text(client, "summary").await;
    for expected in [
        "Summary",
        "failed",
        "Overall pass rate",
        "Failures by severity",
        "Pass rate by category",
        "Pass rate by framework",
        "nist-800-53",
    ] {
        assert!(summary.contains(expected), "summary lacks {expected:?}");
    }
    let controls = section_text(client, "controls").await;
    for expected in [
        "Control matrix",
        "baseline",
        "PLB-RDS-003",
        "tf:aws_db_instance",
    ] {
        assert!(
            controls.contains(expected),
            "control matrix lacks {expected:?}"
        );
    }
    let waivers = section_text(client, "waivers").await;
    for expected in [
        "Waiver register",
        "RISK-42",
        "ciso@example.com",
        "2099-12-31",
        "active",
    ] {
        assert!(
            waivers.contains(expected),
            "waiver register lacks {expected:?}"
        );
    }
    let meta = section_text(client, "metadata").await;
    for expected in [
        "Inventory hash",
        "sha256",
        "terraform-state",
        "kubernetes-manifest",
        "Policy pack",
    ] {
        assert!(meta.contains(expected), "scan metadata lacks {expected:?}");
    }
    let resources = section_text(client, "resources").await;
    assert!(
        resources.contains("facets.publicly_accessible"),
        "evidence is shown"
    );

    // Filtering: typing hides the rows that do not match.
    let (total, visible, _) = rows(client).await;
    assert!(total > 100, "the demo has many checks, got {total}");
    assert_eq!(visible, total, "nothing is hidden before filtering");
    let filter = client.find(Locator::Id("filter")).await.unwrap();
    filter.send_keys("PLB-RDS-003").await.unwrap();
    let (_, visible, texts) = settled_rows(client).await;
    assert!(
        visible > 0 && visible < total,
        "{visible} of {total} rows visible"
    );
    assert!(
        texts.iter().all(|t| t.contains("PLB-RDS-003")),
        "{texts:#?}"
    );
    let count = client
        .find(Locator::Id("filter-count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        count.starts_with(&format!("{visible} of {total}")),
        "{count}"
    );

    // And the status filter narrows further.
    client
        .find(Locator::Id("filter-status"))
        .await
        .unwrap()
        .select_by_value("waived")
        .await
        .unwrap();
    let (_, waived, texts) = settled_rows(client).await;
    assert_eq!(waived, 1, "{texts:#?}");
    assert!(texts[0].starts_with("waived ") && texts[0].contains("RISK-42"));

    // Nothing matches: every row is hidden and the page says so.
    filter.clear().await.unwrap();
    filter.send_keys("no-such-resource-anywhere").await.unwrap();
    let (_, none, _) = settled_rows(client).await;
    assert_eq!(none, 0);
    assert!(
        client
            .find(Locator::Id("no-match"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );

    // Back to everything, at the top: the screenshot shows a drawn page, not a blank one.
    filter.clear().await.unwrap();
    client
        .find(Locator::Id("filter-status"))
        .await
        .unwrap()
        .select_by_value("")
        .await
        .unwrap();
    let (_, visible, _) = settled_rows(client).await;
    assert_eq!(visible, total);
    client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    let png = client.screenshot().await.unwrap();
    if let Some(path) = std::env::var_os("PLUMB_SCREENSHOT") {
        std::fs::write(path, &png).unwrap();
    }
    let (colours, variance) = pixel_stats(&png);
    assert!(colours > 50, "only {colours} colours: a blank page?");
    assert!(
        variance > 200.0,
        "luminance variance {variance:.1}: a blank page?"
    );

    // Nothing went wrong while filtering either.
    let log = browser_log(client).await;
    let severe: Vec<&Value> = log.iter().filter(|e| e["level"] == "SEVERE").collect();
    assert!(
        severe.is_empty(),
        "console errors while filtering: {severe:#?}"
    );
    // The log really reports console errors: the checks above could have failed.
    client
        .execute("console.error('plumb-probe');", vec![])
        .await
        .unwrap();
    let log = browser_log(client).await;
    assert!(
        log.iter().any(|e| e["level"] == "SEVERE"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains("plumb-probe"))),
        "the browser log does not carry console errors: {log:#?}"
    );
}
