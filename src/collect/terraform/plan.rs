//! Terraform plan JSON (`terraform show -json plan.out`, format 1.x).
//!
//! Resources come from `resource_changes` (what will exist after apply: creates, updates,
//! no-ops and replacements, not deletions), with `after` as attributes, `after_unknown` marking
//! values known only after apply, and `after_sensitive` marking values to redact.
//!
//! The plan's `configuration` says which attributes the author wrote and what each expression
//! refers to. That settles two things other scanners get wrong:
//!
//! * An attribute marked unknown that the author never wrote is the provider's computed
//!   default, not a mystery: it is left unset, so facets apply the documented default.
//! * A satellite whose parent's id is unknown until apply (`bucket = aws_s3_bucket.logs.id`)
//!   is linked through the reference itself, recorded in [`Resource::references`].

use std::collections::{BTreeMap, HashMap, HashSet};

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::{
    cloud_id, display_name, escape, index_suffix, marked, redact_marked, set_pointer, tags,
};
use crate::collect::json_lines::element_lines;
use crate::inventory::{CollectError, Resource, Source};

const COLLECTOR: &str = "terraform-plan";

/// The parts of a plan plumb reads. Everything else (`prior_state`, `variables`, the
/// `before` of each change) is skipped by the parser without being stored: it can be large,
/// and `variables` holds secrets in plain text. Each change and each resource block's
/// expressions are kept as slices of the text and parsed one at a time, when that resource is
/// read, so the plan is never held as a whole tree beside its text: the peak is the text, the
/// resources read so far and the few being read. `planned_values` is parsed only when the plan
/// has no `resource_changes`.
#[derive(Deserialize)]
struct PlanDoc<'t> {
    #[serde(default)]
    format_version: String,
    #[serde(borrow)]
    resource_changes: Option<Vec<&'t RawValue>>,
    #[serde(default, borrow)]
    configuration: Configuration<'t>,
    #[serde(borrow)]
    planned_values: Option<&'t RawValue>,
}

/// What plumb reads of the plan's `configuration`: the root module. Provider configurations,
/// variable declarations and everything else in it are skipped unread.
#[derive(Deserialize, Default)]
struct Configuration<'t> {
    #[serde(borrow)]
    root_module: Option<ConfModule<'t>>,
}

/// One module of the configuration: its resource blocks, its calls of child modules and its
/// outputs, each with only the fields references are resolved through.
#[derive(Deserialize, Default)]
struct ConfModule<'t> {
    #[serde(default, borrow)]
    resources: Vec<ConfResource<'t>>,
    #[serde(default, borrow)]
    module_calls: BTreeMap<String, ConfCall<'t>>,
    #[serde(default)]
    outputs: BTreeMap<String, ConfOutput>,
}

#[derive(Deserialize)]
struct ConfResource<'t> {
    #[serde(default)]
    mode: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    /// The written attributes: `{"attr": {"references": [...]}}`, blocks as lists of such.
    /// Parsed by each instance that reads it.
    #[serde(borrow)]
    expressions: Option<&'t RawValue>,
}

#[derive(Deserialize)]
struct ConfCall<'t> {
    /// The arguments passed to the module's variables.
    #[serde(default)]
    expressions: BTreeMap<String, Value>,
    #[serde(borrow)]
    module: Option<ConfModule<'t>>,
}

#[derive(Deserialize)]
struct ConfOutput {
    #[serde(default)]
    expression: Value,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    address: String,
    #[serde(default)]
    module_address: String,
    #[serde(default)]
    mode: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    index: Option<Value>,
    #[serde(default)]
    change: ChangeBody,
}

#[derive(Deserialize, Default)]
struct ChangeBody {
    #[serde(default)]
    actions: Vec<String>,
    after: Option<Value>,
    after_unknown: Option<Value>,
    after_sensitive: Option<Value>,
}

impl Change {
    /// A managed resource that exists after apply.
    fn is_kept(&self) -> bool {
        self.mode == "managed"
            && self.change.actions != ["delete"]
            && self.change.after.as_ref().is_some_and(Value::is_object)
    }
}

