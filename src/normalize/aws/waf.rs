//! WAFv2 web ACLs.

use serde_json::Value;

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{known_list, str_at};

/// What a web ACL's rules do, from the provider's `rule` blocks or the `rule_json` document.
#[derive(Default)]
struct Rules {
    count: usize,
    rate_based: bool,
    /// Managed rule groups that block (not overridden to count), as `Vendor/Name`.
    managed: Vec<String>,
}

fn from_blocks(rules: &[Value]) -> Rules {
    let mut out = Rules {
        count: rules.len(),
        ..Rules::default()
    };
    for rule in rules {
        let statement = rule.pointer("/statement/0");
        if statement.is_some_and(|s| has_nonempty(s, "rate_based_statement")) {
            out.rate_based = true;
        }
        let counting = rule
            .pointer("/override_action/0/count")
            .and_then(Value::as_array)
            .is_some_and(|c| !c.is_empty());
        if let Some(group) = statement.and_then(|s| s.pointer("/managed_rule_group_statement/0"))
            && !counting
        {
            let field = |k: &str| group.get(k).and_then(Value::as_str).unwrap_or("");
            out.managed
                .push(format!("{}/{}", field("vendor_name"), field("name")));
        }
    }
    out
}

fn from_json(rules: &[Value]) -> Rules {
    let mut out = Rules {
        count: rules.len(),
        ..Rules::default()
    };
    for rule in rules {
        let statement = rule.get("Statement");
        if statement.is_some_and(|s| s.get("RateBasedStatement").is_some()) {
            out.rate_based = true;
        }
        let counting = rule.pointer("/OverrideAction/Count").is_some();
        if let Some(group) = statement.and_then(|s| s.get("ManagedRuleGroupStatement"))
            && !counting
        {
            let field = |k: &str| group.get(k).and_then(Value::as_str).unwrap_or("");
            out.managed
                .push(format!("{}/{}", field("VendorName"), field("Name")));
        }
    }
    out
}

fn has_nonempty(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Null) | None => false,
        Some(_) => true,
    }
}

pub(super) fn web_acl(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let rules = match str_at(r, "/rule_json") {
        Some(json) if !json.trim().is_empty() => serde_json::from_str::<Value>(&json)
            .ok()
            .map(|v| from_json(v.as_array().map_or(&[][..], Vec::as_slice))),
        Some(_) => known_list(r, "/rule").map(from_blocks),
        None => None,
    };
    f.set("rule_count", rules.as_ref().map(|r| r.count as i64));
    f.set("rate_limited", rules.as_ref().map(|r| r.rate_based));
    f.set("managed_rule_groups", rules.map(|r| r.managed));
    f.set(
        "logging",
        Some(
            d.linked("aws_wafv2_web_acl_logging_configuration")
                .next()
                .is_some(),
        ),
    );
}
