//! ECR: repositories with scanning, tag mutability and encryption, their lifecycle and
//! repository policies (as the provider's separate resources), and tags.

use aws_sdk_ecr::Client;
use serde_json::json;

use super::Cx;
use super::shared::{Out, Scope, bounded, code, describe, policy_document, s, se, tag_map};

const SERVICE: &str = "ecr";
const REPOSITORY: &str = "aws_ecr_repository";
const LIFECYCLE: &str = "aws_ecr_lifecycle_policy";
const POLICY: &str = "aws_ecr_repository_policy";

pub(super) const KINDS: &[&str] = &[REPOSITORY, LIFECYCLE, POLICY];

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let repos = client
        .describe_repositories()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let repos = out.listed(&cx.scope, SERVICE, KINDS, "DescribeRepositories", repos);
    let scope = cx.scope.clone();
    for repo_out in bounded(repos, cx.fanout, |repo| {
        let client = client.clone();
        let scope = scope.clone();
        async move { repository(&scope, &client, &repo).await }
    })
    .await
    {
        out.merge(repo_out);
    }
    out
}

async fn repository(scope: &Scope, client: &Client, repo: &aws_sdk_ecr::types::Repository) -> Out {
    let mut out = Out::default();
    let Some(name) = out.required(
        scope,
        SERVICE,
        REPOSITORY,
        repo.repository_name(),
        "repositoryName (DescribeRepositories)",
    ) else {
        return out;
    };
    let arn = repo.repository_arn().map(str::to_string);
    let encryption = repo.encryption_configuration().map(
        |e| json!([{"encryption_type": e.encryption_type().as_str(), "kms_key": se(e.kms_key())}]),
    );
    let mut r = scope.resource(
        REPOSITORY,
        name,
        arn.clone(),
        json!({
            "id": name,
            "name": name,
            "arn": s(arn.as_deref()),
            "registry_id": s(repo.registry_id()),
            "repository_url": s(repo.repository_uri()),
            "image_tag_mutability": s(repo.image_tag_mutability().map(|m| m.as_str())),
            "image_scanning_configuration": [{
                "scan_on_push": repo.image_scanning_configuration().is_some_and(|c| c.scan_on_push()),
            }],
            "encryption_configuration": encryption.unwrap_or(json!([])),
        }),
    );
    if let Some(arn) = &arn {
        match client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
        {
            Ok(t) => r.attrs["tags"] = tag_map(t.tags().iter().map(|t| (t.key(), t.value()))),
            Err(e) => out.unreadable(&mut r, &["/tags"], SERVICE, describe(&e)),
        }
    }
    match client.get_lifecycle_policy().repository_name(name).send().await {
        Ok(p) => out.push(scope.resource(
            LIFECYCLE,
            name,
            None,
            json!({"id": name, "repository": name, "policy": p.lifecycle_policy_text().map_or(json!(null), policy_document)}),
        )),
        Err(e) if code(&e) == Some("LifecyclePolicyNotFoundException") => {}
        Err(e) => out.missing(scope, SERVICE, &[LIFECYCLE], format!("GetLifecyclePolicy {name}: {}", describe(&e))),
    }
    match client.get_repository_policy().repository_name(name).send().await {
        Ok(p) => out.push(scope.resource(
            POLICY,
            name,
            None,
            json!({"id": name, "repository": name, "policy": p.policy_text().map_or(json!(null), policy_document)}),
        )),
        Err(e) if code(&e) == Some("RepositoryPolicyNotFoundException") => {}
        Err(e) => out.missing(scope, SERVICE, &[POLICY], format!("GetRepositoryPolicy {name}: {}", describe(&e))),
    }
    out.push(r);
    out
}
