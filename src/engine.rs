//! The engine: (policies, inventory) -> findings, in parallel.
//!
//! Each resource is converted to a CEL value once, and only the policies indexed under its
//! kind are evaluated. A condition that is true passes. A condition that is false, or fails to
//! evaluate, is `unknown` when any value it read is unknown, and otherwise `fail` (or
//! `error`). Short-circuiting makes this sound: `a || b` is true as soon as one known side is.

use std::sync::Arc;

use cel::common::types::CelNull;
use cel::common::value::Val;
use cel::{Context, Value as Cel};
use rayon::prelude::*;
use serde_json::Value;

use crate::config::Settings;
use crate::findings::{Evidence, Finding, ResourceRef, Status, Waiver, fingerprint};
use crate::inventory::{CollectError, Location, Resource};
use crate::normalize::facets::{facet_attribute, facet_item_fields, facet_items};
use crate::policy::{Path, PathRoot, Policy, PolicySet, json_val, map_val, str_val};

/// Iterations one evaluation of a policy on a resource may take at most, estimated before
/// it runs ([`crate::policy::expr::Work::iterations`]): CEL has no cost limit of its own,
/// and comprehensions nested over large collections would otherwise run for hours. A
/// policy over the budget ends as a finding with status `error`, its message saying why.
pub const CEL_ITERATION_BUDGET: u128 = 100_000_000;

/// Resources per parallel task: large enough that building a CEL root context per task is
/// noise, small enough to balance the load.
const CHUNK: usize = 512;

/// The findings of every policy on every resource it applies to, plus problems found on the
/// way (suppressions without a reason or naming an unknown policy). Unsorted.
pub fn evaluate(
    policies: &PolicySet,
    settings: &Settings,
    resources: &[Resource],
) -> (Vec<Finding>, Vec<CollectError>) {
    let settings_json = settings.to_json();
    let gates = gates(policies, &settings_json);
    let chunks: Vec<Vec<Finding>> = resources
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut root = Context::default();
            root.add_variable_as_val("config", json_val(&settings_json));
            chunk
                .iter()
                .flat_map(|r| evaluate_resource(policies, &gates, &root, &settings_json, r))
                .collect()
        })
        .collect();
    // One allocation of the final size: growing one vector finding by finding copies and
    // faults in every intermediate size, which costs more than the policies at 100k resources.
    let mut findings = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
    for chunk in chunks {
        findings.extend(chunk);
    }
    (findings, suppression_problems(policies, resources))
}

/// What a policy's `when` comes to before any resource is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// The precondition reads the resource: evaluate it on each.
    PerResource,
    /// No precondition, or one on settings alone that holds.
    Open,
    /// A precondition on settings alone that does not hold: the policy applies to nothing.
    Closed,
}

/// Evaluates once the preconditions that read only settings
/// (`config.allowed_regions.size() > 0`), instead of once per resource. One that fails to evaluate stays per resource, where
/// it fails the same way and is reported as before.
fn gates(policies: &PolicySet, settings: &Value) -> Vec<Gate> {
    let mut root = Context::default();
    root.add_variable_as_val("config", json_val(settings));
    policies
        .iter()
        .map(|p| {
            let Some(when) = &p.when else {
                return Gate::Open;
            };
            let settings_only = p.when_reads.iter().all(|r| r.root == PathRoot::Config)
                && p.when_source
                    .as_deref()
                    .is_some_and(|w| !w.contains("resource"));
            if !settings_only {
                return Gate::PerResource;
            }
            match when.execute(&root) {
                Ok(Cel::Bool(true)) => Gate::Open,
                Ok(Cel::Bool(false)) => Gate::Closed,
                _ => Gate::PerResource,
            }
        })
        .collect()
}

fn evaluate_resource(
    policies: &PolicySet,
    gates: &[Gate],
    root: &Context<'_, '_>,
    settings: &Value,
    r: &Resource,
) -> Vec<Finding> {
    let Some(index) = policies.kind_index(&r.kind) else {
        return Vec::new();
    };
    let mut applicable = index
        .policies
        .iter()
        .filter(|&&i| gates[i] != Gate::Closed)
        .peekable();
    if applicable.peek().is_none() {
        return Vec::new();
    }
    let mut scope = root.new_inner_scope();
    scope.add_variable_as_val(
        "resource",
        resource_value(r, index.reads_attrs, index.facets.as_deref()),
    );
    let subject = Subject {
        r,
        reference: Arc::new(ResourceRef::from(r)),
        location: r.location().map(Arc::new),
        largest: std::cell::OnceCell::new(),
        evidence: std::cell::RefCell::default(),
    };
    applicable
        .filter_map(|&i| {
            judge(
                policies.at(i),
                gates[i] == Gate::PerResource,
                &scope,
                settings,
                &subject,
            )
        })
        .collect()
}