/// The resources a plan will leave in place.
pub fn collect(path: &str, text: &str) -> Result<Vec<Resource>, CollectError> {
    let error = |line: Option<u32>, column: Option<u32>, message: String| CollectError {
        collector: COLLECTOR.into(),
        scope: path.to_string(),
        line,
        column,
        kinds: Vec::new(),
        message,
        warning: false,
    };
    let doc: PlanDoc<'_> = serde_json::from_str(text).map_err(|e| {
        error(
            Some(e.line() as u32),
            Some(e.column() as u32),
            format!("not a plan as written by terraform show -json: {e}"),
        )
    })?;
    if !doc.format_version.starts_with("1.") {
        return Err(error(
            None,
            None,
            format!(
                "plan format_version {:?} is not supported (plumb reads 1.x, as written by Terraform 0.15 and later)",
                doc.format_version
            ),
        ));
    }
    let Some(changes) = doc.resource_changes else {
        let planned: Value = match doc.planned_values {
            Some(raw) => serde_json::from_str(raw.get()).unwrap_or_default(),
            None => Value::Null,
        };
        return Ok(from_planned_values(path, &planned));
    };

    let mut modules = HashMap::new();
    if let Some(root) = &doc.configuration.root_module {
        index_modules(root, String::new(), &mut modules);
    }
    let config = Config::new(modules);
    let lines = element_lines(text, "resource_changes");

    // Each change is parsed and read on its own; what its references name is resolved once
    // every kept address is known.
    let read: Vec<(Resource, Pending)> = changes
        .into_par_iter()
        .enumerate()
        .filter_map(|(i, raw)| {
            let span = lines.get(i).copied().unwrap_or((1, 1));
            let change = match serde_json::from_str::<Change>(raw.get()) {
                Ok(change) => change,
                Err(e) => {
                    return Some(Err(error(
                        Some(span.0),
                        None,
                        format!("resource_changes[{i}] is not a resource change: {e}"),
                    )));
                }
            };
            change.is_kept().then(|| {
                resource(path, i, span, change, &config).map_err(|m| error(Some(span.0), None, m))
            })
        })
        .collect::<Result<_, _>>()?;
    let addresses = Addresses::new(read.iter().map(|(r, _)| &r.id["tf:".len()..]).collect());
    let references: Vec<BTreeMap<String, Vec<String>>> = read
        .par_iter()
        .map(|(_, pending)| pending.resolve(&config, &addresses))
        .collect();
    drop(addresses);
    Ok(read
        .into_iter()
        .zip(references)
        .map(|((mut r, _), references)| {
            r.references = references;
            r
        })
        .collect())
}

/// What a resource's configuration refers to, kept until every address in the plan is known.
struct Pending {
    module: String,
    index: Option<Value>,
    /// The references written at each attribute, by its pointer.
    refs: BTreeMap<String, Vec<String>>,
}

impl Pending {
    fn resolve(
        &self,
        config: &Config<'_>,
        addresses: &Addresses<'_>,
    ) -> BTreeMap<String, Vec<String>> {
        self.refs
            .iter()
            .filter_map(|(pointer, targets)| {
                let ids = config.resolve(targets, &self.module, self.index.as_ref(), addresses);
                (!ids.is_empty()).then(|| (pointer.clone(), ids))
            })
            .collect()
    }
}

