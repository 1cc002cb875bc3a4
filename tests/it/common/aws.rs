//! Live-AWS test harness: a moto server (the AWS emulator, installed by `./scripts/test` into
//! a virtualenv) on a free loopback port, seeding through boto3 (`tests/aws/seed.py`), and a
//! small HTTP proxy on loopback between plumb and moto that
//!
//! * corrects answers where moto 5.2.5 departs from the AWS wire format (each correction is
//!   documented where it is made, in [`correct`]), and
//! * injects faults (throttling, 500s, slow answers, dropped connections) on chosen calls.
//!
//! Nothing here listens anywhere but 127.0.0.1; every server stops when its handle drops.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The virtualenv holding moto and boto3.
pub fn venv() -> PathBuf {
    if let Some(dir) = std::env::var_os("PLUMB_MOTO_VENV") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache")
        });
    cache.join("plumb").join("moto-venv")
}

fn python() -> PathBuf {
    let python = venv().join("bin").join("python");
    assert!(
        python.exists(),
        "moto is not installed at {}: run ./scripts/test (it installs moto[server] and boto3 there), \
         or set PLUMB_MOTO_VENV",
        python.display()
    );
    python
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A moto server on 127.0.0.1, stopped on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Moto {
        let port = free_port();
        let child = Command::new(python())
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            // moto's catalogue of public AMIs comes with a thousand snapshots owned by the
            // account itself, which no real account has.
            .env("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto starts");
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not listen on port {port} within 30 s"
            );
            thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs `tests/aws/seed.py SCENARIO ARGS...` against this server; its JSON output.
    pub fn seed(&self, scenario: &str, args: &[&str]) -> Value {
        let out = Command::new(python())
            .arg(super::root().join("tests/aws/seed.py"))
            .arg(self.endpoint())
            .arg(scenario)
            .args(args)
            .envs(test_credentials())
            .output()
            .expect("the seed script runs");
        assert!(
            out.status.success(),
            "seeding {scenario} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fixed test credentials and region; never real ones.
pub fn test_credentials() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_REGION", "eu-west-1"),
    ]
}

/// Runs plumb against `endpoint` with test credentials and no shared config files.
pub fn plumb_aws(endpoint: &str, args: &[&str]) -> Output {
    plumb_aws_env(endpoint, &[], args)
}

/// What one `plumb collect aws` run wrote and said.
pub struct Collected {
    pub code: i32,
    pub inventory: Value,
    /// The inventory file as written.
    pub text: String,
    pub stderr: String,
}

/// `plumb collect aws ARGS -o FILE` against `endpoint`, with extra environment variables;
/// panics when no inventory was written.
pub fn collect_aws(endpoint: &str, env: &[(&str, &str)], args: &[&str]) -> Collected {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("inventory.json");
    let path = path.to_str().expect("a UTF-8 path");
    let mut all = vec!["collect", "aws", "-o", path];
    all.extend_from_slice(args);
    let out = plumb_aws_env(endpoint, env, &all);
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("no inventory ({e}); stderr: {}", super::stderr(&out)));
    Collected {
        code: super::code(&out),
        inventory: serde_json::from_str(&text).expect("the inventory is JSON"),
        text,
        stderr: super::stderr(&out),
    }
}

/// [`plumb_aws`] with extra environment variables.
pub fn plumb_aws_env(endpoint: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("a temporary HOME");
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(args)
        .current_dir(super::root())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .envs(test_credentials())
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .output()
        .expect("the plumb binary runs")
}

// ---------------------------------------------------------------- proxy