/// The CEL view of a resource: `id`, `kind`, `name`, `cloud_id`, `tags`, `facets` (those
/// named in `facets`, or all), and `attrs` when a policy reads them (attributes can be large;
/// facets are small). Strings are borrowed from the resource, not copied.
fn resource_value<'r>(
    r: &'r Resource,
    with_attrs: bool,
    facets: Option<&[String]>,
) -> Box<dyn Val + 'r> {
    resource_value_with(r, with_attrs, facets, None)
}

/// [`resource_value`] with one facet given another value (`instead`: name, value).
fn resource_value_with<'r>(
    r: &'r Resource,
    with_attrs: bool,
    facets: Option<&[String]>,
    instead: Option<(&str, &'r Value)>,
) -> Box<dyn Val + 'r> {
    let value = |k: &'r String, v: &'r Value| match instead {
        Some((name, other)) if name == k.as_str() => (k.as_str(), json_val(other)),
        _ => (k.as_str(), json_val(v)),
    };
    let facets = match facets {
        Some(names) => map_val(
            names
                .iter()
                .filter_map(|n| r.facets.get_key_value(n.as_str()))
                .map(|(k, v)| value(k, v)),
        ),
        None => map_val(r.facets.iter().map(|(k, v)| value(k, v))),
    };
    let mut entries: Vec<(&str, Box<dyn Val + '_>)> = vec![
        ("id", str_val(&r.id)),
        ("kind", str_val(&r.kind)),
        ("name", str_val(&r.name)),
        (
            "cloud_id",
            match &r.cloud_id {
                Some(c) => str_val(c),
                None => Box::new(CelNull),
            },
        ),
        (
            "tags",
            map_val(r.tags.iter().map(|(k, v)| (k.as_str(), str_val(v)))),
        ),
        ("facets", facets),
    ];
    if with_attrs {
        entries.push(("attrs", json_val(&r.attrs)));
    }
    map_val(entries)
}

/// The resource being judged, with the parts every finding on it shares.
struct Subject<'a> {
    r: &'a Resource,
    reference: Arc<ResourceRef>,
    location: Option<Arc<Location>>,
    /// The most elements of any list or map in the resource, computed when first needed.
    largest: std::cell::OnceCell<usize>,
    /// The evidence values read so far, by evidence key: the policies judging one resource
    /// share each value rather than each copying it.
    evidence: std::cell::RefCell<Vec<(Arc<str>, Arc<Value>)>>,
}

impl Subject<'_> {
    fn largest_collection(&self) -> usize {
        *self.largest.get_or_init(|| {
            let r = self.r;
            r.facets
                .values()
                .map(crate::policy::expr::largest_collection)
                .chain([
                    crate::policy::expr::largest_collection(&r.attrs),
                    r.facets.len(),
                    r.tags.len(),
                ])
                .max()
                .unwrap_or(0)
        })
    }
}

