//! Deterministic corpora at any size for the scaling benchmark (`benches/scale.rs`).
//!
//! One recipe of ten resources per *unit* (an S3 bucket with its versioning, encryption and
//! public access block satellites, a KMS key, a security group, a database, an IAM role with
//! a policy attachment, a log group), written as every input kind plumb reads:
//!
//! * a plan in the full `terraform show -json` shape: `planned_values` (with
//!   `sensitive_values`), `resource_changes` (with `after_unknown` for values known only after
//!   apply and `after_sensitive`), `prior_state`-less, and a `configuration` with an
//!   expression and its references for every written attribute. One unit in five lives in an
//!   instance of a child module (`module.app["kN"]`, a `for_each` module call passing a
//!   variable), one in five uses `count`;
//! * a state (version 4) of the same resources after apply;
//! * a Terraform source tree of the same shape (root modules of up to 10,000 resources, one
//!   local module);
//! * a folder of Kubernetes manifests (ten kinds per unit, over 50 namespaces);
//! * two live-shaped AWS inventories, the later one differing in about 2% of its units.
//!
//! Everything is streamed to files, so a million resources never sit in the generator's memory.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde_json::{Map, Value, json};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "eu-west-1";
const RETENTION: [u32; 4] = [0, 30, 90, 365];

/// Where a unit lives in the Terraform configuration.
#[derive(Clone, Copy, PartialEq)]
enum Placement {
    Root,
    Count,
    Module,
}

fn placement(u: usize) -> Placement {
    match u % 5 {
        0 => Placement::Module,
        1 => Placement::Count,
        _ => Placement::Root,
    }
}

/// One resource instance of a unit, with what each view of it needs.
pub struct Res {
    /// Module instance address (`module.app["k5"]`), empty in the root module.
    module: String,
    kind: &'static str,
    /// Declaration name.
    name: String,
    /// `count` index.
    index: Option<usize>,
    /// Values known at plan time.
    values: Value,
    /// Values known only after apply (computed, or written as references).
    after_apply: Value,
    /// `after_unknown` of the plan.
    unknown: Value,
    /// Configuration expressions (`{"attr": {"references": [...]}}` or `constant_value`).
    expressions: Value,
    /// Top-level attributes holding secrets.
    sensitive: &'static [&'static str],
}

impl Res {
    fn address(&self) -> String {
        let idx = self.index.map(|i| format!("[{i}]")).unwrap_or_default();
        if self.module.is_empty() {
            format!("{}.{}{idx}", self.kind, self.name)
        } else {
            format!("{}.{}.{}{idx}", self.module, self.kind, self.name)
        }
    }

    fn state_attrs(&self) -> Value {
        let mut out = self.values.clone();
        if let (Value::Object(o), Value::Object(extra)) = (&mut out, &self.after_apply) {
            for (k, v) in extra {
                o.insert(k.clone(), v.clone());
            }
        }
        out
    }

    fn marks(&self) -> Value {
        Value::Object(
            self.sensitive
                .iter()
                .map(|k| (k.to_string(), Value::Bool(true)))
                .collect(),
        )
    }
}

fn tags(u: usize) -> Value {
    let mut t = Map::new();
    t.insert("Owner".into(), json!(format!("team-{}", u % 13)));
    t.insert("Environment".into(), json!("prod"));
    if !u.is_multiple_of(7) {
        t.insert("CostCenter".into(), json!(format!("cc-{}", u % 29)));
    }
    Value::Object(t)
}