/// Recorded answers, in the services' wire formats, for the read calls the estate needs that
/// moto 5.2.5 does not implement (it answers them with HTTP 500, or has no such service).
pub fn moto_gaps() -> Vec<Rule> {
    vec![
        // EFS DescribeBackupPolicy (REST-JSON): a file system with automatic backups on.
        Rule::new(
            "/backup-policy",
            Fault::Recorded(r#"{"BackupPolicy":{"Status":"ENABLED"}}"#),
            usize::MAX,
        ),
        // AWS Backup ListBackupSelections (REST-JSON): a plan without selections, as seeded.
        Rule::new(
            "/selections",
            Fault::Recorded(r#"{"BackupSelectionsList":[]}"#),
            usize::MAX,
        ),
        // CloudTrail LookupEvents (JSON 1.1): an empty event history. Tests of who changed
        // what serve recorded events instead ([`Trail`]).
        Rule::new(
            "LookupEvents",
            Fault::Recorded(r#"{"Events":[]}"#),
            usize::MAX,
        ),
        // IAM Access Analyzer ListAnalyzers (REST-JSON): one active analyzer of the account.
        Rule::new(
            "/analyzer",
            Fault::Recorded(
                r#"{"analyzers":[{"arn":"arn:aws:access-analyzer:eu-west-1:123456789012:analyzer/account","name":"account","type":"ACCOUNT","status":"ACTIVE","createdAt":"2026-01-01T00:00:00Z"}]}"#,
            ),
            usize::MAX,
        ),
        // CloudWatch DescribeAlarms (Smithy RPC v2 CBOR, which moto does not speak): the two
        // alarms of the estate on its metric filters, one notifying a topic with a subscriber,
        // one a topic without.
        Rule::new(
            "/operation/DescribeAlarms",
            Fault::RecordedCbor(
                r#"{"MetricAlarms":[
                    {"AlarmName":"root-usage","AlarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:root-usage","Namespace":"CISBenchmark","MetricName":"RootUsage","Statistic":"Sum","ActionsEnabled":true,"AlarmActions":["arn:aws:sns:eu-west-1:123456789012:security"]},
                    {"AlarmName":"trail-changes","AlarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:trail-changes","Namespace":"CISBenchmark","MetricName":"TrailChanges","Statistic":"Sum","ActionsEnabled":true,"AlarmActions":["arn:aws:sns:eu-west-1:123456789012:unheard"]}
                ],"CompositeAlarms":[]}"#,
            ),
            usize::MAX,
        ),
        // EC2 GetEbsDefaultKmsKeyId (EC2 query protocol): the AWS-managed default key.
        Rule::new(
            "GetEbsDefaultKmsKeyId",
            Fault::Recorded(
                r#"<GetEbsDefaultKmsKeyIdResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>recorded</requestId><kmsKeyId>alias/aws/ebs</kmsKeyId></GetEbsDefaultKmsKeyIdResponse>"#,
            ),
            usize::MAX,
        ),
    ]
}

/// What to do to matching requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with the service's throttling error (HTTP 400, or 503 for EC2's query protocol).
    Throttle,
    /// Answer HTTP 500.
    ServerError,
    /// Wait this long before forwarding.
    Slow(Duration),
    /// Close the connection without answering.
    Drop,
    /// Answer 200 with this recorded body (JSON, or XML when it starts with `<`), for an API
    /// moto does not implement.
    Recorded(&'static str),
    /// Answer 200 with this JSON body encoded as CBOR, for a service that speaks Smithy's RPC
    /// v2 CBOR protocol, which moto does not.
    RecordedCbor(&'static str),
}

/// A JSON value in CBOR (RFC 8949): integers as integers, other numbers as doubles.
fn cbor(v: &Value, out: &mut Vec<u8>) {
    fn head(major: u8, n: u64, out: &mut Vec<u8>) {
        let m = major << 5;
        match n {
            0..=23 => out.push(m | n as u8),
            24..=0xff => out.extend([m | 24, n as u8]),
            0x100..=0xffff => {
                out.push(m | 25);
                out.extend((n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(m | 26);
                out.extend((n as u32).to_be_bytes());
            }
            _ => {
                out.push(m | 27);
                out.extend(n.to_be_bytes());
            }
        }
    }
    match v {
        Value::Null => out.push(0xf6),
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => head(0, u, out),
            (None, Some(i)) => head(1, (-1 - i) as u64, out),
            _ => {
                out.push(0xfb);
                out.extend(n.as_f64().unwrap_or_default().to_be_bytes());
            }
        },
        Value::String(s) => {
            head(3, s.len() as u64, out);
            out.extend(s.as_bytes());
        }
        Value::Array(items) => {
            head(4, items.len() as u64, out);
            for item in items {
                cbor(item, out);
            }
        }
        Value::Object(map) => {
            head(5, map.len() as u64, out);
            for (k, item) in map {
                cbor(&Value::String(k.clone()), out);
                cbor(item, out);
            }
        }
    }
}

/// A fault on requests whose operation name (`X-Amz-Target` suffix, `Action=` of a query
/// request, or `s3:METHOD:sub-resource`) equals `operation`, or, when `operation` starts with
/// `/`, whose path contains it (REST APIs), or, written `region:NAME`, that are signed for that
/// region (every service of it); for the first `times` of them (`usize::MAX`: always).
#[derive(Debug)]
pub struct Rule {
    pub operation: String,
    pub fault: Fault,
    pub times: usize,
    pub hits: AtomicUsize,
}

impl Rule {
    pub fn new(operation: &str, fault: Fault, times: usize) -> Rule {
        Rule {
            operation: operation.into(),
            fault,
            times,
            hits: AtomicUsize::new(0),
        }
    }
}

/// Answers the proxy gives itself, before forwarding: `(operation, region, body)` to a 200
/// JSON body, or `None` to go on.
pub type Answer = Arc<dyn Fn(&str, &str, &str) -> Option<String> + Send + Sync>;

/// A loopback HTTP proxy in front of moto (or any upstream), stopped on drop.
pub struct Proxy {
    pub port: u16,
    stop: Arc<AtomicBool>,
    pub rules: Arc<Vec<Rule>>,
    /// Operations seen, in order.
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub fn start(upstream: u16, rules: Vec<Rule>) -> Proxy {
        Proxy::answering(upstream, rules, Arc::new(|_: &str, _: &str, _: &str| None))
    }

    /// A proxy that asks `answer` before forwarding a request no rule fired on.
    pub fn answering(upstream: u16, rules: Vec<Rule>, answer: Answer) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let rules = Arc::new(rules);
        let seen = Arc::new(Mutex::new(Vec::new()));
        {
            let (stop, rules, seen) = (stop.clone(), rules.clone(), seen.clone());
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (rules, seen, answer) = (rules.clone(), seen.clone(), answer.clone());
                    thread::spawn(move || serve(conn, upstream, &rules, &seen, &answer));
                }
            });
        }
        Proxy {
            port,
            stop,
            rules,
            seen,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How often rule `i` fired.
    pub fn hits(&self, i: usize) -> usize {
        self.rules[i].hits.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One HTTP message: start line, headers, body.
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
    }

    fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut head = format!("{}\r\n", self.start);
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes())?;
        out.write_all(&self.body)?;
        out.flush()
    }
}