/// One policy on one resource; `None` when its `when` says it does not apply.
fn judge<'p>(
    p: &'p Policy,
    check_when: bool,
    scope: &Context<'_, '_>,
    settings: &Value,
    subject: &Subject<'_>,
) -> Option<Finding> {
    let r = subject.r;
    let unknown_among = |paths: &'p [Path]| -> Vec<&'p Path> {
        paths
            .iter()
            .filter(|path| path.root == PathRoot::Resource && reads_unknown(r, path))
            .collect()
    };
    let unknown_reads = || unknown_among(&p.reads);

    // One level of comprehension is linear in the input; deeper ones are estimated first.
    if p.work.depth >= 2 {
        let largest = subject
            .largest_collection()
            .max(crate::policy::expr::largest_collection(settings));
        let iterations = p.work.iterations(largest);
        if iterations > CEL_ITERATION_BUDGET {
            return Some(finding(
                p,
                subject,
                settings,
                Status::Error,
                format!(
                    "not evaluated: comprehensions nested {} deep over collections of up to {} elements could take {iterations} iterations, over the budget of {CEL_ITERATION_BUDGET}",
                    p.work.depth,
                    largest.max(p.work.literal)
                )
                .into(),
            ));
        }
    }

    if let Some(when) = p.when.as_ref().filter(|_| check_when) {
        // Only what the precondition itself reads can make it unknown.
        let when_unknown = || unknown_among(&p.when_reads);
        match when.execute(scope) {
            Ok(Cel::Bool(true)) => {}
            Ok(Cel::Bool(false)) if when_unknown().is_empty() => return None,
            // An unknown precondition leaves the verdict unknown too.
            Ok(_) | Err(_) => {
                let unknown = when_unknown();
                if unknown.is_empty() {
                    return None;
                }
                return Some(finding(
                    p,
                    subject,
                    settings,
                    Status::Unknown,
                    unknown_message(r, &unknown).into(),
                ));
            }
        }
    }

    let (status, message) = match p.condition.execute(scope) {
        Ok(Cel::Bool(true)) => (Status::Pass, p.title.clone()),
        outcome => {
            let unknown = unknown_reads();
            if !unknown.is_empty() {
                (Status::Unknown, unknown_message(r, &unknown).into())
            } else {
                match outcome {
                    Ok(Cel::Bool(false)) => (Status::Fail, fail_message(p, scope).into()),
                    Ok(other) => (
                        Status::Error,
                        format!("condition gave {}, expected a bool", other.type_of()).into(),
                    ),
                    Err(e) => (Status::Error, format!("condition failed: {e}").into()),
                }
            }
        }
    };
    let mut f = finding(p, subject, settings, status, message);
    if matches!(f.status, Status::Fail | Status::Unknown)
        && let Some(at) = attribute_location(p, r, f.status, subject.location.as_deref(), scope)
    {
        f.location = Some(at);
    }
    if matches!(f.status, Status::Fail | Status::Unknown | Status::Error)
        && let Some(s) = r
            .suppressions
            .iter()
            .find(|s| s.policy_id == p.doc.id && !s.reason.trim().is_empty())
    {
        f.status = Status::Waived;
        f.waiver = Some(Box::new(Waiver {
            reason: s.reason.clone(),
            source: s
                .at
                .clone()
                .map_or_else(|| "inline".into(), |at| format!("inline {at}")),
            approved_by: None,
            expires: None,
        }));
    }
    Some(f)
}

/// A verdict that rests on one attribute points at that attribute's line, when the source
/// recorded where attributes were written: the one resource path the condition reads (for an
/// unknown, the one path read that is unknown), as an `attrs.*` path, `tags`, a facet that
/// is one attribute ([`facet_attribute`]), or a facet listing items with their lines.
/// When a transformation set that attribute (a Kustomize patch), the finding points at the
/// file and line that set it instead ([`origin_location`]).
fn attribute_location(
    p: &Policy,
    r: &Resource,
    status: Status,
    block: Option<&Location>,
    scope: &Context<'_, '_>,
) -> Option<Arc<Location>> {
    let block = block?;
    if !r.attr_origins.is_empty()
        && let Some(at) = origin_location(p, r, status, scope)
    {
        return Some(at);
    }
    if r.attr_lines.is_empty() {
        return None;
    }
    let read = if status == Status::Unknown {
        &p.reads
    } else {
        &p.condition_reads
    };
    let mut on: Vec<&Path> = read
        .iter()
        .filter(|path| {
            path.root == PathRoot::Resource
                && matches!(
                    path.segments.first().map(String::as_str),
                    Some("attrs" | "facets" | "tags")
                )
        })
        .collect();
    if status == Status::Unknown {
        on.retain(|path| reads_unknown(r, path));
    }
    let [path] = on.as_slice() else {
        return None;
    };
    let segs = &path.segments;
    let line = match segs[0].as_str() {
        "attrs" => r.attr_line(&pointer(&segs[1..]))?,
        "tags" => r.attr_line("/tags")?,
        _ => {
            let facet = segs.get(1)?;
            match facet_attribute(&r.kind, facet) {
                Some(pointer) => r.attr_line(pointer)?,
                None => first_item_line(r.facets.get(facet.as_str())?)?,
            }
        }
    };
    Some(Arc::new(Location {
        start_line: line,
        end_line: line,
        ..block.clone()
    }))
}

