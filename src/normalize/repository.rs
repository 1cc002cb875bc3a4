//! Facet derivers for what an application repository holds besides infrastructure: the
//! Dockerfiles its images are built from and its GitHub Actions workflows.
//!
//! Dockerfiles follow the Dockerfile reference (docs.docker.com/reference/dockerfile/): a
//! stage built `FROM` an earlier stage inherits its `USER`, `HEALTHCHECK` and `EXPOSE`;
//! `ARG`s declared before the first `FROM` substitute into `FROM` lines. Workflows follow
//! GitHub's workflow syntax and its security hardening guide (pin actions to a full commit
//! SHA; `pull_request_target` runs with the base repository's secrets, so checking out the
//! pull request's head there runs untrusted code with them).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Derive;
use super::facets::Setter;
use super::kinds::Kind;
use super::kubernetes::{image_reference, image_registry};

/// The kinds of this module.
pub(super) const KINDS: &[Kind] = &[
    Kind::repository(
        "dockerfile",
        dockerfile,
        "a build recipe in the repository, not a running resource",
    )
    .facets(&[&[
        "stages",
        "multi_stage",
        "base_images",
        "undigested_base_images",
        "unversioned_base_images",
        "final_user",
        "runs_as_root",
        "compiles",
        "healthcheck",
        "exposed_ports",
        "secret_vars",
        "remote_adds",
        "unpinned_packages",
    ]])
    .attributes(&[
        ("runs_as_root", "/final_stage/user"),
        ("final_user", "/final_stage/user"),
        ("healthcheck", "/final_stage"),
        ("multi_stage", "/final_stage"),
    ]),
    Kind::repository(
        "github_workflow",
        workflow,
        "a CI workflow file in the repository",
    )
    .facets(&[&[
        "triggers",
        "permissions_declared",
        "jobs_without_permissions",
        "write_all",
        "unpinned_actions",
        "pr_head_checkouts",
        "secrets_echoed",
        "secrets_to_unpinned_actions",
        "deploy_jobs",
        "ungated_deploy_jobs",
    ]]),
];

/// One stage of a Dockerfile, as its instructions leave it.
#[derive(Default, Clone)]
struct Stage {
    name: String,
    user: Option<String>,
    healthcheck: Option<bool>,
    expose: Vec<String>,
}

fn instructions<'a>(d: &Derive<'a>) -> Vec<&'a Value> {
    d.r.attrs
        .get("instructions")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn line(v: &Value) -> i64 {
    v.get("line").and_then(Value::as_i64).unwrap_or(0)
}

/// Substitutes `$NAME` and `${NAME}` (and `${NAME:-default}`) from `args`; `None` when a
/// variable has no value.
fn substitute(s: &str, args: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let (name, default, len) = if let Some(body) = rest.strip_prefix('{') {
            let end = body.find('}')?;
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            (name, default, end + 2)
        } else {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (&rest[..len], None, len)
        };
        match args.get(name).filter(|v| !v.is_empty()) {
            Some(v) => out.push_str(v),
            None => out.push_str(default?),
        }
        rest = &rest[len..];
    }
    out.push_str(rest);
    Some(out)
}

/// Build tools whose output is a compiled artefact.
const COMPILERS: &[&str] = &[
    "go build",
    "go install",
    "cargo build",
    "cargo install",
    "mvn",
    "mvnw",
    "gradle",
    "gradlew",
    "javac",
    "gcc",
    "g++",
    "make",
    "cmake",
    "dotnet publish",
    "dotnet build",
    "npm run build",
    "yarn build",
    "pnpm build",
    "tsc",
    "rustc",
];

