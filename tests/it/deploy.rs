//! The container image and the nightly job manifest that ship with the repository.

use crate::common;

use common::*;

#[test]
fn the_nightly_job_manifest_passes_the_built_in_policies() {
    let out = plumb(&["scan", "deploy/cronjob.yaml"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("0 failed"), "{}", stdout(&out));
}

#[test]
fn the_job_runs_the_nightly_commands_as_the_image_user_with_the_store_on_a_volume() {
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let job = std::fs::read_to_string(root().join("deploy/cronjob.yaml")).unwrap();
    // The image runs as uid 10001 in /data; the job asks for that user and mounts the store there.
    assert!(dockerfile.contains("USER 10001:10001"));
    assert!(dockerfile.contains("WORKDIR /data"));
    assert!(job.contains("runAsUser: 10001"));
    assert!(job.contains("mountPath: /data"));
    assert!(job.contains("claimName: plumb-store"));
    // The binary the build stage makes is the one the runtime stage copies.
    assert!(dockerfile.contains("cargo build --release --locked --bin plumb"));
    assert!(
        dockerfile.contains("COPY --from=build /src/target/release/plumb /usr/local/bin/plumb")
    );
    for command in [
        "plumb collect aws --store",
        "plumb drift --from previous --to latest",
    ] {
        assert!(job.contains(command), "{command}");
    }
    assert!(job.contains("--format html=drift.html"));
    // Every command the job runs exists in this build (collect arrives with the AWS collector).
    for args in [["history", "--help"], ["drift", "--help"]] {
        assert_eq!(code(&plumb(&args)), 0);
    }
}

/// The fleet manifest's documents as JSON, by kind and name.
fn fleet() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(root().join("deploy/fleet.yaml")).unwrap();
    plumb::yaml::documents(&text)
        .expect("deploy/fleet.yaml parses")
        .iter()
        .map(|d| d.to_json())
        .collect()
}

fn find<'a>(docs: &'a [serde_json::Value], kind: &str, name: &str) -> &'a serde_json::Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in deploy/fleet.yaml"))
}

