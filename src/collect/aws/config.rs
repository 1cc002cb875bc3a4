//! AWS Config as the source: configuration items of one account (per region), or of a whole
//! organisation through an aggregator, mapped into the same provider-shaped resources the
//! service APIs give.
//!
//! * Account: per region, the configuration recorder and its status say which resource types
//!   are recorded; `ListDiscoveredResources` + `BatchGetResourceConfig` (100 at a time) read
//!   the items of each recorded type.
//! * Aggregator: `SelectAggregateResourceConfig` enumerates items of each type across
//!   accounts and regions; `BatchGetAggregateResourceConfig` reads them. Each source
//!   account/region whose aggregation failed is recorded. Where the aggregator holds the
//!   member's recorder (`AWS::Config::ConfigurationRecorder` items), its recording group says
//!   what is covered; where it does not, a kind with no items there cannot be told from a kind
//!   not recorded, and is reported as not collected.
//!
//! A kind not recorded is reported as not collected (an error naming the kinds), never as
//! compliant. Values a configuration item does not carry (AWS Config does not record KMS
//! key rotation, for instance) are `null` and unknown, with one error per scope and attribute.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use aws_sdk_config::Client;
use aws_sdk_config::types::{
    AggregateResourceIdentifier, BaseConfigurationItem, ResourceKey, ResourceType,
};
use aws_types::SdkConfig;
use serde_json::{Map, Value, json};

use super::shared::{COLLECTOR, GLOBAL, Out, Scope, describe, policy_document};
use super::{Progress, sdk};
use crate::collect::Collected;
use crate::collect::terraform::set_pointer;
use crate::inventory::{CollectError, CollectorRun, Resource};

const SERVICE: &str = "config";

/// Config resource types plumb maps, with the kinds each gives (the first is the main kind).
const TYPES: &[(&str, &[&str])] = &[
    (
        "AWS::S3::Bucket",
        &[
            "aws_s3_bucket",
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_versioning",
            "aws_s3_bucket_logging",
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_lifecycle_configuration",
            "aws_s3_bucket_replication_configuration",
            "aws_s3_bucket_policy",
            "aws_s3_bucket_acl",
        ],
    ),
    ("AWS::EC2::VPC", &["aws_vpc"]),
    ("AWS::EC2::Subnet", &["aws_subnet"]),
    ("AWS::EC2::SecurityGroup", &["aws_security_group"]),
    ("AWS::EC2::FlowLog", &["aws_flow_log"]),
    ("AWS::EC2::Volume", &["aws_ebs_volume"]),
    ("AWS::EC2::Instance", &["aws_instance"]),
    (
        "AWS::RDS::DBInstance",
        &["aws_db_instance", "aws_rds_cluster_instance"],
    ),
    ("AWS::RDS::DBCluster", &["aws_rds_cluster"]),
    ("AWS::DynamoDB::Table", &["aws_dynamodb_table"]),
    ("AWS::KMS::Key", &["aws_kms_key"]),
    ("AWS::Logs::LogGroup", &["aws_cloudwatch_log_group"]),
    ("AWS::CloudTrail::Trail", &["aws_cloudtrail"]),
    (
        "AWS::IAM::User",
        &[
            "aws_iam_user",
            "aws_iam_user_policy",
            "aws_iam_user_policy_attachment",
            "aws_iam_user_group_membership",
        ],
    ),
    (
        "AWS::IAM::Role",
        &[
            "aws_iam_role",
            "aws_iam_role_policy",
            "aws_iam_role_policy_attachment",
        ],
    ),
    (
        "AWS::IAM::Group",
        &[
            "aws_iam_group",
            "aws_iam_group_policy",
            "aws_iam_group_policy_attachment",
        ],
    ),
    ("AWS::IAM::Policy", &["aws_iam_policy"]),
];

/// Config's global resource types: recorded once per account, in one region.
fn is_global(config_type: &str) -> bool {
    config_type.starts_with("AWS::IAM::")
}

fn kinds_of(config_type: &str) -> &'static [&'static str] {
    TYPES
        .iter()
        .find(|(t, _)| *t == config_type)
        .map_or(&[], |(_, k)| k)
}

/// Every kind the Config source can produce.
pub fn kinds() -> Vec<&'static str> {
    let mut kinds: Vec<&str> = TYPES.iter().flat_map(|(_, k)| k.iter().copied()).collect();
    kinds.push("aws_config_configuration_recorder");
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

fn error(scope: String, kinds: Vec<String>, message: String) -> CollectError {
    CollectError {
        collector: COLLECTOR.into(),
        scope,
        line: None,
        column: None,
        kinds,
        message,
        warning: false,
    }
}

/// Which Config types a recorder records.
#[derive(Debug, Clone, Default)]
struct Recording {
    /// Recording at all (a recorder exists and is started).
    on: bool,
    all: bool,
    global: bool,
    include: BTreeSet<String>,
    exclude: BTreeSet<String>,
}

impl Recording {
    fn covers(&self, config_type: &str) -> bool {
        if !self.on {
            return false;
        }
        if self.include.contains(config_type) {
            return true;
        }
        if self.all || !self.exclude.is_empty() {
            return !self.exclude.contains(config_type) && (!is_global(config_type) || self.global);
        }
        false
    }

