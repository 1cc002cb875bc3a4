//! Helm charts: a folder with `Chart.yaml`. Its templates are Go templates, not YAML, so they
//! are never read as manifests; `values.yaml`, `Chart.yaml`, `Chart.lock` and
//! `values.schema.json` are chart metadata, not objects.
//!
//! When `helm` is on `PATH`, `helm template CHART` (with the scan's `--helm-values` and
//! `--helm-set`) renders the chart and the rendered objects are judged. Helm writes a
//! `# Source: CHART/templates/x.yaml` comment above each rendered document; each object
//! points at that template file, at the line of its `kind:` there when one is found. Without
//! `helm` the chart is not scanned: the error says so and gives the command that would scan it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::inventory::{CollectError, Resource, Source};
use crate::yaml::{self, Node, NodeValue};

use super::{Identity, resource};

const COLLECTOR: &str = "helm";

/// Largest rendering read from `helm template`.
const MAX_OUTPUT: u64 = 256 << 20;

/// How charts are rendered.
#[derive(Debug, Clone)]
pub struct HelmOptions {
    /// `--values` files, in order.
    pub values: Vec<PathBuf>,
    /// `--set` assignments (`key=value`), in order.
    pub set: Vec<String>,
    /// The `helm` program (a name looked up on `PATH`, or a path).
    pub program: String,
    /// Longest time one `helm template` may take.
    pub timeout: Duration,
}

impl Default for HelmOptions {
    fn default() -> Self {
        HelmOptions {
            values: Vec::new(),
            set: Vec::new(),
            program: "helm".into(),
            timeout: Duration::from_secs(120),
        }
    }
}

/// Whether `dir` is a chart.
pub fn is_chart(dir: &Path) -> bool {
    dir.join("Chart.yaml").is_file()
}

/// The arguments of `helm template` for `chart`.
fn arguments(chart: &Path, options: &HelmOptions) -> Vec<String> {
    let mut args = vec!["template".to_string(), chart.display().to_string()];
    for v in &options.values {
        args.push("--values".into());
        args.push(v.display().to_string());
    }
    for s in &options.set {
        args.push("--set".into());
        args.push(s.clone());
    }
    args
}

fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders `chart` and reads its objects.
pub fn collect(chart: &Path, options: &HelmOptions) -> Result<Vec<Resource>, CollectError> {
    let error = |message: String| CollectError {
        collector: COLLECTOR.into(),
        scope: chart.join("Chart.yaml").display().to_string(),
        line: None,
        column: None,
        kinds: Vec::new(),
        message,
        warning: false,
    };
    let args = arguments(chart, options);
    let command = format!("helm {}", shell_words(&args));
    let mut child = match Command::new(&options.program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(error(format!(
                "not scanned: Helm chart, and `helm` is not on PATH; install Helm and scan again, or scan the rendering: `{command} > rendered.yaml`"
            )));
        }
        Err(e) => return Err(error(format!("not scanned: cannot run `{command}`: {e}"))),
    };
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(MAX_OUTPUT).read_to_end(&mut text);
            }
            text
        })
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > options.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(error(format!(
                    "not scanned: `{command}` took longer than {} s",
                    options.timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(error(format!("not scanned: `{command}`: {e}"))),
        }
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        let text = String::from_utf8_lossy(&err);
        let first: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(5)
            .collect();
        return Err(error(format!(
            "not scanned: `{command}` failed ({status}): {}",
            first.join(" / ")
        )));
    }
    let text = String::from_utf8(out).map_err(|_| {
        error(format!(
            "not scanned: `{command}` wrote text that is not UTF-8"
        ))
    })?;
    objects(chart, &text)
        .map_err(|(line, message)| error(format!("`{command}` output line {line}: {message}")))
}