#[test]
fn the_fleet_manifest_passes_the_built_in_policies() {
    let out = plumb(&["scan", "deploy/fleet.yaml"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains(" 0 failed"), "{}", stdout(&out));
}

#[test]
fn the_fleet_runs_one_completion_per_listed_account_then_the_organisation_report() {
    let docs = fleet();
    let accounts = find(&docs, "ConfigMap", "plumb-accounts")["data"]["accounts"]
        .as_str()
        .unwrap()
        .to_string();
    let lines: Vec<Vec<&str>> = accounts
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(!lines.is_empty());
    let arn = regex::Regex::new(r"^arn:aws:iam::\d{12}:role/[\w+=,.@-]+$").unwrap();
    let mut scopes = std::collections::BTreeSet::new();
    for line in &lines {
        assert_eq!(line.len(), 2, "SCOPE ROLE_ARN: {line:?}");
        assert!(arn.is_match(line[1]), "{}", line[1]);
        assert!(scopes.insert(line[0]), "scope {} listed twice", line[0]);
    }

    let accounts_job = &find(&docs, "CronJob", "plumb-accounts")["spec"]["jobTemplate"]["spec"];
    assert_eq!(accounts_job["completionMode"], "Indexed");
    assert_eq!(
        accounts_job["completions"].as_u64(),
        Some(lines.len() as u64),
        "one completion per account"
    );
    let pod = &accounts_job["template"]["spec"];
    let script = pod["containers"][0]["args"][0].as_str().unwrap();
    assert!(script.contains("JOB_COMPLETION_INDEX + 1"), "{script}");
    assert!(
        script.contains(r#"plumb collect aws --role-arn "$2" --store --scope "$1""#),
        "{script}"
    );
    let report_job = &find(&docs, "CronJob", "plumb-org-report")["spec"]["jobTemplate"]["spec"];
    let report = report_job["template"]["spec"]["containers"][0]["args"][0]
        .as_str()
        .unwrap();
    assert!(
        report.contains("plumb report --org --since 24h"),
        "{report}"
    );
    assert!(
        report.contains("plumb drift --since 24h --fail-on breaking"),
        "{report}"
    );
    // The report runs after the accounts: a later hour of the same night.
    let hour = |name: &str| -> u32 {
        find(&docs, "CronJob", name)["spec"]["schedule"]
            .as_str()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(hour("plumb-org-report") > hour("plumb-accounts"));

    // Writers and the reader connect with their own credentials, read from the Secret's
    // files: neither URL nor password is in a pod's environment.
    let secret = &find(&docs, "Secret", "plumb-store")["stringData"];
    for (job, role) in [(pod, "writer"), (&report_job["template"]["spec"], "reader")] {
        let script = job["containers"][0]["args"][0].as_str().unwrap();
        assert!(
            script.contains(&format!("/etc/plumb/store/{role}-url")),
            "{script}"
        );
        assert!(
            script.contains(&format!("/etc/plumb/store/{role}-password")),
            "{script}"
        );
        assert!(
            job["containers"][0]["env"].is_null()
                || !job["containers"][0]["env"]
                    .to_string()
                    .contains("PGPASSWORD")
        );
        let url = secret[format!("{role}-url")].as_str().unwrap();
        assert!(
            url.starts_with(&format!("postgres://plumb_{role}@")),
            "{url}"
        );
        assert!(url.contains("sslmode=verify-full"), "{url}");
        assert!(!url.contains(":REPLACE"), "no password in the URL: {url}");
    }
    // The database is reachable through the network policy.
    let policy = find(&docs, "NetworkPolicy", "plumb-fleet").to_string();
    assert!(policy.contains("5432"));

    // Every flag the fleet uses exists in this build (collect arrives with the AWS collector).
    for (args, flag) in [
        (["report", "--help"], "--org"),
        (["drift", "--help"], "--since"),
        (["history", "--help"], "--all-scopes"),
        (["scan", "--help"], "--scope"),
    ] {
        let out = plumb(&args);
        assert!(
            stdout(&out).contains(flag),
            "plumb {} has no {flag}",
            args[0]
        );
    }
}

/// One YAML file of the repository as JSON.
fn yaml_file(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let docs = plumb::yaml::documents(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(docs.len(), 1, "{path}: one document");
    docs[0].to_json()
}

/// The README's workflow (the block after `# .github/workflows/plumb.yml`) as JSON.
fn readme_workflow() -> serde_json::Value {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("```yaml\n# .github/workflows/plumb.yml\n")
        .expect("the README shows a workflow");
    let block = &readme[start + "```yaml\n".len()..];
    let block = &block[..block.find("```").unwrap()];
    let docs = plumb::yaml::documents(block).unwrap_or_else(|e| panic!("README workflow: {e}"));
    docs[0].to_json()
}

/// Every `uses:` of a workflow's steps, with the job it is in.
fn uses(workflow: &serde_json::Value) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for (job, spec) in workflow["jobs"].as_object().unwrap() {
        for step in spec["steps"].as_array().unwrap() {
            if let Some(u) = step["uses"].as_str() {
                all.push((job.clone(), u.to_string()));
            }
        }
    }
    all
}

/// Third-party actions are pinned to a full commit SHA; one action, one SHA in every file.
fn assert_pinned(file: &str, workflow: &serde_json::Value, pins: &mut BTreeMap<String, String>) {
    let sha = regex::Regex::new(r"^([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@([0-9a-f]{40})$").unwrap();
    for (job, u) in uses(workflow) {
        if u.starts_with("./") || u.starts_with("OWNER/plumb@") {
            continue;
        }
        let caps = sha
            .captures(&u)
            .unwrap_or_else(|| panic!("{file}: job {job}: {u} is not pinned to a commit"));
        let before = pins.insert(caps[1].to_string(), caps[2].to_string());
        assert!(
            before.is_none_or(|b| b == caps[2]),
            "{file}: {} pinned to two commits",
            &caps[1]
        );
    }
}

use std::collections::BTreeMap;

#[test]
fn the_action_runs_the_dockerfile_image_with_every_input_passed_to_its_script() {
    let action = yaml_file("action.yml");
    let runs = &action["runs"];
    assert_eq!(runs["using"], "docker");
    let image = runs["image"].as_str().unwrap();
    assert!(root().join(image).is_file(), "{image}");
    let dockerfile = std::fs::read_to_string(root().join(image)).unwrap();

    // The entry point is the repository's script, copied into the image's last stage (the one
    // the runner builds), which runs as root as container actions must.
    let entrypoint = runs["entrypoint"].as_str().unwrap();
    let copy = regex::Regex::new(r"(?m)^COPY (\S+) (\S+)$").unwrap();
    let stages: Vec<&str> = dockerfile.split("\nFROM ").collect();
    let last = stages.last().unwrap();
    assert!(last.starts_with("runtime AS github-action"), "{last}");
    assert!(last.contains("\nUSER root"), "{last}");
    let script = copy
        .captures_iter(last)
        .find(|c| &c[2] == entrypoint)
        .map(|c| c[1].to_string())
        .unwrap_or_else(|| panic!("the Dockerfile does not copy {entrypoint}"));
    let script_path = root().join(&script);
    assert!(script_path.is_file(), "{script}");
    use std::os::unix::fs::PermissionsExt as _;
    assert!(
        std::fs::metadata(&script_path)
            .unwrap()
            .permissions()
            .mode()
            & 0o111
            != 0,
        "{script} is executable"
    );
    // The nightly image stays unprivileged.
    let runtime = stages.iter().find(|s| s.contains("AS runtime")).unwrap();
    assert!(runtime.contains("\nUSER 10001:10001"), "{runtime}");

    // Every input goes to the script, in the order it reads them, and nothing else does.
    let inputs: Vec<String> = action["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let args: Vec<&str> = runs["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let expected: Vec<String> = ["paths", "formats", "fail-on", "sarif", "summary", "args"]
        .iter()
        .map(|i| format!("${{{{ inputs.{i} }}}}"))
        .collect();
    assert_eq!(args, expected);
    let mut declared = inputs.clone();
    declared.sort();
    let mut passed: Vec<String> = expected
        .iter()
        .map(|a| {
            a.trim_start_matches("${{ inputs.")
                .trim_end_matches(" }}")
                .to_string()
        })
        .collect();
    passed.sort();
    assert_eq!(declared, passed);
    for input in &inputs {
        assert!(
            action["inputs"][input]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{input} has a description"
        );
    }
    let text = std::fs::read_to_string(&script_path).unwrap();
    assert!(text.contains(&format!("expected {} arguments", args.len())));
    for output in action["outputs"].as_object().unwrap().keys() {
        assert!(
            text.contains(&format!("echo \"{output}=")),
            "the script sets {output}"
        );
    }
}

#[test]
fn the_readme_workflow_uses_the_action_as_declared_with_terraform_set_up_and_pinned_actions() {
    let workflow = readme_workflow();
    let action = yaml_file("action.yml");
    let job = &workflow["jobs"]["compliance"];
    let steps = job["steps"].as_array().unwrap();
    let position = |needle: &str| {
        steps
            .iter()
            .position(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(needle)))
            .unwrap_or_else(|| panic!("no step uses {needle}"))
    };
    let scan = position("OWNER/plumb@");
    let terraform = position("hashicorp/setup-terraform@");
    let cache = position("actions/cache@");
    let plan = steps
        .iter()
        .position(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("terraform -chdir=infra plan"))
        })
        .unwrap();
    assert!(terraform < plan && cache < plan && plan < scan);
    // The cache is where Terraform looks for providers.
    assert!(
        steps[plan]["run"]
            .as_str()
            .unwrap()
            .contains("TF_PLUGIN_CACHE_DIR=\"$HOME/.terraform.d/plugin-cache\"")
    );
    assert_eq!(steps[cache]["with"]["path"], "~/.terraform.d/plugin-cache");
    // `terraform show -json` through setup-terraform's wrapper would print more than JSON.
    assert_eq!(steps[terraform]["with"]["terraform_wrapper"], false);

    // What it passes the action is declared there; what it reads back is an output.
    let id = steps[scan]["id"].as_str().unwrap();
    for key in steps[scan]["with"].as_object().unwrap().keys() {
        assert!(
            action["inputs"].get(key).is_some(),
            "input {key} is not declared"
        );
    }
    let reads = regex::Regex::new(&format!(r"steps\.{id}\.outputs\.([\w-]+)")).unwrap();
    let text = workflow.to_string();
    let mut read = 0;
    for caps in reads.captures_iter(&text) {
        assert!(
            action["outputs"].get(&caps[1]).is_some(),
            "output {} is not declared",
            &caps[1]
        );
        read += 1;
    }
    assert!(read >= 2);
    // The reports the later steps use are the ones the scan writes.
    let formats = steps[scan]["with"]["formats"].as_str().unwrap();
    for file in ["plumb.md", "plumb.html", "plumb-junit.xml"] {
        assert!(formats.contains(&format!("={file}")), "{file}");
    }
    // Steps after a failing scan still run.
    for step in &steps[scan + 1..] {
        assert!(
            step["if"]
                .as_str()
                .is_some_and(|c| c.starts_with("always()")),
            "{step}"
        );
    }
    let permissions = &job["permissions"];
    assert_eq!(permissions["security-events"], "write");
    assert_eq!(workflow["permissions"]["contents"], "read");
    assert_pinned("README", &workflow, &mut BTreeMap::new());
}

#[test]
fn the_release_workflow_builds_every_target_and_the_image_from_what_exists() {
    let workflow = yaml_file(".github/workflows/release.yml");
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    // A YAML 1.1 reader takes the bare key `on` for `true`.
    let on = if workflow["on"].is_null() {
        &workflow["true"]
    } else {
        &workflow["on"]
    };
    assert_eq!(on["push"]["tags"][0], "v*");
    assert_eq!(workflow["permissions"]["contents"], "read");
    let jobs = workflow["jobs"].as_object().unwrap();
    let targets: Vec<&str> = workflow["jobs"]["binaries"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "aarch64-apple-darwin",
        "x86_64-apple-darwin",
    ] {
        assert!(targets.contains(&target), "{target}");
    }
    // Jobs wait only for jobs that exist.
    for (name, job) in jobs {
        let needs = match &job["needs"] {
            serde_json::Value::String(one) => vec![one.clone()],
            serde_json::Value::Array(many) => many
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect(),
            _ => vec![],
        };
        for need in needs {
            assert!(jobs.contains_key(&need), "{name} needs {need}");
        }
    }
    // The image is the Dockerfile's runtime stage.
    let build = workflow["jobs"]["image"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("docker/build-push-action@"))
        })
        .unwrap();
    let file = build["with"]["file"].as_str().unwrap();
    assert!(root().join(file).is_file());
    let target = build["with"]["target"].as_str().unwrap();
    assert!(
        dockerfile.contains(&format!(" AS {target}\n")),
        "no stage {target}"
    );
    assert!(
        build["with"]["build-args"]
            .as_str()
            .unwrap()
            .contains("PLUMB_GIT_COMMIT=")
    );
    assert!(dockerfile.contains("ARG PLUMB_GIT_COMMIT"));
    // The commands the packaging runs exist in this build.
    let text = workflow.to_string();
    assert!(text.contains("completions \\\"$shell\\\""));
    assert!(text.contains("man --dir"));
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert_eq!(code(&plumb(&["completions", shell])), 0, "{shell}");
    }
    // Writing jobs say so, and the publishing one runs in an environment.
    assert_eq!(
        workflow["jobs"]["release"]["permissions"]["contents"],
        "write"
    );
    assert_eq!(workflow["jobs"]["release"]["environment"], "release");

    let mut pins = BTreeMap::new();
    assert_pinned("release.yml", &workflow, &mut pins);
    assert_pinned("README", &readme_workflow(), &mut pins);
    assert!(pins.len() >= 8, "{pins:?}");
}