fn constants(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let e = match v {
                        // Blocks: one expression object per block.
                        Value::Array(items) if items.iter().all(Value::is_object) => {
                            Value::Array(items.iter().map(constants).collect())
                        }
                        other => json!({"constant_value": other}),
                    };
                    (k.clone(), e)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn refs(target: &str, attr: &str) -> Value {
    json!({"references": [format!("{target}.{attr}"), target]})
}

fn arn(service: &str, rest: &str) -> String {
    format!("arn:aws:{service}:{REGION}:{ACCOUNT}:{rest}")
}

/// The ten resources of unit `u`; `later` gives the second inventory's version.
pub fn unit(u: usize, later: bool) -> Vec<Res> {
    let place = placement(u);
    let (module, index) = match place {
        Placement::Module => (format!("module.app[\"k{u}\"]"), None),
        Placement::Count => (String::new(), Some(0)),
        Placement::Root => (String::new(), None),
    };
    let n = |base: &str| {
        if place == Placement::Module {
            base.to_string()
        } else {
            format!("{base}_{u}")
        }
    };
    // A reference from inside the unit: `aws_s3_bucket.bucket_3[count.index]`.
    let r = |kind: &str, base: &str| {
        let idx = if place == Placement::Count {
            "[count.index]"
        } else {
            ""
        };
        format!("{kind}.{}{idx}", n(base))
    };
    let bucket = format!("bucket-{u:07}");
    let key_id = format!("{u:08x}-0000-4000-8000-{u:012x}");
    let key_arn = arn("kms", &format!("key/{key_id}"));
    let kms_ref = if place == Placement::Module {
        json!({"references": ["var.kms_key_arn"]})
    } else {
        refs(&r("aws_kms_key", "key"), "arn")
    };
    let versioned = if !u.is_multiple_of(3) || (later && u % 50 == 7) {
        "Enabled"
    } else {
        "Suspended"
    };
    let open_ssh = u.is_multiple_of(4) != (later && u % 50 == 17);
    let port = if open_ssh { 22 } else { 443 };
    let mk = |kind: &'static str, base: &str, values: Value, after_apply: Value, expr: Value| {
        let mut expressions = constants(&values);
        if let (Value::Object(e), Value::Object(x)) = (&mut expressions, expr) {
            e.extend(x);
        }
        let unknown = Value::Object(
            after_apply
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| (k.clone(), Value::Bool(true)))
                .collect(),
        );
        Res {
            module: module.clone(),
            kind,
            name: n(base),
            index,
            values,
            after_apply,
            unknown,
            expressions,
            sensitive: &[],
        }
    };
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    vec![
        mk(
            "aws_s3_bucket",
            "bucket",
            json!({"bucket": bucket, "force_destroy": false, "tags": tags(u)}),
            json!({"id": bucket, "arn": bucket_arn}),
            json!({}),
        ),
        mk(
            "aws_s3_bucket_versioning",
            "versioning",
            json!({"versioning_configuration": [{"status": versioned}]}),
            json!({"id": bucket, "bucket": bucket}),
            json!({"bucket": refs(&r("aws_s3_bucket", "bucket"), "id")}),
        ),
        mk(
            "aws_s3_bucket_server_side_encryption_configuration",
            "sse",
            json!({"rule": [{"bucket_key_enabled": true, "apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}]}),
            json!({"id": bucket, "bucket": bucket}),
            json!({"bucket": refs(&r("aws_s3_bucket", "bucket"), "id"),
                   "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": kms_ref, "sse_algorithm": {"constant_value": "aws:kms"}}]}]}),
        ),
        mk(
            "aws_s3_bucket_public_access_block",
            "pab",
            json!({"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": !u.is_multiple_of(6)}),
            json!({"id": bucket, "bucket": bucket}),
            json!({"bucket": refs(&r("aws_s3_bucket", "bucket"), "id")}),
        ),
        mk(
            "aws_kms_key",
            "key",
            json!({"description": format!("unit {u}"), "enable_key_rotation": !u.is_multiple_of(3), "deletion_window_in_days": 30, "tags": tags(u)}),
            json!({"id": key_id, "key_id": key_id, "arn": key_arn}),
            json!({}),
        ),
        mk(
            "aws_security_group",
            "sg",
            json!({"name": format!("sg-{u}"), "description": "service", "vpc_id": "vpc-0abc",
                   "ingress": [{"from_port": port, "to_port": port, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "description": "in", "prefix_list_ids": [], "security_groups": [], "self": false}],
                   "egress": [{"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "description": "out", "prefix_list_ids": [], "security_groups": [], "self": false}],
                   "tags": tags(u)}),
            json!({"id": format!("sg-{u:017x}"), "arn": arn("ec2", &format!("security-group/sg-{u:017x}"))}),
            json!({}),
        ),
        {
            let mut db = mk(
                "aws_db_instance",
                "db",
                json!({"identifier": format!("db-{u}"), "engine": "postgres", "engine_version": "16.3", "instance_class": "db.t4g.medium",
                       "allocated_storage": 50, "storage_encrypted": u.is_multiple_of(2), "multi_az": !u.is_multiple_of(3),
                       "backup_retention_period": 7 + (u % 30), "deletion_protection": true, "publicly_accessible": false,
                       "enabled_cloudwatch_logs_exports": ["postgresql"], "username": "app", "password": format!("secret-{u}"), "tags": tags(u)}),
                json!({"id": format!("db-{u}"), "arn": arn("rds", &format!("db:db-{u}")), "kms_key_id": key_arn,
                       "vpc_security_group_ids": [format!("sg-{u:017x}")]}),
                json!({"kms_key_id": kms_ref, "vpc_security_group_ids": refs(&r("aws_security_group", "sg"), "id")}),
            );
            db.sensitive = &["password"];
            db
        },
        mk(
            "aws_iam_role",
            "role",
            json!({"name": format!("role-{u}"), "assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}", "max_session_duration": 3600, "tags": tags(u)}),
            json!({"id": format!("role-{u}"), "arn": format!("arn:aws:iam::{ACCOUNT}:role/role-{u}"), "unique_id": format!("AROA{u:016}")}),
            json!({}),
        ),
        mk(
            "aws_iam_role_policy_attachment",
            "attach",
            json!({"policy_arn": if u.is_multiple_of(9) { "arn:aws:iam::aws:policy/AdministratorAccess" } else { "arn:aws:iam::aws:policy/ReadOnlyAccess" }}),
            json!({"id": format!("role-{u}-attach"), "role": format!("role-{u}")}),
            json!({"role": refs(&r("aws_iam_role", "role"), "name")}),
        ),
        mk(
            "aws_cloudwatch_log_group",
            "logs",
            json!({"name": format!("/app/{u}"), "retention_in_days": RETENTION[u % 4], "tags": tags(u)}),
            json!({"id": format!("/app/{u}"), "arn": arn("logs", &format!("log-group:/app/{u}")), "kms_key_id": key_arn}),
            json!({"kms_key_id": kms_ref}),
        ),
    ]
}

/// Units for about `n` resources (ten each).
pub fn units(n: usize) -> usize {
    n.div_ceil(10).max(1)
}

fn create(path: &Path) -> io::Result<BufWriter<File>> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    Ok(BufWriter::with_capacity(1 << 20, File::create(path)?))
}