    /// From a recorder's recording group in Config's JSON shape (an aggregated
    /// `AWS::Config::ConfigurationRecorder` item).
    fn from_json(group: &Value, recording: bool) -> Recording {
        let strings = |v: Option<&Value>| -> BTreeSet<String> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        Recording {
            on: recording,
            all: get(group, "allSupported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            global: get(group, "includeGlobalResourceTypes")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            include: strings(get(group, "resourceTypes")),
            exclude: strings(
                get(group, "exclusionByResourceTypes").and_then(|e| get(e, "resourceTypes")),
            ),
        }
    }
}

// ---------------------------------------------------------------- account

/// `--source config`: the account's configuration items, region by region.
pub(super) async fn account(
    base: &SdkConfig,
    account: &str,
    regions: &[String],
    progress: Arc<dyn Progress>,
    collected: &mut Collected,
) {
    let mut global_covered: BTreeSet<&str> = BTreeSet::new();
    let mut global_out = Out::default();
    let global = Scope::new(account, GLOBAL);
    for region in regions {
        let scope = Scope::new(account, region);
        let label = scope.label();
        progress.begin(&label, SERVICE);
        let client = Client::new(&sdk::in_region(base, region));
        let mut out = Out::default();
        let recording = recorder(&scope, &client, &mut out).await;
        for (config_type, kinds) in TYPES {
            let covered = recording.as_ref().is_some_and(|r| r.covers(config_type));
            if is_global(config_type) {
                if covered && global_covered.insert(config_type) {
                    global_out.covers(kinds);
                    read_type(&global, &client, config_type, &mut global_out).await;
                }
                continue;
            }
            if !covered {
                not_recorded(&scope, config_type, recording.is_some(), &mut out);
                continue;
            }
            out.covers(kinds);
            read_type(&scope, &client, config_type, &mut out).await;
        }
        progress.end(&label, SERVICE, out.resources.len(), out.errors.len());
        record(collected, &scope, out);
    }
    for (config_type, _) in TYPES.iter().filter(|(t, _)| is_global(t)) {
        if !global_covered.contains(config_type) {
            not_recorded(&global, config_type, true, &mut global_out);
        }
    }
    record(collected, &global, global_out);
}

fn not_recorded(scope: &Scope, config_type: &str, has_recorder: bool, out: &mut Out) {
    let kinds = kinds_of(config_type);
    let why = if has_recorder {
        format!("the AWS Config recorder does not record {config_type}")
    } else {
        "AWS Config records nothing here (no recorder, or it is stopped)".to_string()
    };
    out.missing(
        scope,
        SERVICE,
        kinds,
        format!("{why}: {} not collected", kinds[0]),
    );
}

/// The region's recorder, emitted as the provider's resources; `None` when there is none.
async fn recorder(scope: &Scope, client: &Client, out: &mut Out) -> Option<Recording> {
    out.covers(&["aws_config_configuration_recorder"]);
    let recorders = match client.describe_configuration_recorders().send().await {
        Ok(r) => r.configuration_recorders().to_vec(),
        Err(e) => {
            out.missing(
                scope,
                SERVICE,
                &["aws_config_configuration_recorder"],
                format!("DescribeConfigurationRecorders: {}", describe(&e)),
            );
            return None;
        }
    };
    let statuses = client
        .describe_configuration_recorder_status()
        .send()
        .await
        .map(|s| s.configuration_recorders_status().to_vec());
    let mut recording = Recording::default();
    let mut any = false;
    for rec in recorders {
        // Service-linked recorders record for their service, not for the account.
        if rec.service_principal().is_some() {
            continue;
        }
        let Some(name) = rec.name() else { continue };
        any = true;
        let group = rec.recording_group();
        let on = match &statuses {
            Ok(s) => s.iter().any(|st| st.name() == Some(name) && st.recording()),
            Err(_) => false,
        };
        let strategy = group
            .and_then(|g| g.recording_strategy())
            .and_then(|s| s.use_only())
            .map(|u| u.as_str());
        let types = |v: &[ResourceType]| {
            v.iter()
                .map(|t| t.as_str().to_string())
                .collect::<BTreeSet<_>>()
        };
        recording = Recording {
            on,
            all: group.is_some_and(|g| g.all_supported())
                || strategy == Some("ALL_SUPPORTED_RESOURCE_TYPES"),
            global: group.is_some_and(|g| g.include_global_resource_types()),
            include: group.map(|g| types(g.resource_types())).unwrap_or_default(),
            exclude: group
                .and_then(|g| g.exclusion_by_resource_types())
                .map(|e| types(e.resource_types()))
                .unwrap_or_default(),
        };
        let mut r = scope.resource(
            "aws_config_configuration_recorder",
            name,
            rec.arn().map(str::to_string),
            json!({
                "id": name,
                "name": name,
                "role_arn": rec.role_arn(),
                "is_enabled": on,
                "recording_group": [{
                    "all_supported": recording.all,
                    "include_global_resource_types": recording.global,
                    "resource_types": recording.include.iter().collect::<Vec<_>>(),
                    "exclusion_by_resource_types": [{"resource_types": recording.exclude.iter().collect::<Vec<_>>()}],
                    "recording_strategy": [{"use_only": strategy}],
                }],
            }),
        );
        if let Err(e) = &statuses {
            out.unreadable(&mut r, &["/is_enabled"], SERVICE, describe(e));
        }
        out.push(r);
    }
    any.then_some(recording)
}

/// Reads every item of one type through `ListDiscoveredResources` and `BatchGetResourceConfig`.
async fn read_type(scope: &Scope, client: &Client, config_type: &str, out: &mut Out) {
    let listed = client
        .list_discovered_resources()
        .resource_type(ResourceType::from(config_type))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let ids = match listed {
        Ok(ids) => ids,
        Err(e) => {
            out.missing(
                scope,
                SERVICE,
                kinds_of(config_type),
                format!("ListDiscoveredResources {config_type}: {}", describe(&e)),
            );
            return;
        }
    };
    let keys: Vec<ResourceKey> = ids
        .iter()
        .filter(|i| i.resource_deletion_time().is_none())
        .filter_map(|i| {
            ResourceKey::builder()
                .resource_type(ResourceType::from(config_type))
                .resource_id(i.resource_id()?)
                .build()
                .ok()
        })
        .collect();
    let mut mapped = Mapped::default();
    for chunk in keys.chunks(100) {
        let mut pending = chunk.to_vec();
        // Unprocessed keys (throttling inside the batch) are asked again, a few times.
        for _ in 0..5 {
            if pending.is_empty() {
                break;
            }
            match client
                .batch_get_resource_config()
                .set_resource_keys(Some(pending.clone()))
                .send()
                .await
            {
                Ok(o) => {
                    for item in o.base_configuration_items() {
                        map_item(&scope.account, item, &mut mapped);
                    }
                    pending = o.unprocessed_resource_keys().to_vec();
                }
                Err(e) => {
                    out.missing(
                        scope,
                        SERVICE,
                        kinds_of(config_type),
                        format!("BatchGetResourceConfig {config_type}: {}", describe(&e)),
                    );
                    pending.clear();
                }
            }
        }
        if !pending.is_empty() {
            out.missing(
                scope,
                SERVICE,
                kinds_of(config_type),
                format!(
                    "BatchGetResourceConfig {config_type}: {} items left unprocessed",
                    pending.len()
                ),
            );
        }
    }
    mapped.finish_into(out);
}

// ---------------------------------------------------------------- aggregator

/// `--aggregator NAME`: every account and region the aggregator covers, in one snapshot.
pub(super) async fn aggregator(
    base: &SdkConfig,
    region: &str,
    name: &str,
    progress: Arc<dyn Progress>,
    collected: &mut Collected,
) {
    let client = Client::new(&sdk::in_region(base, region));
    let label = format!("aggregator {name}");
    progress.begin(&label, SERVICE);
    let all: Vec<String> = kinds().iter().map(|k| (*k).to_string()).collect();

    // The sources the aggregator reads, and whether their last aggregation worked.
    let sources = match client
        .describe_configuration_aggregator_sources_status()
        .configuration_aggregator_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(s) => s,
        Err(e) => {
            collected.errors.push(error(
                format!("aggregator {name}"),
                all,
                format!(
                    "DescribeConfigurationAggregatorSourcesStatus: {}",
                    describe(&e)
                ),
            ));
            progress.end(&label, SERVICE, 0, 1);
            return;
        }
    };
    let mut scopes: BTreeMap<(String, String), Out> = BTreeMap::new();
    let mut failed: BTreeSet<(String, String)> = BTreeSet::new();
    for s in &sources {
        let (Some(account), Some(source_region)) = (s.source_id(), s.aws_region()) else {
            continue;
        };
        let key = (account.to_string(), source_region.to_string());
        let out = scopes.entry(key.clone()).or_default();
        if s.last_update_status().map(|u| u.as_str()) == Some("FAILED") {
            let scope = Scope::new(account, source_region);
            let kinds: Vec<&str> = kinds();
            out.missing(
                &scope,
                SERVICE,
                &kinds,
                format!(
                    "aggregator {name} could not read this source: {} {}",
                    s.last_error_code().unwrap_or_default(),
                    s.last_error_message().unwrap_or_default()
                ),
            );
            failed.insert(key);
        }
    }