/// One kept `resource_changes` entry as a resource, and what its references are to resolve.
fn resource(
    path: &str,
    i: usize,
    (line, end_line): (u32, u32),
    change: Change,
    config: &Config<'_>,
) -> Result<(Resource, Pending), String> {
    let Change {
        address,
        module_address: module,
        kind,
        name,
        index,
        change: body,
        ..
    } = change;
    if address.is_empty() || kind.is_empty() {
        return Err(format!(
            "resource_changes[{i}] has no address or type: not a plan written by terraform show -json"
        ));
    }

    let mut r = Resource::new(
        format!("tf:{address}"),
        kind.as_str(),
        Source::File {
            path: path.to_string(),
            start_line: line,
            end_line,
            module_calls: Vec::new(),
        },
    );
    r.attrs = body.after.unwrap_or_default();

    let conf = config.resource(&module, &kind, &name);
    let expressions: Option<Value> = match conf.and_then(|c| c.expressions) {
        Some(raw) => Some(serde_json::from_str(raw.get()).map_err(|e| {
            format!("the configuration of {address} has expressions that are not JSON: {e}")
        })?),
        None => None,
    };
    let expressions = expressions.as_ref();
    if let Some(unknown) = &body.after_unknown {
        let mut pointers = Vec::new();
        marked(unknown, &mut String::new(), &mut |p| {
            pointers.push(p.to_string())
        });
        for p in pointers {
            // Unknown because the provider computes a default the author did not override:
            // left unset, so facets apply the documented default.
            if expressions.is_some_and(|e| !written(e, &p)) {
                continue;
            }
            set_pointer(&mut r.attrs, &p, Value::Null);
            r.unknown.insert(p);
        }
    }
    let mut sensitive = Vec::new();
    if let Some(marks) = &body.after_sensitive {
        marked(marks, &mut String::new(), &mut |p| {
            sensitive.push(p.to_string())
        });
    }
    redact_marked(&mut r, &sensitive);

    let mut refs = BTreeMap::new();
    if let Some(expressions) = expressions {
        expression_refs(expressions, &mut String::new(), &mut refs);
    }

    let (tags, tags_unknown) = tags(&r.attrs, &r.unknown);
    r.tags = tags;
    if tags_unknown {
        r.unknown.insert("/tags".into());
    }
    r.cloud_id = cloud_id(&kind, &r.attrs);
    r.name = display_name(&address, &r.attrs);
    Ok((
        r,
        Pending {
            module,
            index,
            refs,
        },
    ))
}

/// Whether the author wrote the attribute at `pointer`, or an attribute containing it, as
/// the configuration's expressions tell: false only when the enclosing block (or the resource)
/// is written and this attribute is not in it.
fn written(expressions: &Value, pointer: &str) -> bool {
    let mut cur = expressions;
    let mut root = true;
    for part in pointer.split('/').skip(1) {
        let key = part.replace("~1", "/").replace("~0", "~");
        match cur {
            // An expression: the pointer is inside a written attribute's value.
            Value::Object(map)
                if !root
                    && (map.is_empty()
                        || map.contains_key("references")
                        || map.contains_key("constant_value")) =>
            {
                return true;
            }
            Value::Object(map) => match map.get(&key) {
                Some(next) => cur = next,
                None => return false,
            },
            Value::Array(items) => match key.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(next) => cur = next,
                None => return true,
            },
            _ => return true,
        }
        root = false;
    }
    true
}

/// Plans without `resource_changes` (rare): the planned values, with no unknown marks.
fn from_planned_values(path: &str, doc: &Value) -> Vec<Resource> {
    fn walk(module: &Value, path: &str, out: &mut Vec<Resource>) {
        for res in module
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if res.get("mode").and_then(Value::as_str) != Some("managed") {
                continue;
            }
            let field = |k: &str| res.get(k).and_then(Value::as_str).unwrap_or("");
            let mut r = Resource::new(
                format!("tf:{}", field("address")),
                field("type"),
                Source::File {
                    path: path.to_string(),
                    start_line: 1,
                    end_line: 1,
                    module_calls: Vec::new(),
                },
            );
            r.attrs = res
                .get("values")
                .cloned()
                .unwrap_or(Value::Object(Default::default()));
            let mut sensitive = Vec::new();
            if let Some(marks) = res.get("sensitive_values") {
                marked(marks, &mut String::new(), &mut |p| {
                    sensitive.push(p.to_string())
                });
            }
            redact_marked(&mut r, &sensitive);
            r.tags = tags(&r.attrs, &r.unknown).0;
            r.cloud_id = cloud_id(&r.kind, &r.attrs);
            r.name = display_name(&r.id[3..], &r.attrs);
            out.push(r);
        }
        for child in module
            .get("child_modules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(child, path, out);
        }
    }
    let mut out = Vec::new();
    if let Some(root) = doc.pointer("/planned_values/root_module") {
        walk(root, path, &mut out);
    }
    out
}

