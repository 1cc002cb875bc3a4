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
    // The binary the build stage makes is the one the final stage copies.
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