    // Member recorders, where the aggregator holds them.
    let mut recorders: HashMap<(String, String), Recording> = HashMap::new();
    match select(&client, name, "SELECT accountId, awsRegion, configuration WHERE resourceType = 'AWS::Config::ConfigurationRecorder'").await {
        Ok(rows) => {
            for row in rows {
                let (Some(account), Some(r)) = (str_of(&row, "accountId"), str_of(&row, "awsRegion")) else { continue };
                let config = parse_nested(get(&row, "configuration").cloned().unwrap_or(Value::Null));
                let group = get(&config, "recordingGroup").cloned().unwrap_or(Value::Null);
                // A recorder in the aggregate is taken as recording unless it says otherwise.
                let recording = get(&config, "recording").and_then(Value::as_bool).unwrap_or(true);
                recorders.insert((account, r), Recording::from_json(&group, recording));
            }
        }
        Err(m) => collected.errors.push(error(
            format!("aggregator {name}"),
            Vec::new(),
            format!("cannot read member recorders: {m}"),
        )),
    }

    let mut mapped = Mapped::default();
    let mut seen_types: HashMap<(String, String), BTreeSet<String>> = HashMap::new();
    for (config_type, kinds) in TYPES {
        let query = format!(
            "SELECT resourceId, resourceName, resourceType, accountId, awsRegion WHERE resourceType = '{config_type}'"
        );
        let rows = match select(&client, name, &query).await {
            Ok(rows) => rows,
            Err(m) => {
                collected.errors.push(error(
                    format!("aggregator {name}"),
                    kinds.iter().map(|k| (*k).to_string()).collect(),
                    format!("SelectAggregateResourceConfig {config_type}: {m}"),
                ));
                continue;
            }
        };
        let mut identifiers = Vec::new();
        for row in rows {
            let (Some(id), Some(account), Some(r)) = (
                str_of(&row, "resourceId"),
                str_of(&row, "accountId"),
                str_of(&row, "awsRegion"),
            ) else {
                continue;
            };
            seen_types
                .entry((account.clone(), r.clone()))
                .or_default()
                .insert(config_type.to_string());
            scopes
                .entry((
                    account.clone(),
                    if is_global(config_type) {
                        GLOBAL.into()
                    } else {
                        r.clone()
                    },
                ))
                .or_default();
            if let Ok(ident) = AggregateResourceIdentifier::builder()
                .source_account_id(account)
                .source_region(r)
                .resource_id(id)
                .resource_type(ResourceType::from(*config_type))
                .set_resource_name(str_of(&row, "resourceName"))
                .build()
            {
                identifiers.push(ident);
            }
        }
        for chunk in identifiers.chunks(100) {
            let mut pending = chunk.to_vec();
            for _ in 0..5 {
                if pending.is_empty() {
                    break;
                }
                match client
                    .batch_get_aggregate_resource_config()
                    .configuration_aggregator_name(name)
                    .set_resource_identifiers(Some(pending.clone()))
                    .send()
                    .await
                {
                    Ok(o) => {
                        for item in o.base_configuration_items() {
                            let account = item.account_id().unwrap_or_default().to_string();
                            map_item(&account, item, &mut mapped);
                        }
                        pending = o.unprocessed_resource_identifiers().to_vec();
                    }
                    Err(e) => {
                        collected.errors.push(error(
                            format!("aggregator {name}"),
                            kinds.iter().map(|k| (*k).to_string()).collect(),
                            format!(
                                "BatchGetAggregateResourceConfig {config_type}: {}",
                                describe(&e)
                            ),
                        ));
                        pending.clear();
                    }
                }
            }
            if !pending.is_empty() {
                collected.errors.push(error(
                    format!("aggregator {name}"),
                    kinds.iter().map(|k| (*k).to_string()).collect(),
                    format!(
                        "BatchGetAggregateResourceConfig {config_type}: {} items left unprocessed",
                        pending.len()
                    ),
                ));
            }
        }
    }

    // Coverage per account and region.
    let keys: Vec<(String, String)> = scopes.keys().cloned().collect();
    for (account, r) in keys {
        if failed.contains(&(account.clone(), r.clone())) {
            continue;
        }
        let scope = Scope::new(&account, &r);
        let out = scopes.entry((account.clone(), r.clone())).or_default();
        let seen = seen_types
            .get(&(account.clone(), r.clone()))
            .cloned()
            .unwrap_or_default();
        let recorder = recorders.get(&(account.clone(), r.clone()));
        for (config_type, kinds) in TYPES {
            if (r == GLOBAL) != is_global(config_type) {
                continue;
            }
            let covered = match recorder {
                Some(rec) => rec.covers(config_type),
                None => {
                    // Global items are reported from the recording region; count them there.
                    let seen_any = if is_global(config_type) {
                        seen_types
                            .iter()
                            .any(|((a, _), types)| a == &account && types.contains(*config_type))
                    } else {
                        seen.contains(*config_type)
                    };
                    if seen_any {
                        true
                    } else {
                        out.missing(
                            &scope,
                            SERVICE,
                            kinds,
                            format!(
                                "the aggregator holds no recorder settings and no {config_type} items for this account/region: \
                                 cannot tell none from not recorded; {} not collected",
                                kinds[0]
                            ),
                        );
                        continue;
                    }
                }
            };
            if covered {
                out.covers(kinds);
            } else {
                not_recorded(&scope, config_type, true, out);
            }
        }
    }
    for (key, resources) in mapped.by_scope() {
        scopes.entry(key).or_default().resources.extend(resources);
    }
    let mut errors = mapped.gap_errors();
    let total: usize = scopes.values().map(|o| o.resources.len()).sum();
    for ((account, r), out) in scopes {
        record(collected, &Scope::new(&account, &r), out);
    }
    collected.errors.append(&mut errors);
    progress.end(&label, SERVICE, total, collected.errors.len());
}

/// Runs an aggregate advanced query to the last page; each result row as JSON.
async fn select(client: &Client, aggregator: &str, expression: &str) -> Result<Vec<Value>, String> {
    let pages = client
        .select_aggregate_resource_config()
        .configuration_aggregator_name(aggregator)
        .expression(expression)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| describe(&e))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.results())
        .filter_map(|r| serde_json::from_str(r).ok())
        .collect())
}

fn record(collected: &mut Collected, scope: &Scope, mut out: Out) {
    out.finish();
    collected.runs.push(CollectorRun {
        collector: COLLECTOR.into(),
        scope: scope.label(),
        resources: out.resources.len(),
        kinds: out.kinds,
    });
    collected.resources.extend(out.resources);
    collected.errors.extend(out.errors);
}

// ---------------------------------------------------------------- mapping