/// Configuration modules by their path without instance keys (`""`, `module.a.module.b`).
fn index_modules<'a>(
    module: &'a ConfModule<'a>,
    path: String,
    out: &mut HashMap<String, &'a ConfModule<'a>>,
) {
    for (name, call) in &module.module_calls {
        if let Some(child) = &call.module {
            let child_path = if path.is_empty() {
                format!("module.{name}")
            } else {
                format!("{path}.module.{name}")
            };
            index_modules(child, child_path, out);
        }
    }
    out.insert(path, module);
}

/// `module.a["x"].module.b[0]` -> `module.a.module.b`.
fn strip_keys(module_address: &str) -> String {
    let mut out = String::with_capacity(module_address.len());
    let mut depth = 0;
    let mut in_string = false;
    let mut prev = '\0';
    for c in module_address.chars() {
        match c {
            '"' if depth > 0 && prev != '\\' => in_string = !in_string,
            '[' if !in_string => depth += 1,
            ']' if !in_string => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
        prev = c;
    }
    out
}

/// Collects `references` of every expression, keyed by the JSON pointer of the attribute.
fn expression_refs(
    expressions: &Value,
    pointer: &mut String,
    out: &mut BTreeMap<String, Vec<String>>,
) {
    let Value::Object(map) = expressions else {
        return;
    };
    for (key, value) in map {
        let len = pointer.len();
        pointer.push('/');
        pointer.push_str(&escape(key));
        match value {
            Value::Object(expr)
                if expr.contains_key("references") || expr.contains_key("constant_value") =>
            {
                let refs: Vec<String> = expr
                    .get("references")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                if !refs.is_empty() {
                    out.insert(pointer.clone(), refs);
                }
            }
            Value::Object(_) => {
                pointer.push_str("/0");
                expression_refs(value, pointer, out);
            }
            Value::Array(blocks) => {
                for (i, block) in blocks.iter().enumerate() {
                    let len = pointer.len();
                    pointer.push_str(&format!("/{i}"));
                    expression_refs(block, pointer, out);
                    pointer.truncate(len);
                }
            }
            _ => {}
        }
        pointer.truncate(len);
    }
}

/// The plan's configuration, indexed by module path.
struct Config<'a> {
    modules: HashMap<String, &'a ConfModule<'a>>,
    /// Managed resource blocks by (module path without keys, type, name): found without a
    /// scan of the module's resources per instance.
    resources: HashMap<(String, String, String), &'a ConfResource<'a>>,
}

impl<'a> Config<'a> {
    fn new(modules: HashMap<String, &'a ConfModule<'a>>) -> Self {
        let mut resources = HashMap::new();
        for (path, module) in &modules {
            for r in &module.resources {
                if r.mode != "managed" || r.kind.is_empty() || r.name.is_empty() {
                    continue;
                }
                // The first block of a name wins, as a scan of the list found it.
                resources
                    .entry((path.clone(), r.kind.clone(), r.name.clone()))
                    .or_insert(r);
            }
        }
        Config { modules, resources }
    }
}

/// The addresses of the plan's kept resource instances, and the instances of each resource
/// by its address without the last instance key (`aws_s3_bucket.b` for
/// `aws_s3_bucket.b[0]`), so that a reference is resolved without a scan of every address.
struct Addresses<'b> {
    all: HashSet<&'b str>,
    by_base: HashMap<&'b str, Vec<&'b str>>,
}

impl<'b> Addresses<'b> {
    fn new(all: HashSet<&'b str>) -> Self {
        let mut by_base: HashMap<&'b str, Vec<&'b str>> = HashMap::new();
        for a in &all {
            if let Some(base) = instance_base(a) {
                by_base.entry(base).or_default().push(a);
            }
        }
        Addresses { all, by_base }
    }