#[test]
fn the_pre_commit_hook_runs_for_terraform_yaml_json_and_dockerfiles() {
    let hooks = yaml_file(".pre-commit-hooks.yaml");
    let hook = &hooks[0];
    assert_eq!(hook["id"], "plumb");
    assert_eq!(hook["entry"], "plumb scan");
    // pre-commit matches `files` with Python's re.search on the path from the repository root;
    // this pattern uses nothing the regex crate reads differently.
    let files = regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();
    for name in [
        "main.tf",
        "infra/modules/vpc/variables.tf",
        "prod.tfvars",
        "infra/prod.auto.tfvars",
        "main.tf.json",
        "prod.tfvars.json",
        "plan.json",
        "terraform.tfstate",
        "k8s/deployment.yaml",
        "chart/values.yml",
        ".github/workflows/ci.yml",
        "Dockerfile",
        "services/api/Dockerfile",
        "Dockerfile.prod",
        "api.Dockerfile",
        "Containerfile",
    ] {
        assert!(files.is_match(name), "{name} should run the hook");
    }
    for name in [
        "main.rs",
        "README.md",
        "tfvars",
        "main.tf.bak",
        "notDockerfile",
        "Dockerfile.d/setup.sh",
        "docs/terraform.txt",
    ] {
        assert!(!files.is_match(name), "{name} should not run the hook");
    }
}