/// Resources mapped from configuration items, and the attributes items did not carry.
#[derive(Default)]
struct Mapped {
    resources: Vec<Resource>,
    /// (scope label, kind, pointer) -> how many resources lack it.
    gaps: BTreeMap<(String, String, String), usize>,
}

impl Mapped {
    /// Marks `pointer` of `r` as unknown because the configuration item does not carry it.
    fn gap(&mut self, r: &mut Resource, pointer: &str) {
        set_pointer(&mut r.attrs, pointer, Value::Null);
        r.unknown.insert(pointer.to_string());
        if let crate::inventory::Source::Aws { account, region } = &r.source {
            *self
                .gaps
                .entry((
                    format!("{account}/{region}/{SERVICE}"),
                    r.kind.clone(),
                    pointer.to_string(),
                ))
                .or_default() += 1;
        }
    }

    fn gap_errors(&self) -> Vec<CollectError> {
        self.gaps
            .iter()
            .map(|((scope, kind, pointer), count)| {
                error(
                    scope.clone(),
                    Vec::new(),
                    format!("{count} {kind}: {pointer} not read: the AWS Config configuration item does not carry it"),
                )
            })
            .collect()
    }

    fn finish_into(self, out: &mut Out) {
        out.errors.extend(self.gap_errors());
        out.resources.extend(self.resources);
    }

    fn by_scope(&mut self) -> BTreeMap<(String, String), Vec<Resource>> {
        let mut map: BTreeMap<(String, String), Vec<Resource>> = BTreeMap::new();
        for r in std::mem::take(&mut self.resources) {
            if let crate::inventory::Source::Aws { account, region } = &r.source {
                map.entry((account.clone(), region.clone()))
                    .or_default()
                    .push(r);
            }
        }
        map
    }
}

/// A key of a JSON object, compared case-insensitively (Config writes `dBInstanceIdentifier`,
/// `sSEDescription`, `multiAZ`).
fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let map = v.as_object()?;
    map.get(key)
        .or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

fn path<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v, |v, k| get(v, k))
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    get(v, key).and_then(Value::as_str).map(str::to_string)
}

fn sv(v: &Value, key: &str) -> Value {
    get(v, key).cloned().map_or(Value::Null, |x| match x {
        Value::String(_) => x,
        Value::Null => Value::Null,
        other => Value::String(other.to_string()),
    })
}

fn se(v: &Value, key: &str) -> Value {
    match sv(v, key) {
        Value::Null => json!(""),
        x => x,
    }
}

fn bv(v: &Value, key: &str) -> Value {
    match get(v, key) {
        Some(Value::Bool(b)) => json!(b),
        Some(Value::String(s)) => json!(s.eq_ignore_ascii_case("true")),
        _ => Value::Null,
    }
}

fn nv(v: &Value, key: &str) -> Value {
    match get(v, key) {
        Some(Value::Number(n)) => Value::Number(n.clone()),
        Some(Value::String(s)) => s.parse::<i64>().map_or(Value::Null, |n| json!(n)),
        _ => Value::Null,
    }
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    get(v, key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Config often nests JSON in strings (twice for an S3 bucket's ACL).
fn parse_nested(v: Value) -> Value {
    match v {
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            Ok(inner) => parse_nested(inner),
            Err(_) => Value::String(s),
        },
        other => other,
    }
}

/// Tags from an item: a `tags`/`tagList` list of `{key, value}` or a map.
fn item_tags(config: &Value) -> Option<Value> {
    let tags = get(config, "tags").or_else(|| get(config, "tagList"))?;
    match tags {
        Value::Object(map) => Some(Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = v
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| str_of(v, "Value"))
                        .unwrap_or_default();
                    (k.clone(), Value::String(v))
                })
                .collect(),
        )),
        Value::Array(items) => Some(Value::Object(
            items
                .iter()
                .filter_map(|t| {
                    Some((
                        str_of(t, "key")?,
                        Value::String(str_of(t, "value").unwrap_or_default()),
                    ))
                })
                .collect::<Map<_, _>>(),
        )),
        _ => None,
    }
}

fn map_item(account: &str, item: &BaseConfigurationItem, mapped: &mut Mapped) {
    if matches!(
        item.configuration_item_status().map(|s| s.as_str()),
        Some("ResourceDeleted" | "ResourceNotRecorded" | "ResourceDeletedNotRecorded")
    ) {
        return;
    }
    let Some(config_type) = item.resource_type().map(|t| t.as_str().to_string()) else {
        return;
    };
    let region = match item.aws_region() {
        _ if is_global(&config_type) => GLOBAL.to_string(),
        Some(r) => r.to_string(),
        None => return,
    };
    let scope = Scope::new(account, &region);
    let config = parse_nested(Value::String(
        item.configuration().unwrap_or("{}").to_string(),
    ));
    let supplementary: HashMap<String, Value> = item
        .supplementary_configuration()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), parse_nested(Value::String(v.clone()))))
                .collect()
        })
        .unwrap_or_default();
    let item = Item {
        scope,
        id: item.resource_id().unwrap_or_default().to_string(),
        name: item
            .resource_name()
            .or(item.resource_id())
            .unwrap_or_default()
            .to_string(),
        arn: item.arn().map(str::to_string),
        config,
        supplementary,
    };
    match config_type.as_str() {
        "AWS::S3::Bucket" => s3_bucket(&item, mapped),
        "AWS::EC2::VPC" => vpc(&item, mapped),
        "AWS::EC2::Subnet" => subnet(&item, mapped),
        "AWS::EC2::SecurityGroup" => security_group(&item, mapped),
        "AWS::EC2::FlowLog" => flow_log(&item, mapped),
        "AWS::EC2::Volume" => volume(&item, mapped),
        "AWS::EC2::Instance" => instance(&item, mapped),
        "AWS::RDS::DBInstance" => db_instance(&item, mapped),
        "AWS::RDS::DBCluster" => db_cluster(&item, mapped),
        "AWS::DynamoDB::Table" => dynamodb_table(&item, mapped),
        "AWS::KMS::Key" => kms_key(&item, mapped),
        "AWS::Logs::LogGroup" => log_group(&item, mapped),
        "AWS::CloudTrail::Trail" => trail(&item, mapped),
        "AWS::IAM::User" => iam_principal(&item, "aws_iam_user", "user", mapped),
        "AWS::IAM::Role" => iam_principal(&item, "aws_iam_role", "role", mapped),
        "AWS::IAM::Group" => iam_principal(&item, "aws_iam_group", "group", mapped),
        "AWS::IAM::Policy" => iam_policy(&item, mapped),
        _ => {}
    }
}

/// One configuration item, parsed.
struct Item {
    scope: Scope,
    id: String,
    name: String,
    arn: Option<String>,
    config: Value,
    supplementary: HashMap<String, Value>,
}

impl Item {
    fn sup(&self, key: &str) -> Option<&Value> {
        self.supplementary.get(key).filter(|v| !v.is_null())
    }

