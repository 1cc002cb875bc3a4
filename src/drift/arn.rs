//! Amazon Resource Names as drift compares them: their parts, the provider id one ends
//! with, and the comparable form of one.

/// An ARN in a comparable form: CloudWatch Logs' trailing `:*` (which the API adds and the
/// provider strips) removed.
pub(super) fn normalise_arn(arn: &str) -> &str {
    arn.strip_suffix(":*").unwrap_or(arn)
}

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
pub(super) struct Arn<'a> {
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

pub(super) fn parse_arn(s: &str) -> Option<Arn<'_>> {
    let mut parts = s.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let _partition = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    Some(Arn {
        service,
        region,
        account,
        resource: normalise_arn(resource),
    })
}

/// The provider id an ARN ends with: `sg-0abc` for `...:security-group/sg-0abc`, the bucket
/// for `arn:aws:s3:::logs`, the role name for `...:role/service-role/x`, the log group name
/// for `...:log-group:/app/x`.
pub(super) fn arn_short_id(arn: &str) -> Option<&str> {
    let a = parse_arn(arn)?;
    let r = a.resource;
    let short = match a.service {
        "s3" if !r.contains('/') => r,
        // IAM names carry a path (`role/service-role/name`); the name is the last part.
        "iam" => r.rsplit('/').next()?,
        _ => match r.find(['/', ':']) {
            Some(i) => &r[i + 1..],
            None => r,
        },
    };
    (!short.is_empty()).then_some(short)
}