/// Reads one message; `None` at a clean end of stream. `until_close` reads a body without
/// a length to the end of the stream (responses).
fn read_message(r: &mut BufReader<impl Read>, until_close: bool) -> Option<Message> {
    let mut start = String::new();
    if r.read_line(&mut start).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut m = Message {
        start: start.trim_end().to_string(),
        headers,
        body: Vec::new(),
    };
    if let Some(len) = m
        .header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        m.body.resize(len, 0);
        r.read_exact(&mut m.body).ok()?;
    } else if m
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            m.body.extend_from_slice(&chunk[..size]);
        }
        m.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("transfer-encoding"));
    } else if until_close {
        r.read_to_end(&mut m.body).ok()?;
    }
    Some(m)
}

/// The operation a request calls.
fn operation(req: &Message) -> String {
    if let Some(target) = req.header("x-amz-target") {
        return target.rsplit('.').next().unwrap_or(target).to_string();
    }
    let body = String::from_utf8_lossy(&req.body);
    if let Some(action) = body.split('&').find_map(|p| p.strip_prefix("Action=")) {
        return action.to_string();
    }
    // S3: the sub-resource of a bucket request (`GET /bucket?versioning`), else the method.
    let target = req.start.split_whitespace().nth(1).unwrap_or("/");
    let method = req.start.split_whitespace().next().unwrap_or("GET");
    match target.split_once('?') {
        Some((_, query)) => {
            let sub = query
                .split('&')
                .next()
                .unwrap_or("")
                .split('=')
                .next()
                .unwrap_or("");
            format!("s3:{method}:{sub}")
        }
        None => format!("s3:{method}"),
    }
}

