//! The linking pass: which resources are satellites of which parents, and how they name them.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::kinds::{NAME, Satellite, satellite};
use crate::inventory::{Attr, Resource, Source};

/// A satellite relation: the satellite, and the kind of its parent.
#[derive(Debug, Clone, Copy)]
pub(super) struct Link {
    pub satellite: &'static Satellite,
    pub parent: &'static str,
}

/// Satellites of satellites, whose parent is no declared kind. CloudFront standard logging
/// v2: a delivery source names the distribution, a delivery names the source.
const CHAINED: &[(&str, Satellite)] = &[(
    "aws_cloudwatch_log_delivery_source",
    satellite("aws_cloudwatch_log_delivery", "/delivery_source_name", NAME),
)];

/// Every satellite relation plumb folds: those the kinds declare, in the registry's order,
/// then [`CHAINED`]. A satellite of several possible parents is linked to the first that
/// matches.
pub(super) fn links() -> &'static [Link] {
    static LINKS: OnceLock<Vec<Link>> = OnceLock::new();
    LINKS.get_or_init(|| {
        let declared = super::kinds().flat_map(|k| {
            k.satellites.iter().map(|satellite| Link {
                satellite,
                parent: k.name,
            })
        });
        let chained = CHAINED
            .iter()
            .map(|(parent, satellite)| Link { satellite, parent });
        declared.chain(chained).collect()
    })
}

