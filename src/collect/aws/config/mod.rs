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
use serde_json::{Value, json};

use super::shared::{COLLECTOR, GLOBAL, Out, Scope, describe};
use super::{Progress, sdk};
use crate::collect::Collected;
use crate::inventory::{CollectError, CollectorRun};
use item::{Item, Mapped, get, parse_nested, str_of};
use types::{ConfigType, TYPES};

mod cloudtrail;
mod dynamodb;
mod ec2;
mod iam;
mod item;
mod kms;
mod logs;
mod rds;
mod s3;
mod types;

const SERVICE: &str = "config";

/// Config's global resource types: recorded once per account, in one region.
fn is_global(config_type: &str) -> bool {
    config_type.starts_with("AWS::IAM::")
}

fn kinds_of(config_type: &str) -> &'static [&'static str] {
    TYPES
        .iter()
        .find(|t| t.name == config_type)
        .map_or(&[], |t| t.kinds)
}

/// Every kind the Config source can produce.
pub fn kinds() -> Vec<&'static str> {
    let mut kinds: Vec<&str> = TYPES.iter().flat_map(|t| t.kinds.iter().copied()).collect();
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
        for ConfigType {
            name: config_type,
            kinds,
            ..
        } in TYPES
        {
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
    for ConfigType {
        name: config_type, ..
    } in TYPES.iter().filter(|t| is_global(t.name))
    {
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
    for ConfigType {
        name: config_type,
        kinds,
        ..
    } in TYPES
    {
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
        for ConfigType {
            name: config_type,
            kinds,
            ..
        } in TYPES
        {
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
    if let Some(t) = TYPES.iter().find(|t| t.name == config_type) {
        (t.map)(&item, mapped);
    }
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
}