/// The region a request is signed for (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`).
fn signed_region(req: &Message) -> String {
    req.header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(2))
        .unwrap_or_default()
        .to_string()
}

fn serve(
    client: TcpStream,
    upstream: u16,
    rules: &[Rule],
    seen: &Mutex<Vec<String>>,
    answer: &Answer,
) {
    let Ok(write_half) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(client);
    let mut writer = write_half;
    while let Some(mut req) = read_message(&mut reader, false) {
        let op = operation(&req);
        let path = req
            .start
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        seen.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(op.clone());
        let fault = rules.iter().find_map(|r| {
            let matches = r.operation == op
                || (r.operation.starts_with('/') && path.contains(&r.operation))
                || r.operation
                    .strip_prefix("region:")
                    .is_some_and(|region| signed_region(&req) == region);
            if !matches {
                return None;
            }
            let n = r.hits.fetch_add(1, Ordering::SeqCst);
            if n < r.times {
                Some(r.fault)
            } else {
                r.hits.fetch_sub(1, Ordering::SeqCst);
                None
            }
        });
        let response = match fault {
            Some(Fault::Drop) => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Throttle) => throttle(&req),
            Some(Fault::Recorded(body)) => Some(Message {
                start: "HTTP/1.1 200 OK".into(),
                headers: vec![(
                    "Content-Type".into(),
                    if body.starts_with('<') {
                        "text/xml"
                    } else {
                        "application/json"
                    }
                    .into(),
                )],
                body: body.as_bytes().to_vec(),
            }),
            Some(Fault::RecordedCbor(json)) => {
                let mut body = Vec::new();
                cbor(
                    &serde_json::from_str(json).expect("a recorded answer is JSON"),
                    &mut body,
                );
                Some(Message {
                    start: "HTTP/1.1 200 OK".into(),
                    headers: vec![
                        ("Content-Type".into(), "application/cbor".into()),
                        ("smithy-protocol".into(), "rpc-v2-cbor".into()),
                    ],
                    body,
                })
            }
            Some(Fault::ServerError) => {
                error_response(500, "InternalError", "injected server error", &req)
            }
            Some(Fault::Slow(d)) => {
                thread::sleep(d);
                forward(&mut req, upstream)
            }
            None => match answer(
                &op,
                &signed_region(&req),
                &String::from_utf8_lossy(&req.body),
            ) {
                Some(body) => Some(Message {
                    start: "HTTP/1.1 200 OK".into(),
                    headers: vec![("Content-Type".into(), "application/x-amz-json-1.1".into())],
                    body: body.into_bytes(),
                }),
                None => forward(&mut req, upstream),
            },
        };
        let Some(mut response) = response else {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        };
        // moto's answers are corrected; a recorded answer is given exactly as written.
        if !matches!(fault, Some(Fault::Recorded(_) | Fault::RecordedCbor(_))) {
            correct(&op, &mut response);
        }
        response.set_header("Content-Length", &response.body.len().to_string());
        response.set_header("Connection", "keep-alive");
        if response.write(&mut writer).is_err() {
            return;
        }
    }
}

fn forward(req: &mut Message, upstream: u16) -> Option<Message> {
    let mut conn = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
    req.set_header("Connection", "close");
    req.write(&mut conn).ok()?;
    let mut reader = BufReader::new(conn);
    read_message(&mut reader, true)
}

fn is_query_protocol(req: &Message) -> bool {
    req.header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

fn error_response(status: u16, code: &str, message: &str, req: &Message) -> Option<Message> {
    let reason = match status {
        400 => "Bad Request",
        500 => "Internal Server Error",
        _ => "Service Unavailable",
    };
    let (content_type, body) = if req.header("x-amz-target").is_some() {
        (
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
        )
    } else if is_ec2(req) {
        // EC2's query protocol has its own error envelope.
        (
            "text/xml",
            format!(
                "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>fault</RequestID></Response>"
            ),
        )
    } else if is_query_protocol(req) {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
            ),
        )
    } else {
        (
            "application/xml",
            format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>"),
        )
    };
    Some(Message {
        start: format!("HTTP/1.1 {status} {reason}"),
        headers: vec![
            ("Content-Type".into(), content_type.into()),
            ("x-amzn-ErrorType".into(), code.into()),
        ],
        body: body.into_bytes(),
    })
}