/// The one resource path a verdict rests on (as [`attribute_location`] chooses it).
fn verdict_path(p: &Policy, r: &Resource, status: Status) -> Option<Path> {
    let read = if status == Status::Unknown {
        &p.reads
    } else {
        &p.condition_reads
    };
    let mut on = read.iter().filter(|path| {
        path.root == PathRoot::Resource
            && matches!(
                path.segments.first().map(String::as_str),
                Some("attrs" | "facets" | "tags")
            )
            && (status != Status::Unknown || reads_unknown(r, path))
    });
    match (on.next(), on.next()) {
        (Some(path), None) => Some(path.clone()),
        _ => None,
    }
}

/// Where the attribute a verdict rests on was set, when a transformation set it
/// ([`Resource::attr_origins`]). For a facet listing attribute list elements (a workload's
/// `containers`), the first item that fails on its own ([`failing_item`]), and in it the
/// attribute of the item fields the condition reads.
fn origin_location(
    p: &Policy,
    r: &Resource,
    status: Status,
    scope: &Context<'_, '_>,
) -> Option<Arc<Location>> {
    let path = verdict_path(p, r, status)?;
    let segs = &path.segments;
    let origin = match segs[0].as_str() {
        "attrs" => r.attr_site(&pointer(&segs[1..])),
        "tags" => r
            .attr_site("/tags")
            .or_else(|| r.attr_site("/metadata/labels")),
        _ => {
            let facet = segs.get(1)?;
            match facet_attribute(&r.kind, facet) {
                Some(pointer) => r.attr_site(pointer),
                None => {
                    let items = facet_items(&r.kind, facet, &r.attrs)?;
                    let i = if status == Status::Fail {
                        failing_item(p, r, facet, scope)?
                    } else {
                        0
                    };
                    let item = items.get(i)?;
                    let fields = read_item_fields(p, facet);
                    if fields.is_empty() {
                        r.attr_site(item)
                    } else {
                        fields
                            .iter()
                            .find_map(|f| r.attr_site(&format!("{item}{f}")))
                    }
                }
            }
        }
    }?;
    Some(Arc::new(Location {
        file: origin.path.clone(),
        start_line: origin.line,
        end_line: origin.line,
        module_calls: Vec::new(),
    }))
}

/// The attributes (below an item) of the item fields a policy's condition names
/// (`c.privileged` in `containers.all(c, !c.privileged)`), in the order it names them.
fn read_item_fields(p: &Policy, facet: &str) -> Vec<&'static str> {
    let src = p.condition_source.as_str();
    let mut found: Vec<&'static str> = Vec::new();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for (i, _) in src.match_indices('.') {
        let name: String = src[i + 1..].chars().take_while(|c| ident(*c)).collect();
        for attr in facet_item_fields(facet, &name) {
            if !found.contains(&attr) {
                found.push(attr);
            }
        }
    }
    found
}

/// The index of the first item of a list facet whose verdict fails on its own: the condition
/// evaluated with the facet holding that one item.
fn failing_item(p: &Policy, r: &Resource, facet: &str, scope: &Context<'_, '_>) -> Option<usize> {
    let items = r.facets.get(facet)?.as_array()?;
    items.iter().position(|item| {
        let one = Value::Array(vec![item.clone()]);
        let mut inner = scope.new_inner_scope();
        inner.add_variable_as_val(
            "resource",
            resource_value_with(r, p.reads_attrs, None, Some((facet, &one))),
        );
        matches!(p.condition.execute(&inner), Ok(Cel::Bool(false)))
    })
}

/// A facet listing located items (`[{..., line}]`, such as the offending instructions of a
/// Dockerfile): the first item's line.
fn first_item_line(facet: &serde_json::Value) -> Option<u32> {
    facet
        .as_array()?
        .iter()
        .filter_map(|item| item.get("line")?.as_u64())
        .filter(|l| *l > 0)
        .min()
        .and_then(|l| u32::try_from(l).ok())
}

fn fail_message(p: &Policy, scope: &Context<'_, '_>) -> String {
    if p.message.is_empty() {
        p.doc.title.clone()
    } else {
        p.message.render(scope)
    }
}