/// A `plumb` on PATH that only pretends: `collect aws --store` stores a snapshot or not and
/// exits as told, `history show latest|previous` answers from the snapshot count, `drift`
/// writes drift.html. Every call is logged.
fn fake_plumb(dir: &Path) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = r#"#!/bin/sh
echo "$*" >> "$FAKE_LOG"
n=$(cat "$FAKE_STATE" 2>/dev/null || echo 0)
case "$1 $2" in
  "collect aws")
    [ "$FAKE_STORES" = yes ] && echo $((n + 1)) > "$FAKE_STATE"
    exit "$FAKE_COLLECT" ;;
  "history show")
    case "$3" in
      latest) [ "$n" -ge 1 ] || exit 2; echo "{\"id\":$n}" ;;
      previous) [ "$n" -ge 2 ] || exit 2; echo "{\"id\":$((n - 1))}" ;;
    esac
    exit 0 ;;
  "drift --from")
    echo "<html>drift to snapshot $n</html>" > drift.html
    exit "$FAKE_DRIFT" ;;
esac
echo "fake plumb: unexpected $*" >&2
exit 99
"#;
    let path = bin.join("plumb");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

struct Night {
    code: i32,
    log: String,
    stderr: String,
    report: Option<String>,
}

/// Runs the CronJob's script with `sh -c` (the image's /bin/sh), as its container does.
fn night(snapshots: u32, collect: i32, stores: bool, drift: i32) -> Night {
    let job = std::fs::read_to_string(root().join("deploy/cronjob.yaml")).unwrap();
    let docs = plumb::yaml::documents(&job).unwrap();
    let cron = docs
        .iter()
        .map(|d| d.to_json())
        .find(|d| d["kind"] == "CronJob")
        .unwrap();
    let container = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["command"][0], "/bin/sh");
    assert_eq!(container["command"][1], "-c");
    let script = container["args"][0].as_str().unwrap().to_string();

    let dir = tempfile::tempdir().unwrap();
    fake_plumb(dir.path());
    let work = dir.path().join("data");
    std::fs::create_dir_all(&work).unwrap();
    let state = dir.path().join("state");
    if snapshots > 0 {
        std::fs::write(&state, snapshots.to_string()).unwrap();
    }
    let log = dir.path().join("log");
    let path = format!(
        "{}:{}",
        dir.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(&script)
        .current_dir(&work)
        .env("PATH", path)
        .env("FAKE_LOG", &log)
        .env("FAKE_STATE", &state)
        .env("FAKE_COLLECT", collect.to_string())
        .env("FAKE_STORES", if stores { "yes" } else { "no" })
        .env("FAKE_DRIFT", drift.to_string())
        .output()
        .unwrap();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!log.contains("unexpected"), "{log}");
    Night {
        code: code(&out),
        log,
        stderr: stderr(&out),
        report: std::fs::read_to_string(work.join("drift.html")).ok(),
    }
}

