//! Hash and crypto functions, of strings and of files.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::Digest as _;

use super::super::error::Result;
use super::super::value::Value;
use super::Context;
use super::filesystem::read;
use super::{Category::Crypto as C, Func, Known, err, hex, text, unknown};

pub(super) const FUNCTIONS: &[Func] = &[
    Func::new("base64sha256", C, 1, 1, base64sha256),
    Func::new("base64sha512", C, 1, 1, base64sha512),
    Func::new("bcrypt", C, 1, 2, unknown)
        .known(Known::AtApply)
        .note("salted at random"),
    Func::new("filebase64sha256", C, 1, 1, filebase64sha256),
    Func::new("filebase64sha512", C, 1, 1, filebase64sha512),
    Func::new("filemd5", C, 1, 1, filemd5),
    Func::new("filesha1", C, 1, 1, filesha1),
    Func::new("filesha256", C, 1, 1, filesha256),
    Func::new("filesha512", C, 1, 1, filesha512),
    Func::new("md5", C, 1, 1, md5),
    Func::new("rsadecrypt", C, 2, 2, unknown)
        .note("unknown: plumb does not decrypt (the private key has no business in a scan)"),
    Func::new("sha1", C, 1, 1, sha1),
    Func::new("sha256", C, 1, 1, sha256),
    Func::new("sha512", C, 1, 1, sha512),
    Func::new("uuid", C, 0, 0, unknown)
        .known(Known::AtApply)
        .note("random"),
    Func::new("uuidv5", C, 2, 2, uuidv5),
];

/// The digests, of bytes, as the functions return them.
#[derive(Clone, Copy)]
enum Digest {
    Md5,
    Sha1,
    Sha256,
    Sha512,
    Base64Sha256,
    Base64Sha512,
}

fn digest(kind: Digest, bytes: &[u8]) -> Value {
    Value::string(match kind {
        Digest::Md5 => hex(&md5::Md5::digest(bytes)),
        Digest::Sha1 => hex(&sha1::Sha1::digest(bytes)),
        Digest::Sha256 => hex(&sha2::Sha256::digest(bytes)),
        Digest::Sha512 => hex(&sha2::Sha512::digest(bytes)),
        Digest::Base64Sha256 => BASE64.encode(sha2::Sha256::digest(bytes)),
        Digest::Base64Sha512 => BASE64.encode(sha2::Sha512::digest(bytes)),
    })
}

fn of_string(a: &[Value], kind: Digest) -> Result<Value> {
    Ok(digest(kind, text(&a[0])?.as_bytes()))
}

fn of_file(a: &[Value], ev: &dyn Context, kind: Digest) -> Result<Value> {
    Ok(digest(kind, &read(&a[0], ev)?))
}

fn md5(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    of_string(a, Digest::Md5)
}

fn sha1(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    of_string(a, Digest::Sha1)
}

fn sha256(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    of_string(a, Digest::Sha256)
}

fn sha512(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    of_string(a, Digest::Sha512)
}

fn base64sha256(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    of_string(a, Digest::Base64Sha256)
}

fn base64sha512(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    of_string(a, Digest::Base64Sha512)
}

fn filemd5(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    of_file(a, ev, Digest::Md5)
}

fn filesha1(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    of_file(a, ev, Digest::Sha1)
}

fn filesha256(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    of_file(a, ev, Digest::Sha256)
}

fn filesha512(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    of_file(a, ev, Digest::Sha512)
}

fn filebase64sha256(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    of_file(a, ev, Digest::Base64Sha256)
}

fn filebase64sha512(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    of_file(a, ev, Digest::Base64Sha512)
}

/// `uuidv5(namespace, name)`: RFC 4122's name-based UUID, with SHA-1.
fn uuidv5(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let (namespace, name) = (text(&a[0])?, text(&a[1])?);
    let ns = match namespace.as_str() {
        "dns" => "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "url" => "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
        "oid" => "6ba7b812-9dad-11d1-80b4-00c04fd430c8",
        "x500" => "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
        other => other,
    };
    let Some(ns) = parse_uuid(ns) else {
        return err(format!(
            "{namespace:?} is not a UUID, nor one of dns, url, oid, x500"
        ));
    };
    let mut hasher = sha1::Sha1::new();
    hasher.update(ns);
    hasher.update(name.as_bytes());
    let hash = hasher.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&hash[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    Ok(Value::string(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )))
}

/// A UUID in its text form (hyphens optional, `urn:uuid:` and braces allowed), as bytes.
fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let s = s.strip_prefix("urn:uuid:").unwrap_or(s);
    let s = s
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(s);
    let digits: Vec<u8> = s.bytes().filter(|b| *b != b'-').collect();
    if digits.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in digits.chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}