/// Why a verdict is unknown, naming what to set where the source says: a Terraform variable
/// without a value (`var.volume_encrypted has no value: --var volume_encrypted=VALUE or a
/// .tfvars file`), else what kinds of value are not known before apply or not readable.
fn unknown_message(r: &Resource, unknown: &[&Path]) -> String {
    let names: Vec<String> = unknown.iter().map(|p| p.to_string()).collect();
    let verb = if names.len() == 1 { "is" } else { "are" };
    let mut inputs: Vec<String> = Vec::new();
    for path in unknown {
        for hint in unknown_inputs(r, path) {
            if !inputs.contains(&hint) {
                inputs.push(hint);
            }
        }
    }
    if inputs.is_empty() {
        format!(
            "cannot tell: {} {verb} not known (a value computed at apply time, an unresolved variable or an unreadable field)",
            names.join(", ")
        )
    } else {
        format!(
            "cannot tell: {} {verb} not known: {}",
            names.join(", "),
            inputs.join("; ")
        )
    }
}

/// Most unknown inputs one message names.
const UNKNOWN_INPUTS: usize = 3;

/// The unset Terraform inputs an unknown read rests on: the expression of the attribute
/// the path reads (an `attrs` path, or a facet that is one attribute), else of every unknown
/// attribute of the resource that was computed from an expression.
fn unknown_inputs(r: &Resource, path: &Path) -> Vec<String> {
    if r.expressions.is_empty() {
        return Vec::new();
    }
    let segs = &path.segments;
    let attribute = match segs.first().map(String::as_str) {
        Some("attrs") if segs.len() > 1 => Some(pointer(&segs[1..2])),
        Some("facets") => segs
            .get(1)
            .and_then(|f| facet_attribute(&r.kind, f))
            .map(str::to_string),
        _ => None,
    };
    let expressions: Vec<&String> = match attribute.as_deref().map(|a| r.expressions.get(a)) {
        Some(Some(e)) => vec![e],
        Some(None) => Vec::new(),
        None => r
            .expressions
            .iter()
            .filter(|(pointer, _)| r.is_unknown(pointer))
            .map(|(_, e)| e)
            .collect(),
    };
    expressions
        .into_iter()
        .take(UNKNOWN_INPUTS)
        .map(|key| {
            // `module instance|expression`, the root module's instance being empty.
            let (module, expr) = key.split_once('|').unwrap_or(("", key));
            match expr.strip_prefix("var.").filter(|v| {
                v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            }) {
                Some(name) if module.is_empty() => {
                    format!("var.{name} has no value: --var {name}=VALUE or a .tfvars file")
                }
                Some(name) => {
                    format!("var.{name} of {module} has no value: set {name} in the module call")
                }
                None if module.is_empty() => format!("{expr} is not known before apply"),
                None => format!("{expr} (in {module}) is not known before apply"),
            }
        })
        .collect()
}

fn finding(
    p: &Policy,
    s: &Subject<'_>,
    settings: &Value,
    status: Status,
    message: Arc<str>,
) -> Finding {
    let message = if is_representative(s.r) {
        format!("{message} (judged on one representative instance: how many instances there are is not known before apply)").into()
    } else {
        message
    };
    Finding {
        policy_id: p.id.clone(),
        title: p.title.clone(),
        severity: p.doc.severity,
        category: p.doc.category,
        status,
        resource: s.reference.clone(),
        location: s.location.clone(),
        message,
        evidence: evidence(p, s, settings),
        waiver: None,
        fingerprint: fingerprint(&p.doc.id, &s.r.id),
        baseline: None,
    }
}

/// A Terraform block whose `count` / `for_each` is not known before apply is collected as one
/// representative instance, addressed with Terraform's `[*]` for unknown instance keys.
fn is_representative(r: &Resource) -> bool {
    r.id.starts_with("tf:") && r.id.contains("[*]")
}

/// Whether a path the policy reads is unknown for this resource.
fn reads_unknown(r: &Resource, path: &Path) -> bool {
    let segs = &path.segments;
    match segs.first().map(String::as_str) {
        Some("facets") => match segs.get(1) {
            Some(name) => r.facets.get(name).is_none_or(Value::is_null),
            None => r.facets.values().any(Value::is_null),
        },
        Some("tags") => r.is_unknown("/tags"),
        Some("attrs") => {
            let pointer = pointer(&segs[1..]);
            r.is_unknown(&pointer)
                || r.unknown.iter().any(|u| {
                    u.starts_with(&pointer) && u.as_bytes().get(pointer.len()) == Some(&b'/')
                })
                || (pointer.is_empty() && !r.unknown.is_empty())
        }
        _ => false,
    }
}