fn dockerfile(d: &Derive<'_>, f: &mut Setter<'_>) {
    let all = instructions(d);
    let mut global_args: BTreeMap<String, String> = BTreeMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut bases = Vec::new();
    let mut bases_known = true;
    let mut secrets = Vec::new();
    let mut remote = Vec::new();
    let mut unpinned = Vec::new();
    let mut compiles = false;
    for i in &all {
        let keyword = text(i, "instruction");
        let stage = i.get("stage").and_then(Value::as_i64).unwrap_or(-1);
        if let Some(vars) = i.get("vars").and_then(Value::as_array) {
            for v in vars {
                if v.get("secret").and_then(Value::as_bool) == Some(true) {
                    secrets.push(json!({
                        "name": text(v, "name"),
                        "instruction": keyword,
                        "line": line(i),
                    }));
                }
                if keyword == "ARG" && stage < 0 {
                    global_args.insert(text(v, "name").into(), text(v, "value").into());
                }
            }
        }
        let current = usize::try_from(stage).ok();
        match keyword {
            "FROM" => {
                let raw = text(i, "image");
                let image = substitute(raw, &global_args);
                let from_stage = image.as_deref().and_then(|img| {
                    let lower = img.to_lowercase();
                    stages
                        .iter()
                        .position(|s| s.name == lower && !s.name.is_empty())
                });
                let mut s = Stage {
                    name: text(i, "name").to_string(),
                    ..Stage::default()
                };
                if let Some(p) = from_stage {
                    let parent = stages[p].clone();
                    s.user = parent.user;
                    s.healthcheck = parent.healthcheck;
                    s.expose = parent.expose;
                } else {
                    match image {
                        Some(img) if img == "scratch" => {}
                        Some(img) => {
                            let (tag, digest) = image_reference(&img);
                            bases.push(json!({
                                "image": img,
                                "registry": image_registry(&img),
                                "tag": tag,
                                "digest": digest,
                                "stage": stage,
                                "line": line(i),
                            }));
                        }
                        None => bases_known = false,
                    }
                }
                stages.push(s);
            }
            "USER" => {
                if let Some(s) = current.and_then(|c| stages.get_mut(c)) {
                    s.user = Some(text(i, "args").trim().to_string());
                }
            }
            "HEALTHCHECK" => {
                if let Some(s) = current.and_then(|c| stages.get_mut(c)) {
                    let none = text(i, "args").trim().eq_ignore_ascii_case("none");
                    s.healthcheck = Some(!none);
                }
            }
            "EXPOSE" => {
                if let Some(s) = current.and_then(|c| stages.get_mut(c)) {
                    s.expose
                        .extend(text(i, "args").split_whitespace().map(String::from));
                }
            }
            "ADD" => {
                let words: Vec<&str> = text(i, "args")
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                if let Some((_, sources)) = words.split_last() {
                    for s in sources {
                        let s = s.trim_matches(['"', '[', ']', ',']);
                        if s.starts_with("http://")
                            || s.starts_with("https://")
                            || s.starts_with("git@")
                        {
                            remote.push(json!({"source": s, "line": line(i)}));
                        }
                    }
                }
            }
            "RUN" => {
                let mut command = text(i, "args").to_string();
                for h in i
                    .get("heredocs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    command.push('\n');
                    command.push_str(h.as_str().unwrap_or(""));
                }
                let words: Vec<&str> = command
                    .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')'))
                    .filter(|w| !w.is_empty())
                    .collect();
                let padded = format!(" {} ", words.join(" "));
                compiles |= COMPILERS.iter().any(|c| padded.contains(&format!(" {c} ")));
                for (manager, package) in unpinned_packages(&command) {
                    unpinned.push(json!({"manager": manager, "package": package, "line": line(i)}));
                }
            }
            _ => {}
        }
    }
    let final_stage = stages.last().cloned().unwrap_or_default();
    f.set("stages", Some(stages.len() as i64));
    f.set("multi_stage", Some(stages.len() > 1));
    let undigested: Vec<Value> = bases
        .iter()
        .filter(|b| b["digest"] == "")
        .cloned()
        .collect();
    let unversioned: Vec<Value> = undigested
        .iter()
        .filter(|b| b["tag"] == "" || b["tag"] == "latest")
        .cloned()
        .collect();
    f.set("base_images", bases_known.then_some(Value::Array(bases)));
    f.set(
        "undigested_base_images",
        bases_known.then_some(Value::Array(undigested)),
    );
    f.set(
        "unversioned_base_images",
        bases_known.then_some(Value::Array(unversioned)),
    );
    let user = final_stage.user.clone().unwrap_or_default();
    f.set("final_user", Some(user.clone()));
    let root = if user.contains('$') {
        None
    } else {
        let name = user.split(':').next().unwrap_or("");
        Some(matches!(name, "" | "root" | "0"))
    };
    f.set("runs_as_root", root);
    f.set("compiles", Some(compiles));
    f.set("healthcheck", Some(final_stage.healthcheck == Some(true)));
    f.set("exposed_ports", Some(final_stage.expose));
    f.set("secret_vars", Some(Value::Array(secrets)));
    f.set("remote_adds", Some(Value::Array(remote)));
    f.set("unpinned_packages", Some(Value::Array(unpinned)));
}