fn sep(w: &mut impl Write, first: &mut bool) -> io::Result<()> {
    if !*first {
        w.write_all(b",\n")?;
    }
    *first = false;
    Ok(())
}

/// The plan; returns the number of resource instances.
pub fn plan(n: usize, path: &Path) -> io::Result<usize> {
    let units = units(n);
    let mut w = create(path)?;
    let mut count = 0;
    w.write_all(br#"{"format_version":"1.2","terraform_version":"1.9.8","variables":{"region":{"value":"eu-west-1"}},"#)?;
    // planned_values: root resources, then one child module per module instance.
    w.write_all(br#""planned_values":{"root_module":{"resources":["#)?;
    let planned = |w: &mut BufWriter<File>, r: &Res| {
        serde_json::to_writer(
            &mut *w,
            &json!({"address": r.address(), "mode": "managed", "type": r.kind, "name": r.name,
                "index": r.index, "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                "values": r.values, "sensitive_values": r.marks()}),
        )
    };
    let mut first = true;
    for u in 0..units {
        if placement(u) == Placement::Module {
            continue;
        }
        for r in unit(u, false) {
            sep(&mut w, &mut first)?;
            planned(&mut w, &r)?;
        }
    }
    w.write_all(br#"],"child_modules":["#)?;
    let mut first = true;
    for u in (0..units).filter(|u| placement(*u) == Placement::Module) {
        sep(&mut w, &mut first)?;
        write!(w, r#"{{"address":"module.app[\"k{u}\"]","resources":["#)?;
        let mut inner = true;
        for r in unit(u, false) {
            sep(&mut w, &mut inner)?;
            planned(&mut w, &r)?;
        }
        w.write_all(b"]}")?;
    }
    w.write_all(b"]}},\n")?;
    // resource_changes.
    w.write_all(br#""resource_changes":["#)?;
    let mut first = true;
    for u in 0..units {
        for r in unit(u, false) {
            sep(&mut w, &mut first)?;
            let mut change = json!({"address": r.address(), "mode": "managed", "type": r.kind, "name": r.name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["create"], "before": null, "after": r.values, "after_unknown": r.unknown,
                           "before_sensitive": false, "after_sensitive": r.marks()}});
            if !r.module.is_empty() {
                change["module_address"] = json!(r.module);
            }
            if let Some(i) = r.index {
                change["index"] = json!(i);
            }
            serde_json::to_writer(&mut w, &change)?;
            count += 1;
        }
    }
    w.write_all(b"],\n")?;
    // configuration: one block per declaration; the module's blocks once.
    let config = |r: &Res| {
        let mut c = json!({"address": format!("{}.{}", r.kind, r.name), "mode": "managed", "type": r.kind, "name": r.name,
            "provider_config_key": "aws", "expressions": r.expressions, "schema_version": 0});
        if r.index.is_some() {
            c["count_expression"] = json!({"constant_value": 1});
        }
        c
    };
    w.write_all(br#""configuration":{"provider_config":{"aws":{"name":"aws","full_name":"registry.terraform.io/hashicorp/aws","expressions":{"region":{"references":["var.region"]}}}},"root_module":{"resources":["#)?;
    let mut first = true;
    for u in 0..units {
        if placement(u) == Placement::Module {
            continue;
        }
        for r in unit(u, false) {
            sep(&mut w, &mut first)?;
            serde_json::to_writer(&mut w, &config(&r))?;
        }
    }
    w.write_all(b"],")?;
    let module_resources: Vec<Value> = unit(0, false).iter().map(config).collect();
    let kms = json!({"references": ["aws_kms_key.key_1[0].arn", "aws_kms_key.key_1[0]", "aws_kms_key.key_1"]});
    // The rest of the root module's members, after its resources.
    let rest = serde_json::to_string(&json!({"module_calls": {"app": {"source": "./modules/app",
            "expressions": {"kms_key_arn": kms},
            "for_each_expression": {"references": ["local.apps"]},
            "module": {"resources": module_resources,
                "variables": {"kms_key_arn": {"description": "key for the app's data"}},
                "outputs": {"bucket_id": {"expression": {"references": ["aws_s3_bucket.bucket.id", "aws_s3_bucket.bucket"]}}}}}},
            "variables": {"region": {"default": "eu-west-1"}}}))?;
    w.write_all(&rest.as_bytes()[1..])?;
    w.write_all(b"}}\n")?;
    w.flush()?;
    Ok(count)
}

/// The state after apply; returns the number of resource instances.
pub fn state(n: usize, path: &Path) -> io::Result<usize> {
    let units = units(n);
    let mut w = create(path)?;
    let mut count = 0;
    w.write_all(br#"{"version":4,"terraform_version":"1.9.8","serial":42,"lineage":"5c0e3a1e-0000-4000-8000-000000000000","outputs":{"db_password":{"value":"hunter2","type":"string","sensitive":true}},"resources":["#)?;
    let mut first = true;
    for u in 0..units {
        for r in unit(u, false) {
            sep(&mut w, &mut first)?;
            let sensitive: Vec<Value> = r
                .sensitive
                .iter()
                .map(|k| json!([{"type": "get_attr", "value": k}]))
                .collect();
            let mut instance = json!({"schema_version": 0, "attributes": r.state_attrs(),
                "sensitive_attributes": sensitive, "private": "bnVsbA==",
                "dependencies": r.expressions.as_object().into_iter().flatten()
                    .filter_map(|(_, e)| e.pointer("/references/1").cloned()).collect::<Vec<_>>()});
            if let Some(i) = r.index {
                instance["index_key"] = json!(i);
            }
            let mut res = json!({"mode": "managed", "type": r.kind, "name": r.name,
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": [instance]});
            if !r.module.is_empty() {
                res["module"] = json!(r.module);
            }
            serde_json::to_writer(&mut w, &res)?;
            count += 1;
        }
    }
    w.write_all(b"],\"check_results\":null}\n")?;
    w.flush()?;
    Ok(count)
}

const APP_MODULE: &str = r#"variable "kms_key_arn" {
  type = string
}

variable "unit" {
  type = number
}

resource "aws_s3_bucket" "bucket" {
  bucket        = format("bucket-%07d", var.unit)
  force_destroy = false
  tags          = { Owner = "team-app", Environment = "prod" }
}

resource "aws_s3_bucket_versioning" "versioning" {
  bucket = aws_s3_bucket.bucket.id
  versioning_configuration {
    status = var.unit % 3 == 0 ? "Suspended" : "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "sse" {
  bucket = aws_s3_bucket.bucket.id
  rule {
    bucket_key_enabled = true
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "pab" {
  bucket                  = aws_s3_bucket.bucket.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = var.unit % 6 != 0
}

resource "aws_kms_key" "key" {
  description         = "unit ${var.unit}"
  enable_key_rotation = var.unit % 3 != 0
}

resource "aws_security_group" "sg" {
  name   = "sg-${var.unit}"
  vpc_id = "vpc-0abc"
  ingress {
    from_port   = var.unit % 4 == 0 ? 22 : 443
    to_port     = var.unit % 4 == 0 ? 22 : 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_db_instance" "db" {
  identifier              = "db-${var.unit}"
  engine                  = "postgres"
  instance_class          = "db.t4g.medium"
  allocated_storage       = 50
  storage_encrypted       = var.unit % 2 == 0
  kms_key_id              = var.kms_key_arn
  multi_az                = var.unit % 3 != 0
  backup_retention_period = 7 + var.unit % 30
  deletion_protection     = true
  publicly_accessible     = false
  username                = "app"
  password                = "secret-${var.unit}"
  vpc_security_group_ids  = [aws_security_group.sg.id]
}

resource "aws_iam_role" "role" {
  name               = "role-${var.unit}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy_attachment" "attach" {
  role       = aws_iam_role.role.name
  policy_arn = var.unit % 9 == 0 ? "arn:aws:iam::aws:policy/AdministratorAccess" : "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_cloudwatch_log_group" "logs" {
  name              = "/app/${var.unit}"
  retention_in_days = [0, 30, 90, 365][var.unit % 4]
  kms_key_id        = var.kms_key_arn
}
"#;

/// One unit as HCL in a root module.
fn hcl_unit(out: &mut String, u: usize) {
    let count = placement(u) == Placement::Count;
    let (c, i) = if count {
        ("  count = 1\n", "[count.index]")
    } else {
        ("", "")
    };
    let versioned = if u.is_multiple_of(3) {
        "Suspended"
    } else {
        "Enabled"
    };
    let port = if u.is_multiple_of(4) { 22 } else { 443 };
    let tags = if u.is_multiple_of(7) {
        format!("{{ Owner = \"team-{}\", Environment = \"prod\" }}", u % 13)
    } else {
        format!(
            "{{ Owner = \"team-{}\", Environment = \"prod\", CostCenter = \"cc-{}\" }}",
            u % 13,
            u % 29
        )
    };
    let admin = if u.is_multiple_of(9) {
        "AdministratorAccess"
    } else {
        "ReadOnlyAccess"
    };
    let _ = write!(
        out,
        r#"resource "aws_s3_bucket" "bucket_{u}" {{
{c}  bucket        = "bucket-{u:07}"
  force_destroy = false
  tags          = {tags}
}}

resource "aws_s3_bucket_versioning" "versioning_{u}" {{
{c}  bucket = aws_s3_bucket.bucket_{u}{i}.id
  versioning_configuration {{
    status = "{versioned}"
  }}
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "sse_{u}" {{
{c}  bucket = aws_s3_bucket.bucket_{u}{i}.id
  rule {{
    bucket_key_enabled = true
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.key_{u}{i}.arn
    }}
  }}
}}

resource "aws_s3_bucket_public_access_block" "pab_{u}" {{
{c}  bucket                  = aws_s3_bucket.bucket_{u}{i}.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = {}
}}

resource "aws_kms_key" "key_{u}" {{
{c}  description         = "unit {u}"
  enable_key_rotation = {}
  tags                = {tags}
}}

resource "aws_security_group" "sg_{u}" {{
{c}  name   = "sg-{u}"
  vpc_id = "vpc-0abc"
  ingress {{
    from_port   = {port}
    to_port     = {port}
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
  tags = {tags}
}}

resource "aws_db_instance" "db_{u}" {{
{c}  identifier              = "db-{u}"
  engine                  = "postgres"
  instance_class          = "db.t4g.medium"
  allocated_storage       = 50
  storage_encrypted       = {}
  kms_key_id              = aws_kms_key.key_{u}{i}.arn
  multi_az                = {}
  backup_retention_period = {}
  deletion_protection     = true
  publicly_accessible     = false
  username                = "app"
  password                = var.db_password
  vpc_security_group_ids  = [aws_security_group.sg_{u}{i}.id]
  tags                    = {tags}
}}

resource "aws_iam_role" "role_{u}" {{
{c}  name               = "role-{u}"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Principal = {{ Service = "ec2.amazonaws.com" }}, Action = "sts:AssumeRole" }}] }})
  tags               = {tags}
}}

resource "aws_iam_role_policy_attachment" "attach_{u}" {{
{c}  role       = aws_iam_role.role_{u}{i}.name
  policy_arn = "arn:aws:iam::aws:policy/{admin}"
}}

resource "aws_cloudwatch_log_group" "logs_{u}" {{
{c}  name              = "/app/{u}"
  retention_in_days = {}
  kms_key_id        = aws_kms_key.key_{u}{i}.arn
  tags              = {tags}
}}

"#,
        !u.is_multiple_of(6),
        !u.is_multiple_of(3),
        u.is_multiple_of(2),
        !u.is_multiple_of(3),
        7 + u % 30,
        [0, 30, 90, 365][u % 4],
    );
}

/// Units per root module, and per file, of the source tree.
const STACK_UNITS: usize = 1000;
const FILE_UNITS: usize = 50;

/// The Terraform source tree under `dir`; returns the number of resource instances.
pub fn hcl(n: usize, dir: &Path) -> io::Result<usize> {
    let units = units(n);
    let mut count = 0;
    let module = dir.join("modules/app/main.tf");
    create(&module)?.write_all(APP_MODULE.as_bytes())?;
    for (s, start) in (0..units).step_by(STACK_UNITS).enumerate() {
        let end = (start + STACK_UNITS).min(units);
        let stack = dir.join(format!("stacks/s{s:04}"));
        let apps: Vec<usize> = (start..end)
            .filter(|u| placement(*u) == Placement::Module)
            .collect();
        let keys: Vec<String> = apps.iter().map(|u| format!("k{u} = {u}")).collect();
        // The module's key: the first root unit's key of the stack, when there is one.
        let key_unit = (start..end)
            .find(|u| placement(*u) != Placement::Module)
            .unwrap_or(start);
        let key_ref = if placement(key_unit) == Placement::Count {
            format!("aws_kms_key.key_{key_unit}[0].arn")
        } else {
            format!("aws_kms_key.key_{key_unit}.arn")
        };
        let mut main = format!(
            "terraform {{\n  required_providers {{\n    aws = {{ source = \"hashicorp/aws\" }}\n  }}\n}}\n\nprovider \"aws\" {{\n  region = \"eu-west-1\"\n}}\n\nvariable \"db_password\" {{\n  type      = string\n  sensitive = true\n  default   = \"change-me\"\n}}\n\nlocals {{\n  apps = {{ {} }}\n}}\n\n",
            keys.join(", ")
        );
        if !apps.is_empty() {
            let _ = write!(
                main,
                "module \"app\" {{\n  source      = \"../../modules/app\"\n  for_each    = local.apps\n  unit        = each.value\n  kms_key_arn = {key_ref}\n}}\n"
            );
            count += apps.len() * 10;
        }
        create(&stack.join("main.tf"))?.write_all(main.as_bytes())?;
        let roots: Vec<usize> = (start..end)
            .filter(|u| placement(*u) != Placement::Module)
            .collect();
        for (f, chunk) in roots.chunks(FILE_UNITS).enumerate() {
            let mut text = String::new();
            for &u in chunk {
                hcl_unit(&mut text, u);
                count += 10;
            }
            create(&stack.join(format!("r{f:03}.tf")))?.write_all(text.as_bytes())?;
        }
    }
    Ok(count)
}

fn manifest_unit(out: &mut String, u: usize) {
    let ns = format!("ns-{:02}", u % 50);
    let app = format!("app-{u}");
    let privileged = u.is_multiple_of(5);
    let limits = if u.is_multiple_of(3) {
        ""
    } else {
        "\n          resources:\n            limits:\n              cpu: 500m\n              memory: 256Mi\n            requests:\n              cpu: 100m\n              memory: 128Mi"
    };
    let tag = if u.is_multiple_of(4) {
        "latest".to_string()
    } else {
        format!("1.{}.0", u % 20)
    };
    let _ = write!(
        out,
        r#"---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {ns}
  labels:
    app: {app}
spec:
  replicas: {}
  selector:
    matchLabels:
      app: {app}
  template:
    metadata:
      labels:
        app: {app}
    spec:
      serviceAccountName: {app}
      containers:
        - name: web
          image: registry.example.com/{app}:{tag}
          ports:
            - containerPort: 8080
          securityContext:
            privileged: {privileged}
            runAsNonRoot: {}
            readOnlyRootFilesystem: true{limits}
          envFrom:
            - configMapRef:
                name: {app}-config
---
apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {ns}
spec:
  type: {}
  selector:
    app: {app}
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config
  namespace: {ns}
data:
  LOG_LEVEL: info
  UNIT: "{u}"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {app}
  namespace: {ns}
automountServiceAccountToken: {}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {app}
  namespace: {ns}
rules:
  - apiGroups: [""]
    resources: [{}]
    verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {app}
  namespace: {ns}
subjects:
  - kind: ServiceAccount
    name: {app}
    namespace: {ns}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {app}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {app}
  namespace: {ns}
spec:
  podSelector:
    matchLabels:
      app: {app}
  policyTypes: ["Ingress"]
  ingress:
    - from:
        - podSelector: {{}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {app}
  namespace: {ns}
spec:
  tls:{}
  rules:
    - host: {app}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {app}
                port:
                  number: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {app}-db
  namespace: {ns}
spec:
  serviceName: {app}
  replicas: 1
  selector:
    matchLabels:
      app: {app}-db
  template:
    metadata:
      labels:
        app: {app}-db
    spec:
      containers:
        - name: db
          image: postgres:16
          securityContext:
            allowPrivilegeEscalation: {}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        resources:
          requests:
            storage: 10Gi
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {app}-backup
  namespace: {ns}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: backup
              image: registry.example.com/backup:2.1.0
              securityContext:
                runAsNonRoot: true
"#,
        1 + u % 3,
        !u.is_multiple_of(2),
        if u.is_multiple_of(8) {
            "LoadBalancer"
        } else {
            "ClusterIP"
        },
        u.is_multiple_of(6),
        if u.is_multiple_of(10) {
            "\"secrets\""
        } else {
            "\"configmaps\""
        },
        if u.is_multiple_of(3) {
            " []"
        } else {
            "\n    - hosts: [example.com]\n      secretName: tls"
        },
        u.is_multiple_of(7),
    );
}

/// Kubernetes manifests under `dir` (files of 100 documents); returns the number of objects.
pub fn manifests(n: usize, dir: &Path) -> io::Result<usize> {
    let units = units(n);
    std::fs::create_dir_all(dir)?;
    for (f, start) in (0..units).step_by(10).enumerate() {
        let mut text = String::new();
        for u in start..(start + 10).min(units) {
            manifest_unit(&mut text, u);
        }
        create(&dir.join(format!("f{f:05}.yaml")))?.write_all(text.as_bytes())?;
    }
    Ok(units * 10)
}

/// A live-shaped AWS inventory (as `plumb collect aws -o` writes); `later` drifts about 2% of
/// the units (changed, removed and added). Returns the number of resources.
pub fn inventory(n: usize, later: bool, path: &Path) -> io::Result<usize> {
    let units = units(n);
    let mut w = create(path)?;
    let mut count = 0;
    write!(
        w,
        r#"{{"schema":"plumb.dev/inventory/v1","metadata":{{"collected_at":"{}","tool":{{"name":"plumb","version":"0.1.0"}},"collectors":[{{"collector":"aws","scope":"{ACCOUNT}/{REGION}","resources":{},"kinds":{{}}}}],"errors":[]}},"resources":["#,
        if later {
            "2026-11-27T01:00:00Z"
        } else {
            "2026-11-26T01:00:00Z"
        },
        units * 10
    )?;
    let mut first = true;
    let extra = if later { units / 100 } else { 0 };
    for u in 0..units + extra {
        if later && u % 50 == 23 {
            continue; // removed
        }
        for r in unit(u, later) {
            sep(&mut w, &mut first)?;
            let mut attrs = r.state_attrs();
            if later && r.kind == "aws_db_instance" {
                // A volatile field of every database.
                attrs["latest_restorable_time"] = json!("2026-11-27T00:55:00Z");
            } else if r.kind == "aws_db_instance" {
                attrs["latest_restorable_time"] = json!("2026-11-26T00:55:00Z");
            }
            for k in r.sensitive {
                if let Some(o) = attrs.as_object_mut() {
                    o.remove(*k);
                }
            }
            let name = attrs
                .get("name")
                .or_else(|| attrs.get("bucket"))
                .or_else(|| attrs.get("identifier"))
                .or_else(|| attrs.get("id"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let name = if r.kind.starts_with("aws_s3_bucket_") {
                format!("{name}/{}", r.kind)
            } else {
                name
            };
            let cloud_id = attrs.get("arn").cloned().unwrap_or(Value::Null);
            let tags = attrs.get("tags").cloned().unwrap_or(json!({}));
            serde_json::to_writer(
                &mut w,
                &json!({"id": format!("aws:{ACCOUNT}:{REGION}:{}:{name}", r.kind), "kind": r.kind, "name": name,
                    "cloud_id": cloud_id, "source": {"type": "aws", "account": ACCOUNT, "region": REGION},
                    "tags": tags, "attrs": attrs}),
            )?;
            count += 1;
        }
    }
    w.write_all(b"]}\n")?;
    w.flush()?;
    Ok(count)
}