    fn contains(&self, address: &str) -> bool {
        self.all.contains(address)
    }

    fn instances(&self, base: &str) -> &[&'b str] {
        self.by_base.get(base).map_or(&[], Vec::as_slice)
    }
}

/// `aws_s3_bucket.b["a]b"]` -> `aws_s3_bucket.b`: the address without its last instance key.
fn instance_base(address: &str) -> Option<&str> {
    if !address.ends_with(']') {
        return None;
    }
    let bytes = address.as_bytes();
    let mut in_quote = false;
    let mut i = bytes.len();
    while i > 0 {
        i -= 1;
        match bytes[i] {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => in_quote = !in_quote,
            b'[' if !in_quote => return Some(&address[..i]),
            _ => {}
        }
    }
    None
}

/// Words that start a reference but never name a managed resource.
const NOT_RESOURCES: &[&str] = &[
    "var",
    "local",
    "data",
    "count",
    "each",
    "path",
    "terraform",
    "self",
];

impl<'a> Config<'a> {
    fn module(&self, module_address: &str) -> Option<&'a ConfModule<'a>> {
        self.modules.get(&strip_keys(module_address)).copied()
    }

    fn resource(
        &self,
        module_address: &str,
        kind: &str,
        name: &str,
    ) -> Option<&'a ConfResource<'a>> {
        self.resources
            .get(&(
                strip_keys(module_address),
                kind.to_string(),
                name.to_string(),
            ))
            .copied()
    }