    /// The main resource, with tags from the item (unknown when it carries none).
    fn resource(&self, kind: &str, name: &str, mut attrs: Value, mapped: &mut Mapped) -> Resource {
        let tags = item_tags(&self.config);
        attrs["arn"] = attrs
            .get("arn")
            .cloned()
            .filter(|a| !a.is_null())
            .unwrap_or_else(|| json!(self.arn));
        let mut r = self.scope.resource(kind, name, self.arn.clone(), attrs);
        match tags {
            Some(t) => r.attrs["tags"] = t,
            None => mapped.gap(&mut r, "/tags"),
        }
        r
    }
}

fn s3_bucket(item: &Item, mapped: &mut Mapped) {
    let name = &item.name;
    let arn = format!("arn:{}:s3:::{name}", item.scope.partition());
    let sat = |kind: &str, mut attrs: Value| {
        attrs["id"] = json!(name);
        attrs["bucket"] = json!(name);
        item.scope.resource(kind, name, Some(name.clone()), attrs)
    };
    let mut bucket = item.scope.resource(
        "aws_s3_bucket",
        name,
        Some(arn.clone()),
        json!({"id": name, "bucket": name, "arn": arn, "region": item.scope.region.as_ref()}),
    );
    let tags = item
        .sup("BucketTaggingConfiguration")
        .and_then(|t| list(t, "tagSets").first())
        .and_then(|set| get(set, "tags"))
        .cloned();
    bucket.attrs["tags"] = tags.unwrap_or(json!({}));

    match item.sup("ServerSideEncryptionConfiguration") {
        Some(sse) => {
            let rules: Vec<Value> = list(sse, "rules")
                .iter()
                .map(|r| {
                    let d = get(r, "applyServerSideEncryptionByDefault")
                        .cloned()
                        .unwrap_or(Value::Null);
                    json!({
                        "apply_server_side_encryption_by_default": [{
                            "sse_algorithm": sv(&d, "sseAlgorithm"),
                            "kms_master_key_id": se(&d, "kmsMasterKeyID"),
                        }],
                        "bucket_key_enabled": bv(r, "bucketKeyEnabled"),
                    })
                })
                .collect();
            mapped.resources.push(sat(
                "aws_s3_bucket_server_side_encryption_configuration",
                json!({"rule": rules}),
            ));
        }
        None => {
            let mut r = sat(
                "aws_s3_bucket_server_side_encryption_configuration",
                json!({}),
            );
            mapped.gap(&mut r, "/rule");
            mapped.resources.push(r);
        }
    }

    let mut versioning = sat("aws_s3_bucket_versioning", json!({}));
    match item.sup("BucketVersioningConfiguration") {
        Some(v) => {
            let status = match str_of(v, "status").as_deref() {
                Some("Enabled") => "Enabled",
                Some("Suspended") => "Suspended",
                _ => "Disabled",
            };
            let mfa = if get(v, "isMfaDeleteEnabled").and_then(Value::as_bool) == Some(true) {
                "Enabled"
            } else {
                "Disabled"
            };
            versioning.attrs["versioning_configuration"] =
                json!([{"status": status, "mfa_delete": mfa}]);
        }
        None => mapped.gap(&mut versioning, "/versioning_configuration"),
    }
    mapped.resources.push(versioning);

    match item.sup("BucketLoggingConfiguration") {
        Some(l) => {
            if let Some(target) = str_of(l, "destinationBucketName") {
                mapped.resources.push(sat(
                    "aws_s3_bucket_logging",
                    json!({"target_bucket": target, "target_prefix": se(l, "logFilePrefix")}),
                ));
            }
        }
        None => mapped.gap(&mut bucket, "/logging"),
    }

    if let Some(p) = item.sup("PublicAccessBlockConfiguration") {
        let flag = |k: &str| json!(get(p, k).and_then(Value::as_bool).unwrap_or(false));
        mapped.resources.push(sat(
            "aws_s3_bucket_public_access_block",
            json!({
                "block_public_acls": flag("blockPublicAcls"),
                "ignore_public_acls": flag("ignorePublicAcls"),
                "block_public_policy": flag("blockPublicPolicy"),
                "restrict_public_buckets": flag("restrictPublicBuckets"),
            }),
        ));
    }

    match item.sup("BucketPolicy") {
        Some(p) => {
            if let Some(text) = str_of(p, "policyText") {
                mapped.resources.push(sat(
                    "aws_s3_bucket_policy",
                    json!({"policy": policy_document(&text)}),
                ));
            }
        }
        None => mapped.gap(&mut bucket, "/policy"),
    }

    if let Some(l) = item.sup("BucketLifecycleConfiguration") {
        let rules: Vec<Value> = list(l, "rules")
            .iter()
            .map(|r| {
                let transitions: Vec<Value> = list(r, "transitions")
                    .iter()
                    .map(|t| json!({"days": nv(t, "days"), "storage_class": sv(t, "storageClass")}))
                    .collect();
                let expiration = match nv(r, "expirationInDays") {
                    Value::Null => json!([]),
                    days => json!([{"days": days}]),
                };
                json!({"id": sv(r, "id"), "status": sv(r, "status"), "transition": transitions, "expiration": expiration})
            })
            .collect();
        mapped.resources.push(sat(
            "aws_s3_bucket_lifecycle_configuration",
            json!({"rule": rules}),
        ));
    }

    if let Some(rep) = item.sup("BucketReplicationConfiguration") {
        let rules: Vec<Value> = match get(rep, "rules") {
            Some(Value::Object(map)) => map
                .iter()
                .map(|(id, r)| {
                    json!({
                        "id": id,
                        "status": sv(r, "status"),
                        "destination": [{"bucket": path(r, &["destinationConfig", "bucketARN"]).cloned().unwrap_or(Value::Null)}],
                    })
                })
                .collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|r| json!({"id": sv(r, "id"), "status": sv(r, "status"), "destination": [{"bucket": path(r, &["destination", "bucket"]).cloned().unwrap_or(Value::Null)}]}))
                .collect(),
            _ => Vec::new(),
        };
        mapped.resources.push(sat(
            "aws_s3_bucket_replication_configuration",
            json!({"role": sv(rep, "roleARN"), "rule": rules}),
        ));
    }

    if let Some(acl) = item.sup("AccessControlList") {
        let grants: Vec<Value> = list(acl, "grantList")
            .iter()
            .map(|g| {
                let grantee = match get(g, "grantee") {
                    Some(Value::String(group)) => json!([{
                        "type": "Group",
                        "uri": format!("http://acs.amazonaws.com/groups/global/{group}"),
                        "id": null,
                    }]),
                    Some(other) => {
                        json!([{"type": "CanonicalUser", "id": sv(other, "id"), "uri": null}])
                    }
                    None => json!([]),
                };
                let permission = str_of(g, "permission").map(|p| match p.as_str() {
                    "FullControl" => "FULL_CONTROL".to_string(),
                    "ReadAcp" => "READ_ACP".to_string(),
                    "WriteAcp" => "WRITE_ACP".to_string(),
                    other => other.to_ascii_uppercase(),
                });
                json!({"permission": permission, "grantee": grantee})
            })
            .collect();
        mapped.resources.push(sat(
            "aws_s3_bucket_acl",
            json!({"access_control_policy": [{"grant": grants, "owner": [{"id": path(acl, &["owner", "id"]).cloned().unwrap_or(Value::Null)}]}]}),
        ));
    }

    // AWS Config does not record a bucket's object lock settings.
    mapped.gap(&mut bucket, "/object_lock_enabled");
    mapped.resources.push(bucket);
}