/// Sets [`Resource::parent`] on every satellite whose parent is in `resources`.
///
/// A reference recorded by the collector (the parent's address, from the plan's
/// configuration) decides first, because the parent's id may be unknown until apply. Otherwise
/// the satellite's attribute value is matched against the parent's key attributes, preferring
/// a parent from the same file or account; when both values are unknown, their
/// [`Resource::expressions`] are matched instead.
pub(super) fn link(resources: &mut [Resource]) {
    // (parent kind, key value) -> candidate parent indexes.
    let mut by_key: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    // (parent kind, expression key) -> candidate parents whose key attribute is unknown.
    let mut by_expr: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        ids.insert(r.id.as_str(), i);
        for link in links().iter().filter(|l| l.parent == r.kind) {
            for key in link.satellite.parent_keys {
                match r.attr(key) {
                    Attr::Known(Value::String(v)) => {
                        by_key.entry((link.parent, v.as_str())).or_default().push(i);
                    }
                    Attr::Unknown => {
                        if let Some(e) = r.expressions.get(*key) {
                            by_expr
                                .entry((link.parent, e.as_str()))
                                .or_default()
                                .push(i);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    for candidates in by_expr.values_mut() {
        candidates.dedup();
    }

    let mut parents: Vec<(usize, String)> = Vec::new();
    for (i, r) in resources.iter().enumerate() {
        if r.parent.is_some() {
            continue;
        }
        for link in links().iter().filter(|l| l.satellite.kind == r.kind) {
            let Link {
                satellite: link,
                parent: parent_kind,
            } = *link;
            let by_reference = r.references.get(link.via).and_then(|refs| {
                refs.iter()
                    .filter_map(|id| ids.get(id.as_str()))
                    .find(|&&p| resources[p].kind == parent_kind)
            });
            let by_value = || -> Option<usize> {
                let candidates: Vec<usize> = match r.attr(link.via) {
                    Attr::Known(Value::String(v)) => by_key
                        .get(&(parent_kind, v.strip_prefix(link.strip)?))?
                        .iter()
                        .copied()
                        .filter(|&p| {
                            !link.same_namespace
                                || namespace(&resources[p].attrs) == namespace(&r.attrs)
                        })
                        .collect(),
                    // Neither value is known, but both come from the same expression (`bucket
                    // = var.name` in one module instance): compare the expressions.
                    Attr::Unknown if link.strip.is_empty() => by_expr
                        .get(&(parent_kind, r.expressions.get(link.via)?.as_str()))?
                        .clone(),
                    // A namespaced Kubernetes object without a namespace lands in `default`.
                    Attr::Absent if parent_kind == "k8s/Namespace" => {
                        let found = by_key
                            .get(&(parent_kind, "default"))?
                            .iter()
                            .copied()
                            .find(|&p| same_origin(&resources[p].source, &r.source));
                        return found;
                    }
                    _ => return None,
                };
                candidates
                    .iter()
                    .copied()
                    .find(|&p| same_origin(&resources[p].source, &r.source))
                    // Files of one scan form one estate; live sources never mix.
                    .or_else(|| {
                        candidates.iter().copied().find(|&p| {
                            matches!(
                                (&resources[p].source, &r.source),
                                (Source::File { .. }, Source::File { .. })
                            )
                        })
                    })
            };
            if let Some(p) = by_reference.copied().or_else(by_value) {
                parents.push((i, resources[p].id.clone()));
                break;
            }
        }
    }
    for (i, parent) in parents {
        resources[i].parent = Some(parent);
    }
}

/// Satellites naming several parents at once, in list attributes: (satellite kind, attribute,
/// parent kind). An `aws_iam_policy_attachment` attaches one policy to every user, role and
/// group it lists, so it cannot have one [`Resource::parent`].
const MANY: &[(&str, &str, &str)] = &[
    ("aws_iam_policy_attachment", "/users", "aws_iam_user"),
    ("aws_iam_policy_attachment", "/roles", "aws_iam_role"),
    ("aws_iam_policy_attachment", "/groups", "aws_iam_group"),
];

/// The (satellite, parent) index pairs of the satellites in [`MANY`]: a parent is listed by
/// reference (`roles = [aws_iam_role.app.name]`) or by its known `name`, from the same estate.
pub(super) fn many(resources: &[Resource]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if !resources
        .iter()
        .any(|r| MANY.iter().any(|(k, _, _)| *k == r.kind))
    {
        return out;
    }
    let mut by_name: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        ids.insert(r.id.as_str(), i);
        if MANY.iter().any(|(_, _, parent)| *parent == r.kind)
            && let Attr::Known(Value::String(name)) = r.attr("/name")
        {
            by_name.entry((r.kind.as_str(), name)).or_default().push(i);
        }
    }
    for (i, r) in resources.iter().enumerate() {
        for (_, via, parent) in MANY.iter().filter(|(k, _, _)| *k == r.kind) {
            let mut found: Vec<usize> = r
                .references
                .get(*via)
                .into_iter()
                .flatten()
                .filter_map(|id| ids.get(id.as_str()).copied())
                .filter(|&p| resources[p].kind == *parent)
                .collect();
            if let Attr::Known(Value::Array(names)) = r.attr(via) {
                for name in names.iter().filter_map(Value::as_str) {
                    found.extend(
                        by_name
                            .get(&(*parent, name))
                            .into_iter()
                            .flatten()
                            .copied()
                            .filter(|&p| same_estate(&resources[p].source, &r.source)),
                    );
                }
            }
            found.sort_unstable();
            found.dedup();
            out.extend(found.into_iter().map(|p| (i, p)));
        }
    }
    out
}

/// Where a managed policy is attached by ARN: the attachment satellites' `policy_arn` and the
/// principals' `managed_policy_arns` list.
const ATTACHES: &[(&str, &str)] = &[
    ("aws_iam_role_policy_attachment", "/policy_arn"),
    ("aws_iam_user_policy_attachment", "/policy_arn"),
    ("aws_iam_group_policy_attachment", "/policy_arn"),
    ("aws_iam_policy_attachment", "/policy_arn"),
    ("aws_iam_role", "/managed_policy_arns"),
    ("aws_iam_user", "/managed_policy_arns"),
    ("aws_iam_group", "/managed_policy_arns"),
];

/// Relations a resource has beside its one parent, as (child, parent) index pairs: each
/// parent's deriver sees the child among its satellites (and the child's own in turn).
///
/// * A customer-managed policy hangs under every attachment (or principal) naming it in
///   [`ATTACHES`], so the principal sees the documents attached to it.
/// * A trail hangs under the log group it delivers to (`cloud_watch_logs_group_arn`, which
///   ends in `:*`), besides its bucket: the log group learns that it receives CloudTrail.
/// * A metric alarm hangs under the log metric filters that publish the metric it watches
///   (same namespace and metric name), so a log group sees which of its filters alarm.
/// * An SNS topic hangs under the alarms that notify it (`alarm_actions`), so the log group
///   also sees whether the alarm reaches a subscriber.
pub(super) fn related(resources: &[Resource]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = naming(resources, ATTACHES, "aws_iam_policy", "")
        .into_iter()
        .map(|(attachment, policy)| (policy, attachment))
        .collect();
    out.extend(naming(
        resources,
        &[("aws_cloudtrail", "/cloud_watch_logs_group_arn")],
        "aws_cloudwatch_log_group",
        ":*",
    ));
    out.extend(metric_alarms(resources));
    out.extend(
        naming(
            resources,
            &[("aws_cloudwatch_metric_alarm", "/alarm_actions")],
            "aws_sns_topic",
            "",
        )
        .into_iter()
        .map(|(alarm, topic)| (topic, alarm)),
    );
    out
}

/// (holder, target) pairs where the attribute `via` of a resource of a `holders` kind (a
/// string or a list of them, `suffix` removed) is a `target_kind` resource's ARN, or refers to
/// it. One index of the targets, one pass over the resources.
fn naming(
    resources: &[Resource],
    holders: &[(&str, &str)],
    target_kind: &str,
    suffix: &str,
) -> Vec<(usize, usize)> {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut by_arn: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        if r.kind != target_kind {
            continue;
        }
        ids.insert(r.id.as_str(), i);
        if let Some(arn) = super::value::arn_of(r) {
            by_arn.entry(arn).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    if ids.is_empty() {
        return out;
    }
    for (i, r) in resources.iter().enumerate() {
        let Some((_, via)) = holders.iter().find(|(kind, _)| *kind == r.kind) else {
            continue;
        };
        let mut found: Vec<usize> = r
            .references
            .get(*via)
            .into_iter()
            .flatten()
            .filter_map(|id| ids.get(id.as_str()).copied())
            .collect();
        let values: Vec<&str> = match r.attr(via) {
            Attr::Known(Value::String(v)) => vec![v.as_str()],
            Attr::Known(Value::Array(vs)) => vs.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for v in values {
            let arn = v.strip_suffix(suffix).unwrap_or(v);
            found.extend(
                by_arn
                    .get(arn)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|&t| same_estate(&resources[t].source, &r.source)),
            );
        }
        found.sort_unstable();
        found.dedup();
        out.extend(found.into_iter().map(|t| (i, t)));
    }
    out
}

/// (alarm, filter) pairs: an `aws_cloudwatch_metric_alarm` watching the metric (namespace and
/// name) an `aws_cloudwatch_log_metric_filter` of the same estate publishes.
fn metric_alarms(resources: &[Resource]) -> Vec<(usize, usize)> {
    fn text<'r>(r: &'r Resource, pointer: &str) -> Option<&'r str> {
        match r.attr(pointer) {
            Attr::Known(Value::String(v)) => Some(v.as_str()),
            _ => None,
        }
    }
    let mut filters: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        if r.kind != "aws_cloudwatch_log_metric_filter" {
            continue;
        }
        let transformations = match r.attr("/metric_transformation") {
            Attr::Known(Value::Array(ts)) => ts.len(),
            _ => 0,
        };
        for t in 0..transformations {
            let namespace = text(r, &format!("/metric_transformation/{t}/namespace"));
            let name = text(r, &format!("/metric_transformation/{t}/name"));
            if let (Some(namespace), Some(name)) = (namespace, name) {
                filters.entry((namespace, name)).or_default().push(i);
            }
        }
    }
    let mut out = Vec::new();
    if filters.is_empty() {
        return out;
    }
    for (i, r) in resources.iter().enumerate() {
        if r.kind != "aws_cloudwatch_metric_alarm" {
            continue;
        }
        if let (Some(namespace), Some(name)) = (text(r, "/namespace"), text(r, "/metric_name")) {
            out.extend(
                filters
                    .get(&(namespace, name))
                    .into_iter()
                    .flatten()
                    .filter(|&&f| same_estate(&resources[f].source, &r.source))
                    .map(|&f| (i, f)),
            );
        }
    }
    out
}

/// Files of one scan form one estate; live sources of one account do.
fn same_estate(a: &Source, b: &Source) -> bool {
    matches!((a, b), (Source::File { .. }, Source::File { .. })) || same_origin(a, b)
}

/// A Kubernetes object's namespace (`default` when it names none).
fn namespace(obj: &Value) -> &str {
    obj.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|ns| !ns.is_empty())
        .unwrap_or("default")
}

fn same_origin(a: &Source, b: &Source) -> bool {
    match (a, b) {
        (Source::File { path: x, .. }, Source::File { path: y, .. }) => x == y,
        (Source::Aws { account: x, .. }, Source::Aws { account: y, .. }) => x == y,
        (Source::Kubernetes { cluster: x, .. }, Source::Kubernetes { cluster: y, .. }) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tf(id: &str, kind: &str, attrs: Value) -> Resource {
        let mut r = Resource::new(
            format!("tf:{id}"),
            kind,
            Source::File {
                path: "main.tf".into(),
                start_line: 1,
                end_line: 1,
                module_calls: Vec::new(),
            },
        );
        r.attrs = attrs;
        r
    }

    /// A resource whose `/bucket` is unknown, computed from the expression `key`.
    fn unknown_bucket(id: &str, kind: &str, key: &str) -> Resource {
        let mut r = tf(id, kind, json!({"bucket": null}));
        r.unknown.insert("/bucket".into());
        r.expressions.insert("/bucket".into(), key.into());
        r
    }

    #[test]
    fn unknown_values_link_by_their_expression() {
        let mut resources = vec![
            unknown_bucket("aws_s3_bucket.a", "aws_s3_bucket", "module.a:var.name"),
            unknown_bucket("aws_s3_bucket.b", "aws_s3_bucket", "module.b:var.name"),
            unknown_bucket(
                "aws_s3_bucket_versioning.b",
                "aws_s3_bucket_versioning",
                "module.b:var.name",
            ),
            unknown_bucket(
                "aws_s3_bucket_logging.x",
                "aws_s3_bucket_logging",
                "module.b:var.other",
            ),
        ];
        link(&mut resources);
        assert_eq!(resources[2].parent.as_deref(), Some("tf:aws_s3_bucket.b"));
        assert_eq!(resources[3].parent, None);
    }

    #[test]
    fn a_known_value_never_links_by_expression() {
        let mut bucket = unknown_bucket("aws_s3_bucket.a", "aws_s3_bucket", "var.name");
        bucket.unknown.clear();
        bucket.attrs = json!({"bucket": "logs"});
        let mut resources = vec![
            bucket,
            unknown_bucket(
                "aws_s3_bucket_versioning.a",
                "aws_s3_bucket_versioning",
                "var.name",
            ),
        ];
        link(&mut resources);
        assert_eq!(resources[1].parent, None);
    }

    #[test]
    fn policy_attachments_reach_every_listed_principal() {
        let mut attachment = tf(
            "aws_iam_policy_attachment.admin",
            "aws_iam_policy_attachment",
            json!({"users": ["alice"], "roles": [null], "groups": []}),
        );
        attachment.unknown.insert("/roles/0".into());
        attachment
            .references
            .insert("/roles".into(), vec!["tf:aws_iam_role.deploy".into()]);
        let resources = vec![
            attachment,
            tf("aws_iam_role.deploy", "aws_iam_role", json!({"name": null})),
            tf(
                "aws_iam_role.other",
                "aws_iam_role",
                json!({"name": "alice"}),
            ),
            tf(
                "aws_iam_user.alice",
                "aws_iam_user",
                json!({"name": "alice"}),
            ),
        ];
        // Users first, then roles, then groups, as MANY lists them.
        assert_eq!(many(&resources), [(0, 3), (0, 1)]);
    }
}
