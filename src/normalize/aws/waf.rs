//! WAFv2 web ACLs.

use serde_json::Value;

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{At, any_of, elements, str_at};

/// What a web ACL's rules do, from the provider's `rule` blocks or the `rule_json` document.
/// Each fact is `None` when a field it depends on is unknown.
struct Rules {
    count: usize,
    rate_based: Option<bool>,
    /// Managed rule groups that block (not overridden to count), as `Vendor/Name`: those known
    /// to; `None` when none is known but a rule with unknown fields could be one.
    managed: Option<Vec<String>>,
}

fn from_blocks(rules: &[At<'_>]) -> Rules {
    let mut managed = Vec::new();
    let mut unsure = false;
    for rule in rules {
        let group = rule
            .block("/statement")
            .and_then(|s| s.map_or(Some(None), |s| s.block("/managed_rule_group_statement")));
        let counting = rule
            .block("/override_action")
            .and_then(|o| o.map_or(Some(false), |o| o.list("/count").map(|c| !c.is_empty())));
        let name = match (group, counting) {
            (Some(None), _) | (_, Some(true)) => continue,
            (Some(Some(g)), Some(false)) => g
                .text("/vendor_name")
                .zip(g.text("/name"))
                .map(|(vendor, name)| format!("{vendor}/{name}")),
            _ => None,
        };
        match name {
            Some(n) => managed.push(n),
            None => unsure = true,
        }
    }
    Rules {
        count: rules.len(),
        rate_based: any_of(rules.iter().map(|rule| {
            rule.block("/statement").and_then(|s| {
                s.map_or(Some(false), |s| {
                    s.block("/rate_based_statement").map(|b| b.is_some())
                })
            })
        })),
        managed: (!managed.is_empty() || !unsure).then_some(managed),
    }
}

fn from_json(rules: &[Value]) -> Rules {
    let mut out = Rules {
        count: rules.len(),
        rate_based: Some(false),
        managed: Some(Vec::new()),
    };
    for rule in rules {
        let statement = rule.get("Statement");
        if statement.is_some_and(|s| s.get("RateBasedStatement").is_some()) {
            out.rate_based = Some(true);
        }
        let counting = rule.pointer("/OverrideAction/Count").is_some();
        if let Some(group) = statement.and_then(|s| s.get("ManagedRuleGroupStatement"))
            && !counting
        {
            let field = |k: &str| group.get(k).and_then(Value::as_str).unwrap_or("");
            out.managed.get_or_insert_with(Vec::new).push(format!(
                "{}/{}",
                field("VendorName"),
                field("Name")
            ));
        }
    }
    out
}

pub(super) fn web_acl(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let rules = match str_at(r, "/rule_json") {
        Some(json) if !json.trim().is_empty() => serde_json::from_str::<Value>(&json)
            .ok()
            .map(|v| from_json(v.as_array().map_or(&[][..], Vec::as_slice))),
        Some(_) => elements(r, "/rule").map(|rules| from_blocks(&rules)),
        None => None,
    };
    f.set("rule_count", rules.as_ref().map(|r| r.count as i64));
    f.set("rate_limited", rules.as_ref().and_then(|r| r.rate_based));
    f.set("managed_rule_groups", rules.and_then(|r| r.managed));
    f.set(
        "logging",
        Some(
            d.linked("aws_wafv2_web_acl_logging_configuration")
                .next()
                .is_some(),
        ),
    );
}