fn vpc(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let r = item.resource(
        "aws_vpc",
        &item.id,
        json!({
            "id": item.id,
            "cidr_block": sv(c, "cidrBlock"),
            "instance_tenancy": sv(c, "instanceTenancy"),
            "dhcp_options_id": sv(c, "dhcpOptionsId"),
            "owner_id": sv(c, "ownerId"),
            "default": bv(c, "isDefault"),
        }),
        mapped,
    );
    mapped.resources.push(r);
}

fn subnet(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let r = item.resource(
        "aws_subnet",
        &item.id,
        json!({
            "id": item.id,
            "vpc_id": sv(c, "vpcId"),
            "cidr_block": sv(c, "cidrBlock"),
            "availability_zone": sv(c, "availabilityZone"),
            "map_public_ip_on_launch": bv(c, "mapPublicIpOnLaunch"),
            "owner_id": sv(c, "ownerId"),
        }),
        mapped,
    );
    mapped.resources.push(r);
}

fn sg_rules(permissions: &[Value]) -> Value {
    Value::Array(
        permissions
            .iter()
            .map(|p| {
                let protocol = str_of(p, "ipProtocol").unwrap_or_else(|| "-1".into());
                let (from, to) = if protocol == "-1" {
                    (json!(0), json!(0))
                } else {
                    (nv(p, "fromPort"), nv(p, "toPort"))
                };
                // Config lists IPv4 ranges as `ipv4Ranges: [{cidrIp}]` and as `ipRanges: ["..."]`.
                let mut cidrs: Vec<String> = list(p, "ipv4Ranges")
                    .iter()
                    .filter_map(|r| str_of(r, "cidrIp"))
                    .collect();
                if cidrs.is_empty() {
                    cidrs = list(p, "ipRanges")
                        .iter()
                        .filter_map(|r| {
                            r.as_str()
                                .map(str::to_string)
                                .or_else(|| str_of(r, "cidrIp"))
                        })
                        .collect();
                }
                let v6: Vec<String> = list(p, "ipv6Ranges")
                    .iter()
                    .filter_map(|r| str_of(r, "cidrIpv6"))
                    .collect();
                let groups: Vec<String> = list(p, "userIdGroupPairs")
                    .iter()
                    .filter_map(|g| str_of(g, "groupId"))
                    .collect();
                let prefixes: Vec<String> = list(p, "prefixListIds")
                    .iter()
                    .filter_map(|g| str_of(g, "prefixListId"))
                    .collect();
                json!({
                    "protocol": protocol,
                    "from_port": from,
                    "to_port": to,
                    "cidr_blocks": cidrs,
                    "ipv6_cidr_blocks": v6,
                    "prefix_list_ids": prefixes,
                    "security_groups": groups,
                    "self": false,
                    "description": "",
                })
            })
            .collect(),
    )
}

fn security_group(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let mut r = item.resource(
        "aws_security_group",
        &item.id,
        json!({
            "id": item.id,
            "name": sv(c, "groupName"),
            "description": sv(c, "description"),
            "vpc_id": sv(c, "vpcId"),
            "owner_id": sv(c, "ownerId"),
            "ingress": sg_rules(list(c, "ipPermissions")),
            "egress": sg_rules(list(c, "ipPermissionsEgress")),
        }),
        mapped,
    );
    if let Some(name) = str_of(c, "groupName") {
        r.name = format!("{name} ({})", item.id);
    }
    mapped.resources.push(r);
}

fn flow_log(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let target = str_of(c, "resourceId").unwrap_or_default();
    let field = match target.split('-').next() {
        Some("subnet") => "subnet_id",
        Some("eni") => "eni_id",
        _ => "vpc_id",
    };
    let mut attrs = json!({
        "id": item.id,
        "traffic_type": sv(c, "trafficType"),
        "log_destination": sv(c, "logDestination"),
        "log_destination_type": sv(c, "logDestinationType"),
        "log_group_name": sv(c, "logGroupName"),
        "iam_role_arn": sv(c, "deliverLogsPermissionArn"),
        "max_aggregation_interval": nv(c, "maxAggregationInterval"),
    });
    attrs[field] = json!(target);
    let r = item.resource("aws_flow_log", &item.id, attrs, mapped);
    mapped.resources.push(r);
}

fn volume(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let r = item.resource(
        "aws_ebs_volume",
        &item.id,
        json!({
            "id": item.id,
            "availability_zone": sv(c, "availabilityZone"),
            "encrypted": bv(c, "encrypted"),
            "kms_key_id": se(c, "kmsKeyId"),
            "size": nv(c, "size"),
            "type": sv(c, "volumeType"),
            "iops": nv(c, "iops"),
            "throughput": nv(c, "throughput"),
            "snapshot_id": se(c, "snapshotId"),
            "multi_attach_enabled": bv(c, "multiAttachEnabled"),
        }),
        mapped,
    );
    mapped.resources.push(r);
}

fn instance(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let metadata = get(c, "metadataOptions").map(|m| {
        json!([{
            "http_endpoint": sv(m, "httpEndpoint"),
            "http_tokens": sv(m, "httpTokens"),
            "http_put_response_hop_limit": nv(m, "httpPutResponseHopLimit"),
        }])
    });
    let profile = path(c, &["iamInstanceProfile", "arn"])
        .and_then(Value::as_str)
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or_default();
    let r = item.resource(
        "aws_instance",
        &item.id,
        json!({
            "id": item.id,
            "ami": sv(c, "imageId"),
            "instance_type": sv(c, "instanceType"),
            "instance_state": path(c, &["state", "name"]).cloned().unwrap_or(Value::Null),
            "availability_zone": path(c, &["placement", "availabilityZone"]).cloned().unwrap_or(Value::Null),
            "subnet_id": sv(c, "subnetId"),
            "vpc_security_group_ids": list(c, "securityGroups").iter().filter_map(|g| str_of(g, "groupId")).collect::<Vec<_>>(),
            "associate_public_ip_address": json!(get(c, "publicIpAddress").is_some()),
            "public_ip": se(c, "publicIpAddress"),
            "private_ip": sv(c, "privateIpAddress"),
            "iam_instance_profile": profile,
            "key_name": se(c, "keyName"),
            "monitoring": json!(path(c, &["monitoring", "state"]).and_then(Value::as_str) == Some("enabled")),
            "ebs_optimized": bv(c, "ebsOptimized"),
            "metadata_options": metadata.unwrap_or(json!([])),
        }),
        mapped,
    );
    mapped.resources.push(r);
}