/// The objects of a chart's rendering, each pointing at its template.
fn objects(chart: &Path, text: &str) -> Result<Vec<Resource>, (u32, String)> {
    let mut out = Vec::new();
    for (start, chunk) in documents(text) {
        let template = chunk
            .lines()
            .find_map(|l| l.trim().strip_prefix("# Source: "))
            .map(|s| template_path(chart, s.trim()));
        let docs =
            yaml::documents(chunk).map_err(|e| (start + e.line.unwrap_or(1) - 1, e.message))?;
        for doc in docs {
            if matches!(doc.value, NodeValue::Null) {
                continue;
            }
            let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
            let items: Vec<&Node> = match doc.get("items").map(|i| &i.value) {
                Some(NodeValue::Seq(items)) if kind.ends_with("List") => items.iter().collect(),
                _ => vec![&doc],
            };
            for node in items {
                let obj = node.to_json();
                let identity = Identity::of(&obj).map_err(|m| (start + node.line - 1, m))?;
                let path = template.clone().unwrap_or_else(|| chart.join("Chart.yaml"));
                let line = kind_line(&path, &identity.kind).unwrap_or(1);
                let path = path.display().to_string();
                let at = format!("{path}:{line}");
                let source = Source::File {
                    path,
                    start_line: line,
                    end_line: line,
                    module_calls: Vec::new(),
                };
                out.push(resource(obj, &identity, "manifest", source, Some(&at)));
            }
        }
    }
    Ok(out)
}

/// Splits a rendering into its documents, each with the line it starts on.
fn documents(text: &str) -> Vec<(u32, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_end() == "---" {
            out.push((start_line, &text[start..offset]));
            start = offset + line.len();
            start_line = n as u32 + 2;
        }
        offset += line.len();
    }
    out.push((start_line, &text[start..]));
    out.retain(|(_, chunk)| !chunk.trim().is_empty());
    out
}

/// `CHART/templates/x.yaml` (the chart's name first) as a path in the chart's folder.
fn template_path(chart: &Path, source: &str) -> PathBuf {
    match source.split_once('/') {
        Some((_, rest)) => chart.join(rest),
        None => chart.join(source),
    }
}

/// The line of `kind: KIND` in a template, when it is written plainly.
fn kind_line(template: &Path, kind: &str) -> Option<u32> {
    let text = crate::read::text(template, crate::read::Limit::Source).ok()?;
    text.lines()
        .position(|l| {
            l.trim()
                .strip_prefix("kind:")
                .is_some_and(|k| k.trim().trim_matches(['"', '\'']) == kind)
        })
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_map_to_their_templates() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path();
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(
            chart.join("templates/deploy.yaml"),
            "{{- if .Values.on }}\napiVersion: apps/v1\nkind: Deployment\n",
        )
        .unwrap();
        let text = "---\n# Source: app/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\n# Source: app/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n";
        let rs = objects(chart, text).unwrap();
        assert_eq!(rs.len(), 2);
        let loc = rs[1].location().unwrap();
        assert!(loc.file.ends_with("templates/deploy.yaml"), "{}", loc.file);
        assert_eq!(loc.start_line, 3);
        assert!(
            rs[0]
                .location()
                .unwrap()
                .file
                .ends_with("templates/svc.yaml")
        );
        let err = objects(chart, "---\napiVersion: v1\nkind: Pod\n").unwrap_err();
        assert_eq!(err, (2, "Pod has no metadata.name".to_string()));
    }

    #[test]
    fn without_helm_the_chart_is_not_scanned() {
        let options = HelmOptions {
            program: "/nonexistent/helm".into(),
            values: vec!["prod.yaml".into()],
            set: vec!["image.tag=1 2".into()],
            ..HelmOptions::default()
        };
        let err = collect(Path::new("charts/app"), &options).unwrap_err();
        assert!(err.message.starts_with("not scanned:"), "{}", err.message);
        assert!(
            err.message
                .contains("helm template charts/app --values prod.yaml --set 'image.tag=1 2'"),
            "{}",
            err.message
        );
        assert_eq!(err.scope, "charts/app/Chart.yaml");
    }
}