/// EC2 speaks its own dialect of the query protocol (API version 2016-11-15).
fn is_ec2(req: &Message) -> bool {
    is_query_protocol(req) && String::from_utf8_lossy(&req.body).contains("Version=2016-11-15")
}

fn throttle(req: &Message) -> Option<Message> {
    if is_ec2(req) {
        error_response(503, "RequestLimitExceeded", "Request limit exceeded.", req)
    } else if req.header("x-amz-target").is_some() {
        error_response(400, "ThrottlingException", "Rate exceeded", req)
    } else if is_query_protocol(req) {
        error_response(400, "Throttling", "Rate exceeded", req)
    } else {
        error_response(503, "SlowDown", "Please reduce your request rate.", req)
    }
}

/// Corrections of moto 5.2.5's answers, so that plumb is tested against the AWS wire format.
fn correct(op: &str, response: &mut Message) {
    match op {
        // S3 GetBucketVersioning: moto names the XML root after the operation
        // (`<GetBucketVersioningResponse>`); S3 answers `<VersioningConfiguration>`, and the
        // SDK rejects any other root.
        "s3:GET:versioning" => {
            let body = String::from_utf8_lossy(&response.body).into_owned();
            if body.contains("GetBucketVersioningResponse") {
                response.body = body
                    .replace("<GetBucketVersioningResponse", "<VersioningConfiguration")
                    .replace(
                        "</GetBucketVersioningResponse>",
                        "</VersioningConfiguration>",
                    )
                    .into_bytes();
            }
        }
        // IAM GetAccountAuthorizationDetails: moto leaves `PolicyName` (and `PolicyId`) out of
        // each managed policy; IAM always sends them. Added from the policy's ARN.
        "GetAccountAuthorizationDetails" => {
            let body = String::from_utf8_lossy(&response.body).into_owned();
            let mut fixed = String::with_capacity(body.len());
            for (i, piece) in body.split("<Arn>").enumerate() {
                if i > 0 {
                    fixed.push_str("<Arn>");
                }
                fixed.push_str(piece);
                let arn = piece.split("</Arn>").next().unwrap_or_default();
                let named = piece.contains("<PolicyName>");
                if i > 0 && arn.contains(":policy/") && !named {
                    let name = arn.rsplit('/').next().unwrap_or(arn);
                    let at = fixed.len() - piece.len() + arn.len() + "</Arn>".len();
                    fixed.insert_str(
                        at,
                        &format!("<PolicyName>{name}</PolicyName><PolicyId>ANPA{name}</PolicyId>"),
                    );
                }
            }
            response.body = fixed.into_bytes();
        }
        // AWS Config BatchGetResourceConfig: moto writes timestamps as Python strings
        // (`2026-11-27 08:43:21.6+00:00`); the JSON protocol carries epoch seconds, and the
        // SDK rejects strings.
        "BatchGetResourceConfig" | "BatchGetAggregateResourceConfig" => {
            if let Ok(mut doc) = serde_json::from_slice::<Value>(&response.body) {
                if let Some(items) = doc
                    .get_mut("baseConfigurationItems")
                    .and_then(Value::as_array_mut)
                {
                    for item in items {
                        for field in [
                            "configurationItemCaptureTime",
                            "resourceCreationTime",
                            "configurationItemDeliveryTime",
                        ] {
                            if let Some(Value::String(s)) = item.get(field) {
                                let epoch = python_time_to_epoch(s);
                                item[field] = epoch.map_or(Value::Null, |e| serde_json::json!(e));
                            }
                        }
                    }
                }
                response.body = serde_json::to_vec(&doc).expect("JSON serialises");
            }
        }
        _ => {}
    }
}