    /// Resolves configuration references made from a resource instance in `module_address`
    /// (with instance key `own_index`) to the ids of resource instances in the plan.
    fn resolve(
        &self,
        refs: &[String],
        module_address: &str,
        own_index: Option<&Value>,
        addresses: &Addresses<'_>,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for reference in refs {
            for address in self.resolve_one(reference, module_address, own_index, addresses, 0) {
                let id = format!("tf:{address}");
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        out
    }

    fn resolve_one(
        &self,
        reference: &str,
        module_address: &str,
        own_index: Option<&Value>,
        addresses: &Addresses<'_>,
        depth: usize,
    ) -> Vec<String> {
        // Module outputs can chain; a cycle is not valid Terraform, but stay bounded anyway.
        if depth > 16 {
            return Vec::new();
        }
        let mut parts = reference.split('.');
        let (Some(first), Some(second)) = (parts.next(), parts.next()) else {
            return Vec::new();
        };
        let prefix = if module_address.is_empty() {
            String::new()
        } else {
            format!("{module_address}.")
        };
        if first == "module" {
            // module.NAME.OUTPUT: follow the output's own references inside the module.
            let (name, key) = split_index(second);
            let Some(output) = parts.next() else {
                return Vec::new();
            };
            let child = format!("{prefix}module.{name}{key}");
            let child_config = self.module(&child);
            let refs: Vec<String> = child_config
                .and_then(|m| m.outputs.get(output))
                .and_then(|o| o.expression.get("references"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            return refs
                .iter()
                .flat_map(|r| self.resolve_one(r, &child, None, addresses, depth + 1))
                .collect();
        }
        if first == "var"
            && let Some((parent, call, key)) = split_last_module(module_address)
        {
            // var.NAME inside a module: follow the expression the caller passed for it, from
            // the caller's instance with the same key (`kms_key = aws_kms_key.data.arn`).
            let refs: Vec<String> = self
                .module(parent)
                .and_then(|m| m.module_calls.get(call))
                .and_then(|c| c.expressions.get(second))
                .and_then(|e| e.get("references"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            let key = key_value(key);
            return refs
                .iter()
                .flat_map(|r| self.resolve_one(r, parent, key.as_ref(), addresses, depth + 1))
                .collect();
        }
        if NOT_RESOURCES.contains(&first) {
            return Vec::new();
        }
        let (name, explicit) = split_index(second);
        let base = format!("{prefix}{first}.{name}");
        let mut candidates = Vec::new();
        if !explicit.is_empty() {
            candidates.push(format!("{base}{explicit}"));
        }
        if own_index.is_some() {
            candidates.push(format!("{base}{}", index_suffix(own_index)));
        }
        candidates.push(base.clone());
        if let Some(found) = candidates
            .into_iter()
            .find(|c| addresses.contains(c.as_str()))
        {
            return vec![found];
        }
        // A reference to a multi-instance resource without a matching key: only an
        // unambiguous single instance counts.
        match addresses.instances(&base) {
            [one] => vec![(*one).to_string()],
            _ => Vec::new(),
        }
    }
}

/// `module.a["x"].module.b[0]` -> (`module.a["x"]`, `b`, `[0]`): the calling module's address,
/// the call's name and the instance key. `None` for the root module.
fn split_last_module(module_address: &str) -> Option<(&str, &str, &str)> {
    let mut last = None;
    let mut depth = 0;
    let mut in_string = false;
    let mut prev = '\0';
    for (i, c) in module_address.char_indices() {
        match c {
            '"' if depth > 0 && prev != '\\' => in_string = !in_string,
            '[' if !in_string => depth += 1,
            ']' if !in_string => depth -= 1,
            'm' if depth == 0
                && module_address[i..].starts_with("module.")
                && (i == 0 || module_address[..i].ends_with('.')) =>
            {
                last = Some(i);
            }
            _ => {}
        }
        prev = c;
    }
    let start = last?;
    let parent = module_address[..start].trim_end_matches('.');
    let rest = &module_address[start + "module.".len()..];
    let (name, key) = match rest.find('[') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    Some((parent, name, key))
}

/// `[0]` -> 0, `["a"]` -> "a", `` -> none.
fn key_value(key: &str) -> Option<Value> {
    let inner = key.strip_prefix('[')?.strip_suffix(']')?;
    serde_json::from_str(inner).ok()
}

/// `this[0]` -> (`this`, `[0]`); `this` -> (`this`, ``). Dynamic keys (`[count.index]`) are
/// dropped: the caller's own instance key stands in for them.
fn split_index(segment: &str) -> (&str, String) {
    match segment.find('[') {
        Some(i) => {
            let key = &segment[i..];
            let literal =
                key.starts_with("[\"") || key[1..].starts_with(|c: char| c.is_ascii_digit());
            (
                &segment[..i],
                if literal {
                    key.to_string()
                } else {
                    String::new()
                },
            )
        }
        None => (segment, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_address_without_its_last_key() {
        assert_eq!(instance_base("aws_s3_bucket.b[0]"), Some("aws_s3_bucket.b"));
        assert_eq!(
            instance_base("module.a[\"x\"].aws_s3_bucket.b[\"a]b\"]"),
            Some("module.a[\"x\"].aws_s3_bucket.b")
        );
        assert_eq!(instance_base("aws_s3_bucket.b"), None);
    }

    #[test]
    fn strips_instance_keys_from_module_addresses() {
        assert_eq!(
            strip_keys(r#"module.a["x.y[1]"].module.b[0]"#),
            "module.a.module.b"
        );
        assert_eq!(strip_keys(""), "");
    }

    #[test]
    fn splits_the_last_module_call() {
        assert_eq!(
            split_last_module(r#"module.a["x.module.y"].module.b[0]"#),
            Some((r#"module.a["x.module.y"]"#, "b", "[0]"))
        );
        assert_eq!(split_last_module("module.a"), Some(("", "a", "")));
        assert_eq!(split_last_module(""), None);
        assert_eq!(key_value(r#"["k"]"#), Some(Value::String("k".into())));
    }

    #[test]
    fn splits_literal_indexes_only() {
        assert_eq!(split_index("this[0]"), ("this", "[0]".to_string()));
        assert_eq!(
            split_index(r#"this["a"]"#),
            ("this", r#"["a"]"#.to_string())
        );
        assert_eq!(split_index("this[count.index]"), ("this", String::new()));
        assert_eq!(split_index("this"), ("this", String::new()));
    }
}
