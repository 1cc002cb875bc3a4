//! The container image and the nightly job manifest that ship with the repository.

mod common;

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