/// `2026-11-27 08:43:21.6+00:00` (Python's `str(datetime)`) as epoch seconds.
fn python_time_to_epoch(s: &str) -> Option<f64> {
    let t = s.replace(' ', "T");
    epoch_seconds(&t)
}

fn epoch_seconds(t: &str) -> Option<f64> {
    // Date and time fields; fractions and an offset are optional. Offsets other than UTC are
    // not produced by moto.
    let (date, rest) = t.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = rest.trim_end_matches("+00:00").trim_end_matches('Z');
    let mut parts = time.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let min: f64 = parts.next()?.parse().ok()?;
    let sec: f64 = parts.next().unwrap_or("0").parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = if y2 >= 0 { y2 } else { y2 - 399 } / 400;
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86_400.0 + h * 3600.0 + min * 60.0 + sec)
}

// ---------------------------------------------------------------- recorded answers

/// A loopback server answering from recorded responses, for APIs moto does not implement.
/// `answer(operation, request body)` gives (status, content type, body).
pub struct Recorded {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Recorded {
    pub fn start<F>(answer: F) -> Recorded
    where
        F: Fn(&str, &str) -> (u16, String, String) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let answer = Arc::new(answer);
        {
            let stop = stop.clone();
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let answer = answer.clone();
                    thread::spawn(move || {
                        let Ok(mut writer) = conn.try_clone() else {
                            return;
                        };
                        let mut reader = BufReader::new(conn);
                        while let Some(req) = read_message(&mut reader, false) {
                            let op = operation(&req);
                            let (status, content_type, body) =
                                answer(&op, &String::from_utf8_lossy(&req.body));
                            let response = Message {
                                start: format!("HTTP/1.1 {status} OK"),
                                headers: vec![
                                    ("Content-Type".into(), content_type),
                                    ("Content-Length".into(), body.len().to_string()),
                                    ("x-amzn-RequestId".into(), "recorded".into()),
                                ],
                                body: body.into_bytes(),
                            };
                            if response.write(&mut writer).is_err() {
                                return;
                            }
                        }
                    });
                }
            });
        }
        Recorded { port, stop }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

// ---------------------------------------------------------------- CloudTrail event history

/// A recorded CloudTrail event history, served for `LookupEvents`, which moto does not
/// implement. Answers follow the real API: JSON 1.1, `StartTime`/`EndTime` in epoch seconds
/// bounding `EventTime`, the `ReadOnly` lookup attribute filtering, pages of `MaxResults`
/// (capped at `page` to exercise `NextToken`), each event's `CloudTrailEvent` a JSON string,
/// and each region answering with the events recorded in it.
pub struct Trail {
    /// (region the event is recorded in, the `Events[]` element).
    events: Vec<(String, Value)>,
    page: usize,
    /// Every request: (region, body as JSON, when it arrived).
    pub requests: Mutex<Vec<(String, Value, Instant)>>,
}

impl Trail {
    pub fn new(events: Vec<(String, Value)>, page: usize) -> Arc<Trail> {
        Arc::new(Trail {
            events,
            page,
            requests: Mutex::new(Vec::new()),
        })
    }

    /// The proxy hook serving this history.
    pub fn answer(self: &Arc<Self>) -> Answer {
        let trail = self.clone();
        Arc::new(move |op: &str, region: &str, body: &str| {
            (op == "LookupEvents").then(|| trail.lookup(region, body))
        })
    }