/// The packages a shell command installs without pinning a version: `apt-get install x`
/// (pinned: `x=1.2`), `apk add x` (`x=1.2`), `pip install x` (`x==1.2`), `npm install x`
/// (`x@1.2`). Words holding a variable are not judged; `npm install` / `npm ci` without
/// names install the lockfile's versions.
pub(super) fn unpinned_packages(command: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for segment in command.split(['\n', ';', '|', '&']) {
        let words: Vec<&str> = segment.split_whitespace().collect();
        let find = |seq: &[&str]| {
            words
                .windows(seq.len())
                .position(|w| w == seq)
                .map(|p| p + seq.len())
        };
        let (manager, start, takes_value): (&'static str, usize, &[&str]) =
            if let Some(p) = find(&["apt-get", "install"]).or_else(|| find(&["apt", "install"])) {
                ("apt", p, &["-o", "-t", "--target-release"])
            } else if let Some(p) = find(&["apk", "add"]) {
                ("apk", p, &["-t", "--virtual", "-X", "--repository"])
            } else if let Some(p) = find(&["pip", "install"])
                .or_else(|| find(&["pip3", "install"]))
                .or_else(|| find(&["-m", "pip", "install"]))
            {
                (
                    "pip",
                    p,
                    &[
                        "-r",
                        "--requirement",
                        "-c",
                        "--constraint",
                        "-e",
                        "--editable",
                        "-i",
                        "--index-url",
                        "--extra-index-url",
                        "-t",
                        "--target",
                        "-f",
                        "--find-links",
                    ],
                )
            } else if let Some(p) = find(&["npm", "install"])
                .or_else(|| find(&["npm", "i"]))
                .or_else(|| find(&["npm", "add"]))
                .or_else(|| find(&["yarn", "add"]))
                .or_else(|| find(&["pnpm", "add"]))
            {
                ("npm", p, &["--prefix", "--registry"])
            } else {
                continue;
            };
        let mut skip = false;
        for w in &words[start..] {
            if skip {
                skip = false;
                continue;
            }
            if w.starts_with('-') {
                skip = takes_value.contains(w);
                continue;
            }
            let w = w.trim_matches(['"', '\'']);
            if w.is_empty()
                || w.contains('$')
                || w.starts_with(['.', '/', '~'])
                || w.contains("://")
            {
                continue;
            }
            let pinned = match manager {
                "apt" | "apk" => w.contains('='),
                "pip" => {
                    w.contains("==")
                        || w.contains('@')
                        || w.ends_with(".whl")
                        || w.ends_with(".tar.gz")
                }
                _ => w.rfind('@').is_some_and(|at| at > 0),
            };
            if !pinned {
                out.push((manager, w.to_string()));
            }
        }
    }
    out
}

/// Whether a `uses:` reference is pinned immutably: a full 40-hex commit SHA, a Docker image
/// by digest, or an action in the same repository (`./`).
fn pinned(uses: &str) -> bool {
    if uses.starts_with("./") {
        return true;
    }
    if let Some(image) = uses.strip_prefix("docker://") {
        return image.contains("@sha256:");
    }
    uses.rsplit_once('@')
        .is_some_and(|(_, r)| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn owner(uses: &str) -> String {
    if uses.starts_with("./") || uses.starts_with("docker://") {
        return String::new();
    }
    uses.split('/').next().unwrap_or("").to_lowercase()
}

/// Steps that deploy: commands and actions that change an environment.
const DEPLOY_COMMANDS: &[&str] = &[
    "kubectl apply",
    "kubectl rollout",
    "kubectl set image",
    "helm upgrade",
    "helm install",
    "terraform apply",
    "terraform destroy",
    "aws ecs update-service",
    "aws deploy ",
    "aws cloudformation deploy",
    "cdk deploy",
    "serverless deploy",
    "sls deploy",
    "argocd app sync",
    "flyctl deploy",
    "gcloud run deploy",
];

const DEPLOY_ACTIONS: &[&str] = &[
    "aws-actions/amazon-ecs-deploy-task-definition",
    "azure/webapps-deploy",
    "azure/k8s-deploy",
    "google-github-actions/deploy-cloudrun",
    "hashicorp/tfc-workflows-github",
];

fn workflow(d: &Derive<'_>, f: &mut Setter<'_>) {
    let a = &d.r.attrs;
    let line_of = |pointer: &str| d.r.attr_line(pointer).map_or(0, i64::from);
    let triggers: Vec<String> = match a.get("on") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let is_write_all = |v: Option<&Value>| v.and_then(Value::as_str) == Some("write-all");
    let top_permissions = a.get("permissions").filter(|v| !v.is_null());
    let mut write_all = Vec::new();
    if is_write_all(top_permissions) {
        write_all.push(json!({"job": "", "line": line_of("/permissions")}));
    }
    let mut unset = Vec::new();
    let mut unpinned = Vec::new();
    let mut pr_head = Vec::new();
    let mut echoed = Vec::new();
    let mut to_unpinned = Vec::new();
    let mut ungated = Vec::new();
    let mut deploy_jobs = Vec::new();
    let target = triggers.iter().any(|t| t == "pull_request_target");
    let empty = serde_json::Map::new();
    let jobs = a.get("jobs").and_then(Value::as_object).unwrap_or(&empty);
    for (id, job) in jobs {
        let esc = id.replace('~', "~0").replace('/', "~1");
        let job_pointer = format!("/jobs/{esc}");
        let permissions = job.get("permissions").filter(|v| !v.is_null());
        if is_write_all(permissions) {
            write_all
                .push(json!({"job": id, "line": line_of(&format!("{job_pointer}/permissions"))}));
        }
        if top_permissions.is_none() && permissions.is_none() {
            unset.push(json!({"job": id, "line": line_of(&job_pointer)}));
        }
        let mut deploys = id.to_lowercase().contains("deploy")
            || text(job, "name").to_lowercase().contains("deploy");
        // A reusable workflow called as a job.
        let mut uses_list: Vec<(String, String, Option<&Value>, String)> = Vec::new();
        if let Some(uses) = job.get("uses").and_then(Value::as_str) {
            uses_list.push((
                String::new(),
                uses.to_string(),
                job.get("secrets"),
                format!("{job_pointer}/uses"),
            ));
        }
        let steps = job
            .get("steps")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (n, step) in steps.iter().enumerate() {
            let step_pointer = format!("{job_pointer}/steps/{n}");
            let step_name = match step.get("name").and_then(Value::as_str) {
                Some(name) => name.to_string(),
                None => format!("step {}", n + 1),
            };
            if let Some(uses) = step.get("uses").and_then(Value::as_str) {
                if DEPLOY_ACTIONS
                    .iter()
                    .any(|p| uses.to_lowercase().starts_with(p))
                {
                    deploys = true;
                }
                if uses.to_lowercase().starts_with("actions/checkout@") && target {
                    let head = step
                        .pointer("/with/ref")
                        .and_then(Value::as_str)
                        .is_some_and(|r| {
                            r.contains("github.event.pull_request.head")
                                || r.contains("github.head_ref")
                        });
                    if head {
                        pr_head.push(json!({"job": id, "step": step_name, "line": line_of(&format!("{step_pointer}/with/ref"))}));
                    }
                }
                uses_list.push((
                    step_name.clone(),
                    uses.to_string(),
                    step.get("with"),
                    format!("{step_pointer}/uses"),
                ));
                if let Some(env) = step.get("env") {
                    uses_list.push((
                        step_name.clone(),
                        uses.to_string(),
                        Some(env),
                        format!("{step_pointer}/uses"),
                    ));
                }
            }
            if let Some(run) = step.get("run").and_then(Value::as_str) {
                let lower = run.to_lowercase();
                if DEPLOY_COMMANDS.iter().any(|c| lower.contains(c)) {
                    deploys = true;
                }
                let secret_vars: Vec<String> = step
                    .get("env")
                    .and_then(Value::as_object)
                    .map(|env| {
                        env.iter()
                            .filter(|(_, v)| v.as_str().is_some_and(|s| s.contains("secrets.")))
                            .map(|(k, _)| k.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                for (k, l) in run.lines().enumerate() {
                    let words: Vec<&str> = l.split_whitespace().collect();
                    let prints = words
                        .iter()
                        .any(|w| matches!(*w, "echo" | "printf" | "cat" | "print"));
                    let reads_secret = l.contains("secrets.")
                        || secret_vars.iter().any(|v| {
                            l.contains(&format!("${v}")) || l.contains(&format!("${{{v}}}"))
                        });
                    // `echo "::add-mask::..."` hides a value; writing to a file or
                    // GITHUB_ENV/GITHUB_OUTPUT does not print it.
                    let masked = l.contains("::add-mask::") || l.contains('>');
                    if prints && reads_secret && !masked {
                        // A block scalar's line is that of its first line of text.
                        let at = line_of(&format!("{step_pointer}/run"));
                        echoed.push(json!({"job": id, "step": step_name, "line": at + k as i64}));
                    }
                }
            }
        }
        for (step, uses, inputs, pointer) in &uses_list {
            let item = json!({
                "job": id,
                "step": step,
                "uses": uses,
                "owner": owner(uses),
                "line": line_of(pointer),
            });
            if !pinned(uses) {
                let passes_secret = inputs.is_some_and(|v| {
                    v.as_str() == Some("inherit")
                        || v.as_object().is_some_and(|m| {
                            m.values()
                                .any(|x| x.as_str().is_some_and(|s| s.contains("secrets.")))
                        })
                });
                if passes_secret {
                    to_unpinned.push(item.clone());
                }
                if !unpinned.contains(&item) {
                    unpinned.push(item);
                }
            }
        }
        if deploys {
            deploy_jobs.push(Value::String(id.clone()));
            let gated = job.get("environment").is_some_and(|e| !e.is_null());
            if !gated {
                ungated.push(json!({"job": id, "line": line_of(&job_pointer)}));
            }
        }
    }
    f.set("triggers", Some(triggers));
    f.set("permissions_declared", Some(top_permissions.is_some()));
    f.set("jobs_without_permissions", Some(Value::Array(unset)));
    f.set("write_all", Some(Value::Array(write_all)));
    f.set("unpinned_actions", Some(Value::Array(unpinned)));
    f.set("pr_head_checkouts", Some(Value::Array(pr_head)));
    f.set("secrets_echoed", Some(Value::Array(echoed)));
    f.set(
        "secrets_to_unpinned_actions",
        Some(Value::Array(to_unpinned)),
    );
    f.set("deploy_jobs", Some(Value::Array(deploy_jobs)));
    f.set("ungated_deploy_jobs", Some(Value::Array(ungated)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_pins() {
        let got = unpinned_packages(
            "apt-get update && apt-get install -y --no-install-recommends curl=8.5.0-2 git \
             && apk add --no-cache --virtual .deps tini && pip install -r req.txt flask==3.0 requests \
             && npm install -g @angular/cli@17.1.0 typescript && npm ci",
        );
        let names: Vec<String> = got.iter().map(|(m, p)| format!("{m}:{p}")).collect();
        assert_eq!(
            names,
            ["apt:git", "apk:tini", "pip:requests", "npm:typescript"]
        );
    }

    #[test]
    fn pins_and_substitution() {
        assert!(pinned(
            "actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab"
        ));
        assert!(!pinned("actions/checkout@v4"));
        assert!(pinned("./.github/actions/build"));
        assert!(!pinned("docker://alpine:3.20"));
        assert!(pinned("docker://alpine@sha256:abcd"));
        let args = BTreeMap::from([("GO".to_string(), "1.22".to_string())]);
        assert_eq!(
            substitute("golang:${GO}-alpine", &args).as_deref(),
            Some("golang:1.22-alpine")
        );
        assert_eq!(
            substitute("node:${NODE:-20}", &args).as_deref(),
            Some("node:20")
        );
        assert_eq!(substitute("$BASE", &args), None);
    }
}