fn pointer(segments: &[String]) -> String {
    segments
        .iter()
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// Largest evidence value kept whole; larger ones are summarised so reports stay small.
const EVIDENCE_LIMIT: usize = 2048;

/// The values each read path had: what an auditor needs to see why. A value another policy
/// already read on this resource is shared, not read again.
fn evidence(p: &Policy, s: &Subject<'_>, settings: &Value) -> Evidence {
    let mut read = s.evidence.borrow_mut();
    let pairs: Vec<(Arc<str>, Arc<Value>)> = p
        .reads
        .iter()
        .zip(&p.evidence_keys)
        .filter_map(|(path, key)| {
            if let Some((_, value)) = read.iter().find(|(k, _)| k == key) {
                return Some((key.clone(), value.clone()));
            }
            let value = Arc::new(bounded(evidence_value(path, s.r, settings)?));
            read.push((key.clone(), value.clone()));
            Some((key.clone(), value))
        })
        .collect();
    Evidence::shared(pairs)
}

/// The value at a path a policy reads, if the resource (or the settings) has one.
fn evidence_value(path: &Path, r: &Resource, settings: &Value) -> Option<Value> {
    let segs = &path.segments;
    match path.root {
        PathRoot::Config => lookup(settings, segs),
        PathRoot::Resource => match segs.first().map(String::as_str) {
            Some("facets") if segs.len() >= 2 => {
                r.facets.get(&segs[1]).and_then(|v| lookup(v, &segs[2..]))
            }
            Some("tags") if segs.len() == 2 => Some(
                r.tags
                    .get(&segs[1])
                    .map_or(Value::Null, |v| Value::String(v.clone())),
            ),
            Some("tags") => Some(serde_json::to_value(&r.tags).unwrap_or_default()),
            Some("attrs") => lookup(&r.attrs, &segs[1..]),
            Some("id") => Some(Value::String(r.id.clone())),
            Some("kind") => Some(Value::String(r.kind.clone())),
            Some("name") => Some(Value::String(r.name.clone())),
            Some("cloud_id") => Some(r.cloud_id.clone().map_or(Value::Null, Value::String)),
            _ => None,
        },
    }
}

fn lookup(v: &Value, segs: &[String]) -> Option<Value> {
    let mut cur = v;
    for s in segs {
        cur = match cur {
            Value::Object(map) => map.get(s)?,
            Value::Array(items) => items.get(s.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur.clone())
}

/// Roughly how many bytes a value takes as JSON, stopping early past `limit`.
fn approximate_size(v: &Value, limit: usize) -> usize {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => {
            let mut total = 2;
            for item in items {
                total += approximate_size(item, limit) + 1;
                if total > limit {
                    break;
                }
            }
            total
        }
        Value::Object(map) => {
            let mut total = 2;
            for (k, item) in map {
                total += k.len() + 4 + approximate_size(item, limit);
                if total > limit {
                    break;
                }
            }
            total
        }
    }
}

fn bounded(v: Value) -> Value {
    let size = approximate_size(&v, EVIDENCE_LIMIT);
    if size <= EVIDENCE_LIMIT {
        return v;
    }
    match &v {
        Value::Array(items) => Value::String(format!("[{} items, {size} bytes]", items.len())),
        Value::Object(map) => Value::String(format!("{{{} keys}}", map.len())),
        Value::String(s) => {
            let cut: String = s.chars().take(EVIDENCE_LIMIT).collect();
            Value::String(format!("{cut}..."))
        }
        _ => v,
    }
}

/// Inline suppressions that are not honoured: no reason given, or an unknown policy id.
fn suppression_problems(policies: &PolicySet, resources: &[Resource]) -> Vec<CollectError> {
    let mut problems = Vec::new();
    for r in resources {
        for s in &r.suppressions {
            let (scope, line) = match s.at.as_deref().and_then(|at| at.rsplit_once(':')) {
                Some((file, line)) => (file.to_string(), line.parse().ok()),
                None => (r.id.clone(), None),
            };
            let message = if policies.get(&s.policy_id).is_none() {
                format!(
                    "suppression on {} names unknown policy {}; it waives nothing",
                    r.id, s.policy_id
                )
            } else if s.reason.trim().is_empty() {
                format!(
                    "suppression of {} on {} gives no reason; it is not honoured (write the reason after the policy id)",
                    s.policy_id, r.id
                )
            } else {
                continue;
            };
            problems.push(CollectError {
                collector: CollectError::SUPPRESSION.into(),
                scope,
                line,
                column: None,
                kinds: Vec::new(),
                message,
                warning: false,
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Source;
    use crate::policy::{PolicyFile, load_files};

    fn set(text: &str) -> PolicySet {
        let file = PolicyFile {
            name: "p.yaml".into(),
            text: text.into(),
        };
        PolicySet::new(load_files(&[file], &Settings::default().to_json()).unwrap())
    }

    fn bucket(region_known: bool) -> Resource {
        let mut r = Resource::new(
            "tf:aws_s3_bucket.b",
            "aws_s3_bucket",
            Source::File {
                path: "plan.json".into(),
                start_line: 1,
                end_line: 1,
                module_calls: vec![],
            },
        );
        r.facets.insert(
            "region".into(),
            if region_known {
                Value::String("us-east-1".into())
            } else {
                Value::Null
            },
        );
        r
    }

    const POLICY: &str = "id: T-001\ntitle: t\nseverity: high\ncategory: network\nkinds: [aws_s3_bucket]\nwhen: config.allowed_regions.size() > 0\ncondition: resource.facets.region in config.allowed_regions\n";

    #[test]
    fn a_false_precondition_is_unknown_only_through_what_it_reads() {
        // The precondition reads settings only: an unknown region does not make it unknown.
        let (findings, _) = evaluate(&set(POLICY), &Settings::default(), &[bucket(false)]);
        assert!(findings.is_empty(), "{findings:?}");

        let settings = Settings {
            allowed_regions: vec!["eu-west-1".into()],
            ..Settings::default()
        };
        let (findings, _) = evaluate(&set(POLICY), &settings, &[bucket(false)]);
        assert_eq!(findings[0].status, Status::Unknown);
        let (findings, _) = evaluate(&set(POLICY), &settings, &[bucket(true)]);
        assert_eq!(findings[0].status, Status::Fail);

        // A verdict resting on an unknown facet is unknown, whatever the precondition.
        let text = POLICY.replace(
            "config.allowed_regions.size() > 0",
            "resource.facets.region != 'us-east-1'",
        );
        let (findings, _) = evaluate(&set(&text), &settings, &[bucket(false)]);
        assert_eq!(findings[0].status, Status::Unknown);
    }

    #[test]
    fn preconditions_on_settings_alone_are_decided_once() {
        let policies = set(POLICY);
        assert_eq!(
            gates(&policies, &Settings::default().to_json()),
            vec![Gate::Closed]
        );
        let settings = Settings {
            allowed_regions: vec!["us-east-1".into()],
            ..Settings::default()
        };
        assert_eq!(gates(&policies, &settings.to_json()), vec![Gate::Open]);
        let (findings, _) = evaluate(&policies, &settings, &[bucket(true)]);
        assert_eq!(findings[0].status, Status::Pass);

        // One that reads the resource is left to each resource.
        let text = POLICY.replace(
            "config.allowed_regions.size() > 0",
            "resource.facets.region != ''",
        );
        assert_eq!(
            gates(&set(&text), &settings.to_json()),
            vec![Gate::PerResource]
        );
    }

    #[test]
    fn only_the_facets_policies_read_are_converted_but_messages_see_theirs() {
        let text = "id: T-002\ntitle: t\nseverity: low\ncategory: network\nkinds: [aws_s3_bucket]\ncondition: resource.facets.region == 'eu-west-1'\nmessage: '{{ resource.facets.region }} {{ resource.facets.versioning }}'\n";
        let policies = set(text);
        let index = policies.kind_index("aws_s3_bucket").unwrap();
        assert_eq!(
            index.facets.as_deref(),
            Some(&["region".to_string(), "versioning".to_string()][..])
        );
        let mut r = bucket(true);
        r.facets.insert("versioning".into(), Value::Bool(true));
        r.facets
            .insert("sse_algorithm".into(), Value::String("AES256".into()));
        let (findings, _) = evaluate(&policies, &Settings::default(), &[r]);
        assert_eq!(&*findings[0].message, "us-east-1 true");

        // A computed key needs every facet.
        let text = text.replace(
            "resource.facets.region ==",
            "resource.facets['reg' + 'ion'] ==",
        );
        assert_eq!(set(&text).kind_index("aws_s3_bucket").unwrap().facets, None);
    }
}