    fn lookup(&self, region: &str, body: &str) -> String {
        let req: Value = serde_json::from_str(body).expect("LookupEvents sends JSON");
        self.requests
            .lock()
            .unwrap()
            .push((region.to_string(), req.clone(), Instant::now()));
        let start = req["StartTime"].as_f64().unwrap_or(f64::MIN);
        let end = req["EndTime"].as_f64().unwrap_or(f64::MAX);
        let read_only = req["LookupAttributes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["AttributeKey"] == "ReadOnly")
            .and_then(|a| a["AttributeValue"].as_str().map(str::to_string));
        // Newest first, as CloudTrail answers.
        let mut matching: Vec<&Value> = self
            .events
            .iter()
            .filter(|(r, _)| r == region)
            .map(|(_, e)| e)
            .filter(|e| {
                let t = e["EventTime"].as_f64().unwrap();
                t >= start && t <= end
            })
            .filter(|e| read_only.as_deref().is_none_or(|v| e["ReadOnly"] == v))
            .collect();
        matching.sort_by(|a, b| {
            b["EventTime"]
                .as_f64()
                .partial_cmp(&a["EventTime"].as_f64())
                .unwrap()
        });
        let size = req["MaxResults"]
            .as_u64()
            .map_or(self.page, |m| (m as usize).min(self.page));
        let from: usize = req["NextToken"]
            .as_str()
            .map_or(0, |t| t.trim_start_matches("page-").parse().unwrap());
        let page: Vec<&Value> = matching.iter().skip(from).take(size).copied().collect();
        let mut answer = serde_json::json!({ "Events": page });
        if from + size < matching.len() {
            answer["NextToken"] = Value::String(format!("page-{}", from + size));
        }
        answer.to_string()
    }
}

/// One recorded `LookupEvents` event. `identity` is the `userIdentity` document; `request`
/// the `requestParameters` (kept in the recording, as CloudTrail does, to prove plumb drops
/// them).
pub struct Recording<'a> {
    pub id: &'a str,
    pub time: chrono::DateTime<chrono::Utc>,
    pub name: &'a str,
    pub source: &'a str,
    pub region: &'a str,
    pub identity: Value,
    pub resources: &'a [(&'a str, &'a str)],
    pub request: Value,
    pub read_only: bool,
}

impl Recording<'_> {
    /// The `Events[]` element of a `LookupEvents` answer.
    pub fn event(&self) -> (String, Value) {
        let time = self.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let document = serde_json::json!({
            "eventVersion": "1.09",
            "userIdentity": self.identity,
            "eventTime": time,
            "eventSource": self.source,
            "eventName": self.name,
            "awsRegion": self.region,
            "sourceIPAddress": "203.0.113.10",
            "userAgent": "aws-cli/2.15.0 Python/3.11",
            "requestParameters": self.request,
            "responseElements": null,
            "requestID": format!("req-{}", self.id),
            "eventID": self.id,
            "readOnly": self.read_only,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": "123456789012",
            "eventCategory": "Management",
        });
        let username = self.identity["userName"]
            .as_str()
            .or_else(|| {
                self.identity["arn"]
                    .as_str()
                    .and_then(|a| a.rsplit('/').next())
            })
            .unwrap_or("");
        (
            self.region.to_string(),
            serde_json::json!({
                "EventId": self.id,
                "EventName": self.name,
                "ReadOnly": self.read_only.to_string(),
                "AccessKeyId": "ASIAEXAMPLE",
                "EventTime": self.time.timestamp() as f64,
                "EventSource": self.source,
                "Username": username,
                "Resources": self.resources.iter().map(|(t, n)| serde_json::json!({
                    "ResourceType": t, "ResourceName": n
                })).collect::<Vec<_>>(),
                "CloudTrailEvent": document.to_string(),
            }),
        )
    }
}

/// `userIdentity` of an IAM user.
pub fn iam_user(name: &str) -> Value {
    serde_json::json!({
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE",
        "arn": format!("arn:aws:iam::123456789012:user/{name}"),
        "accountId": "123456789012",
        "accessKeyId": "AKIAEXAMPLE",
        "userName": name,
    })
}

/// `userIdentity` of an assumed-role session.
pub fn assumed_role(role: &str, session: &str) -> Value {
    serde_json::json!({
        "type": "AssumedRole",
        "principalId": format!("AROAEXAMPLE:{session}"),
        "arn": format!("arn:aws:sts::123456789012:assumed-role/{role}/{session}"),
        "accountId": "123456789012",
        "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLE",
                "arn": format!("arn:aws:iam::123456789012:role/{role}"),
                "accountId": "123456789012",
                "userName": role,
            },
            "attributes": {"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"},
        },
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn python_times_become_epoch_seconds() {
        assert_eq!(
            super::python_time_to_epoch("1970-01-02 00:00:01.5+00:00"),
            Some(86_401.5)
        );
    }
}