fn strings_of(v: &Value, key: &str) -> Vec<String> {
    list(v, key)
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn db_instance(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "dBInstanceIdentifier").unwrap_or_else(|| item.name.clone());
    let cluster = str_of(c, "dBClusterIdentifier");
    let kind = if cluster.is_some() {
        "aws_rds_cluster_instance"
    } else {
        "aws_db_instance"
    };
    let r = item.resource(
        kind,
        &name,
        json!({
            "id": sv(c, "dbiResourceId"),
            "identifier": name,
            "arn": sv(c, "dBInstanceArn"),
            "resource_id": sv(c, "dbiResourceId"),
            "cluster_identifier": json!(cluster),
            "engine": sv(c, "engine"),
            "engine_version": sv(c, "engineVersion"),
            "instance_class": sv(c, "dBInstanceClass"),
            "allocated_storage": nv(c, "allocatedStorage"),
            "storage_type": sv(c, "storageType"),
            "storage_encrypted": bv(c, "storageEncrypted"),
            "kms_key_id": se(c, "kmsKeyId"),
            "publicly_accessible": bv(c, "publiclyAccessible"),
            "multi_az": bv(c, "multiAZ"),
            "availability_zone": sv(c, "availabilityZone"),
            "backup_retention_period": nv(c, "backupRetentionPeriod"),
            "deletion_protection": bv(c, "deletionProtection"),
            "iam_database_authentication_enabled": bv(c, "iAMDatabaseAuthenticationEnabled"),
            "enabled_cloudwatch_logs_exports": strings_of(c, "enabledCloudwatchLogsExports"),
            "auto_minor_version_upgrade": bv(c, "autoMinorVersionUpgrade"),
            "copy_tags_to_snapshot": bv(c, "copyTagsToSnapshot"),
            "ca_cert_identifier": sv(c, "cACertificateIdentifier"),
            "vpc_security_group_ids": list(c, "vpcSecurityGroups").iter().filter_map(|g| str_of(g, "vpcSecurityGroupId")).collect::<Vec<_>>(),
            "username": sv(c, "masterUsername"),
        }),
        mapped,
    );
    mapped.resources.push(r);
}

fn db_cluster(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "dBClusterIdentifier").unwrap_or_else(|| item.name.clone());
    let members: Vec<Value> = list(c, "dBClusterMembers")
        .iter()
        .map(|m| json!({"db_instance_identifier": sv(m, "dBInstanceIdentifier"), "is_cluster_writer": bv(m, "isClusterWriter")}))
        .collect();
    let r = item.resource(
        "aws_rds_cluster",
        &name,
        json!({
            "id": name,
            "cluster_identifier": name,
            "arn": sv(c, "dBClusterArn"),
            "engine": sv(c, "engine"),
            "engine_mode": se(c, "engineMode"),
            "engine_version": sv(c, "engineVersion"),
            "db_cluster_instance_class": se(c, "dBClusterInstanceClass"),
            "storage_encrypted": bv(c, "storageEncrypted"),
            "kms_key_id": se(c, "kmsKeyId"),
            "backup_retention_period": nv(c, "backupRetentionPeriod"),
            "deletion_protection": bv(c, "deletionProtection"),
            "iam_database_authentication_enabled": bv(c, "iAMDatabaseAuthenticationEnabled"),
            "enabled_cloudwatch_logs_exports": strings_of(c, "enabledCloudwatchLogsExports"),
            "global_cluster_identifier": se(c, "globalClusterIdentifier"),
            "replication_source_identifier": se(c, "replicationSourceIdentifier"),
            "availability_zones": strings_of(c, "availabilityZones"),
            "copy_tags_to_snapshot": bv(c, "copyTagsToSnapshot"),
            "cluster_members": members,
        }),
        mapped,
    );
    mapped.resources.push(r);
}

fn dynamodb_table(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "tableName").unwrap_or_else(|| item.name.clone());
    let key = |kind: &str| {
        list(c, "keySchema")
            .iter()
            .find(|k| str_of(k, "keyType").as_deref() == Some(kind))
            .map_or(Value::Null, |k| sv(k, "attributeName"))
    };
    let sse: Vec<Value> = get(c, "sSEDescription")
        .filter(|d| str_of(d, "status").as_deref() == Some("ENABLED"))
        .map(|d| json!({"enabled": true, "kms_key_arn": sv(d, "kMSMasterKeyArn")}))
        .into_iter()
        .collect();
    let mut r = item.resource(
        "aws_dynamodb_table",
        &name,
        json!({
            "id": name,
            "name": name,
            "arn": sv(c, "tableArn"),
            "billing_mode": path(c, &["billingModeSummary", "billingMode"]).cloned().unwrap_or(json!("PROVISIONED")),
            "hash_key": key("HASH"),
            "range_key": key("RANGE"),
            "deletion_protection_enabled": bv(c, "deletionProtectionEnabled"),
            "server_side_encryption": sse,
            "replica": list(c, "replicas").iter().map(|r| json!({"region_name": sv(r, "regionName")})).collect::<Vec<_>>(),
        }),
        mapped,
    );
    match item.sup("ContinuousBackupsDescription") {
        Some(d) => {
            let status = path(
                d,
                &[
                    "pointInTimeRecoveryDescription",
                    "pointInTimeRecoveryStatus",
                ],
            )
            .and_then(Value::as_str);
            r.attrs["point_in_time_recovery"] = json!([{"enabled": status == Some("ENABLED")}]);
        }
        None => mapped.gap(&mut r, "/point_in_time_recovery"),
    }
    mapped.resources.push(r);
}

fn kms_key(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    if str_of(c, "keyManager").as_deref() == Some("AWS") {
        return;
    }
    let id = str_of(c, "keyId").unwrap_or_else(|| item.id.clone());
    let mut r = item.resource(
        "aws_kms_key",
        &id,
        json!({
            "id": id,
            "key_id": id,
            "description": sv(c, "description"),
            "key_usage": sv(c, "keyUsage"),
            "customer_master_key_spec": get(c, "keySpec").or(get(c, "customerMasterKeySpec")).cloned().unwrap_or(Value::Null),
            "is_enabled": bv(c, "enabled"),
            "multi_region": bv(c, "multiRegion"),
            "key_state": sv(c, "keyState"),
        }),
        mapped,
    );
    match item
        .sup("KeyRotationStatus")
        .or_else(|| get(c, "keyRotationEnabled"))
    {
        Some(v) => {
            r.attrs["enable_key_rotation"] =
                json!(v.as_bool().unwrap_or(false) || v.as_str() == Some("true"))
        }
        None => mapped.gap(&mut r, "/enable_key_rotation"),
    }
    mapped.resources.push(r);
}

fn log_group(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "logGroupName").unwrap_or_else(|| item.name.clone());
    let retention = match nv(c, "retentionInDays") {
        Value::Null => json!(0),
        days => days,
    };
    let r = item.resource(
        "aws_cloudwatch_log_group",
        &name,
        json!({
            "id": name,
            "name": name,
            "retention_in_days": retention,
            "kms_key_id": se(c, "kmsKeyId"),
            "log_group_class": sv(c, "logGroupClass"),
        }),
        mapped,
    );
    mapped.resources.push(r);
}