use std::path::Path;
use std::process::Command;

#[test]
fn a_partial_collection_still_gets_its_drift_report_and_fails_the_night() {
    // One denied API: the snapshot is stored, collect exits 2.
    let n = night(3, 2, true, 0);
    assert_eq!(n.code, 2, "{}", n.stderr);
    assert_eq!(
        n.report.as_deref(),
        Some("<html>drift to snapshot 4</html>\n")
    );
    assert!(
        n.log.contains("drift --from previous --to latest --fail-on breaking --format console --format html=drift.html"),
        "{}",
        n.log
    );
    assert!(
        n.stderr.contains("collection incomplete (exit 2)"),
        "{}",
        n.stderr
    );
    // Breaking drift on a partial night: the report is there, the night fails.
    let n = night(3, 2, true, 1);
    assert_eq!(n.code, 2);
    assert!(n.report.is_some());
}

#[test]
fn a_complete_night_exits_as_drift_does() {
    let n = night(3, 0, true, 1);
    assert_eq!(n.code, 1);
    assert!(n.report.is_some());
    let n = night(3, 0, true, 0);
    assert_eq!(n.code, 0, "{}", n.stderr);
    assert!(n.report.is_some());
}

#[test]
fn a_night_that_stored_nothing_compares_nothing_and_fails() {
    // No credentials: nothing stored, so `latest` is still last night's and a drift report
    // would compare two old snapshots.
    let n = night(3, 2, false, 0);
    assert_eq!(n.code, 2);
    assert!(n.report.is_none());
    assert!(!n.log.contains("drift"), "{}", n.log);
    assert!(
        n.stderr.contains("no snapshot stored tonight"),
        "{}",
        n.stderr
    );
    // The first night stores the first snapshot and has nothing to compare with.
    let n = night(0, 0, true, 0);
    assert_eq!(n.code, 0, "{}", n.stderr);
    assert!(n.report.is_none());
}

#[test]
fn the_action_script_scans_the_workspace_and_leaves_reports_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs");
    let summary = dir.path().join("summary");
    let sarif = dir.path().join("plumb.sarif");
    let json = dir.path().join("plumb.json");
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_plumb"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |fail_on: &str| {
        Command::new(root().join("scripts/github-action"))
            .args([
                "fixtures/demo/kubernetes\nfixtures/demo/terraform",
                &format!("json={}", json.display()),
                fail_on,
                sarif.to_str().unwrap(),
                "true",
                "--show-passed",
            ])
            .env("PATH", &path)
            .env("GITHUB_WORKSPACE", root())
            .env("GITHUB_OUTPUT", &outputs)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("NO_COLOR", "1")
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = run("high");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let sarif_log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert!(
        !sarif_log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report.is_object());
    // Both paths scanned, the console report in the log, passing checks listed (`args`).
    let console = stdout(&out);
    assert!(
        console.contains("fixtures/demo/kubernetes/api.yaml"),
        "{console}"
    );
    assert!(console.contains("fixtures/demo/terraform/"), "{console}");
    assert!(console.contains("\nPassed ("), "{console}");
    assert!(std::fs::read_to_string(&summary).unwrap().contains("plumb"));
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert!(written.contains("exit-code=1\n"), "{written}");
    assert!(
        written.contains(&format!("sarif={}\n", sarif.display())),
        "{written}"
    );

    std::fs::remove_file(&outputs).unwrap();
    let out = run("never");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&outputs)
            .unwrap()
            .contains("exit-code=0\n")
    );

    let out = Command::new(root().join("scripts/github-action"))
        .arg("only one")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("expected 6 arguments"));
}