fn trail(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "name").unwrap_or_else(|| item.name.clone());
    let mut r = item.resource(
        "aws_cloudtrail",
        &name,
        json!({
            "id": sv(c, "trailARN"),
            "name": name,
            "arn": sv(c, "trailARN"),
            "home_region": sv(c, "homeRegion"),
            "s3_bucket_name": sv(c, "s3BucketName"),
            "s3_key_prefix": se(c, "s3KeyPrefix"),
            "is_multi_region_trail": bv(c, "isMultiRegionTrail"),
            "is_organization_trail": bv(c, "isOrganizationTrail"),
            "include_global_service_events": bv(c, "includeGlobalServiceEvents"),
            "enable_log_file_validation": bv(c, "logFileValidationEnabled"),
            "kms_key_id": se(c, "kmsKeyId"),
            "cloud_watch_logs_group_arn": se(c, "cloudWatchLogsLogGroupArn"),
        }),
        mapped,
    );
    match item.sup("TrailStatus").and_then(|s| get(s, "isLogging")) {
        Some(v) => {
            let on = v.as_bool() == Some(true) || v.as_str() == Some("true");
            r.attrs["is_logging"] = json!(on);
            r.attrs["enable_logging"] = json!(on);
        }
        None => {
            mapped.gap(&mut r, "/is_logging");
            mapped.gap(&mut r, "/enable_logging");
        }
    }
    match item.sup("EventSelectors") {
        Some(sel) => {
            let selectors: Vec<Value> = sel
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_else(|| list(sel, "eventSelectors"))
                .iter()
                .map(|e| json!({"read_write_type": sv(e, "readWriteType"), "include_management_events": bv(e, "includeManagementEvents")}))
                .collect();
            r.attrs["event_selector"] = Value::Array(selectors);
        }
        None => mapped.gap(&mut r, "/event_selector"),
    }
    mapped.resources.push(r);
}

fn iam_principal(item: &Item, kind: &str, owner_field: &str, mapped: &mut Mapped) {
    let c = &item.config;
    let name_key = match owner_field {
        "user" => "userName",
        "role" => "roleName",
        _ => "groupName",
    };
    let name = str_of(c, name_key).unwrap_or_else(|| item.name.clone());
    let mut attrs = json!({
        "id": name,
        "name": name,
        "path": sv(c, "path"),
        "permissions_boundary": path(c, &["permissionsBoundary", "permissionsBoundaryArn"]).cloned().unwrap_or(json!("")),
    });
    if kind == "aws_iam_role" {
        attrs["assume_role_policy"] =
            str_of(c, "assumeRolePolicyDocument").map_or(Value::Null, |d| policy_document(&d));
    }
    let mut r = if kind == "aws_iam_group" {
        // Groups carry no tags.
        let mut attrs = attrs;
        attrs["arn"] = json!(item.arn);
        item.scope.resource(kind, &name, item.arn.clone(), attrs)
    } else {
        item.resource(kind, &name, attrs, mapped)
    };
    if kind == "aws_iam_user" {
        // Keys, MFA and console passwords are not in configuration items.
        for pointer in [
            "/access_keys",
            "/mfa_enabled",
            "/password_enabled",
            "/password_last_used",
        ] {
            mapped.gap(&mut r, pointer);
        }
    }
    mapped.resources.push(r);
    let policy_list = match owner_field {
        "user" => "userPolicyList",
        "role" => "rolePolicyList",
        _ => "groupPolicyList",
    };
    for p in list(c, policy_list) {
        let Some(policy_name) = str_of(p, "policyName") else {
            continue;
        };
        let id = format!("{name}:{policy_name}");
        mapped.resources.push(item.scope.resource(
            &format!("aws_iam_{owner_field}_policy"),
            &id,
            None,
            json!({
                "id": id,
                "name": policy_name,
                owner_field: name,
                "policy": str_of(p, "policyDocument").map_or(Value::Null, |d| policy_document(&d)),
            }),
        ));
    }
    for a in list(c, "attachedManagedPolicies") {
        let Some(arn) = str_of(a, "policyArn") else {
            continue;
        };
        let id = format!("{name}/{}", arn.rsplit('/').next().unwrap_or(&arn));
        mapped.resources.push(item.scope.resource(
            &format!("aws_iam_{owner_field}_policy_attachment"),
            &id,
            None,
            json!({"id": id, owner_field: name, "policy_arn": arn}),
        ));
    }
    if owner_field == "user" {
        let groups = strings_of(c, "groupList");
        if !groups.is_empty() {
            mapped.resources.push(item.scope.resource(
                "aws_iam_user_group_membership",
                &name,
                None,
                json!({"id": name, "user": name, "groups": groups}),
            ));
        }
    }
}

fn iam_policy(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "policyName").unwrap_or_else(|| item.name.clone());
    let document = list(c, "policyVersionList")
        .iter()
        .find(|v| get(v, "isDefaultVersion").and_then(Value::as_bool) == Some(true))
        .and_then(|v| str_of(v, "document"))
        .map_or(Value::Null, |d| policy_document(&d));
    let arn = str_of(c, "arn").or(item.arn.clone());
    let mut r = item.resource(
        "aws_iam_policy",
        &name,
        json!({
            "id": arn,
            "name": name,
            "arn": arn,
            "path": sv(c, "path"),
            "policy_id": sv(c, "policyId"),
            "description": se(c, "description"),
            "default_version_id": sv(c, "defaultVersionId"),
            "attachment_count": nv(c, "attachmentCount"),
            "policy": document,
        }),
        mapped,
    );
    if let Some(arn) = &arn {
        r.id = format!(
            "aws:{}:{}:aws_iam_policy:{arn}",
            item.scope.account, item.scope.region
        );
        r.cloud_id = Some(arn.clone());
    }
    mapped.resources.push(r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_groups_decide_coverage() {
        let all = Recording {
            on: true,
            all: true,
            ..Recording::default()
        };
        assert!(all.covers("AWS::S3::Bucket"));
        assert!(
            !all.covers("AWS::IAM::Role"),
            "global types need includeGlobalResourceTypes"
        );
        let stopped = Recording {
            on: false,
            all: true,
            global: true,
            ..Recording::default()
        };
        assert!(!stopped.covers("AWS::S3::Bucket"));
        let some = Recording::from_json(
            &json!({"allSupported": false, "resourceTypes": ["AWS::S3::Bucket"]}),
            true,
        );
        assert!(some.covers("AWS::S3::Bucket"));
        assert!(!some.covers("AWS::EC2::Volume"));
        let except = Recording::from_json(
            &json!({"exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::Volume"]}}),
            true,
        );
        assert!(except.covers("AWS::S3::Bucket") && !except.covers("AWS::EC2::Volume"));
    }

    #[test]
    fn nested_json_strings_are_unwrapped() {
        let twice = Value::String(serde_json::to_string(&r#"{"grantList":[]}"#).unwrap());
        assert_eq!(parse_nested(twice), json!({"grantList": []}));
        assert_eq!(
            get(&json!({"multiAZ": true}), "multiAz"),
            Some(&json!(true))
        );
    }
}
