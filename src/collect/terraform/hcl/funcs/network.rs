//! IP network functions over IPv4 and IPv6 prefixes.

use super::super::error::{EvalError, Result};
use super::super::value::Value;
use super::Context;
use super::{Category::Network as C, Func, VARIADIC, err, int, string_list, text};

pub(super) const FUNCTIONS: &[Func] = &[
    Func::new("cidrhost", C, 2, 2, cidrhost),
    Func::new("cidrnetmask", C, 1, 1, cidrnetmask),
    Func::new("cidrsubnet", C, 3, 3, cidrsubnet),
    Func::new("cidrsubnets", C, 1, VARIADIC, cidrsubnets),
];

fn cidrhost(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let net = Cidr::parse(&text(&a[0])?)?;
    Ok(Value::string(net.host(int(&a[1])?)?))
}

fn cidrnetmask(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let net = Cidr::parse(&text(&a[0])?)?;
    if net.bits != 32 {
        return err("cidrnetmask only supports IPv4 prefixes");
    }
    Ok(Value::string(format_ip(net.mask(), 32)))
}

fn cidrsubnet(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let net = Cidr::parse(&text(&a[0])?)?;
    Ok(Value::string(
        net.subnet(int(&a[1])?, int(&a[2])?)?.to_string(),
    ))
}

fn cidrsubnets(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let net = Cidr::parse(&text(&a[0])?)?;
    let newbits = a[1..].iter().map(int).collect::<Result<Vec<i64>>>()?;
    Ok(string_list(net.subnets(&newbits)?))
}

/// An IPv4 or IPv6 prefix, as Terraform's CIDR functions see it.
struct Cidr {
    addr: u128,
    prefix: u32,
    bits: u32,
}

impl Cidr {
    fn parse(s: &str) -> Result<Cidr> {
        let (ip, len) = s
            .split_once('/')
            .ok_or_else(|| EvalError::new(format!("invalid CIDR prefix {s:?}")))?;
        let (addr, bits) = match ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(v4)) => (u128::from(u32::from(v4)), 32),
            Ok(std::net::IpAddr::V6(v6)) => (u128::from(v6), 128),
            Err(_) => return err(format!("invalid IP address {ip:?}")),
        };
        let prefix: u32 = len
            .parse()
            .ok()
            .filter(|p| *p <= bits)
            .ok_or_else(|| EvalError::new(format!("invalid prefix length in {s:?}")))?;
        Ok(Cidr { addr, prefix, bits })
    }

    fn full(&self) -> u128 {
        if self.bits == 128 {
            u128::MAX
        } else {
            (1u128 << self.bits) - 1
        }
    }

    fn mask_of(&self, prefix: u32) -> u128 {
        if prefix == 0 {
            0
        } else {
            (self.full() >> (self.bits - prefix)) << (self.bits - prefix) & self.full()
        }
    }

    fn mask(&self) -> u128 {
        self.mask_of(self.prefix)
    }

    fn network(&self) -> u128 {
        self.addr & self.mask()
    }

    fn subnet(&self, newbits: i64, netnum: i64) -> Result<Cidr> {
        let new_prefix = self.prefix as i64 + newbits;
        if newbits < 0 || new_prefix > self.bits as i64 {
            return err(format!(
                "cannot extend prefix /{} by {newbits} bits in a {}-bit address",
                self.prefix, self.bits
            ));
        }
        let new_prefix = new_prefix as u32;
        if netnum < 0 || (newbits < 127 && (netnum as u128) >= (1u128 << newbits)) {
            return err(format!(
                "prefix extension of {newbits} bits does not fit {netnum}"
            ));
        }
        let shift = self.bits - new_prefix;
        let addr = self.network() | ((netnum as u128) << shift);
        Ok(Cidr {
            addr,
            prefix: new_prefix,
            bits: self.bits,
        })
    }

    fn host(&self, hostnum: i64) -> Result<String> {
        let host_bits = self.bits - self.prefix;
        let size: u128 = if host_bits >= 127 {
            u128::MAX
        } else {
            1u128 << host_bits
        };
        let n: u128 = if hostnum < 0 {
            let back = hostnum.unsigned_abs() as u128;
            if back > size {
                return err(format!(
                    "host number {hostnum} does not fit /{}",
                    self.prefix
                ));
            }
            size - back
        } else {
            let n = hostnum as u128;
            if n >= size {
                return err(format!(
                    "host number {hostnum} does not fit /{}",
                    self.prefix
                ));
            }
            n
        };
        Ok(format_ip(self.network() | n, self.bits))
    }

    /// Terraform's `cidrsubnets`: consecutive, aligned subnets.
    fn subnets(&self, newbits: &[i64]) -> Result<Vec<String>> {
        let Some(first) = newbits.first() else {
            return Ok(Vec::new());
        };
        let full = self.full();
        let block = |prefix: u32| -> u128 {
            if self.bits - prefix >= 128 {
                u128::MAX
            } else {
                1u128 << (self.bits - prefix)
            }
        };
        let first_prefix = self.prefix as i64 + first;
        if first_prefix > self.bits as i64 || *first < 1 {
            return err("each new prefix must be longer than the base prefix and fit the address");
        }
        // The subnet just before the network, at the first length.
        let mut current_start =
            self.network().wrapping_sub(1) & full & self.mask_of(first_prefix as u32);
        let mut current_prefix = first_prefix as u32;
        let mut out = Vec::new();
        for &nb in newbits {
            let p = self.prefix as i64 + nb;
            if nb < 1 || p > self.bits as i64 {
                return err(
                    "each new prefix must be longer than the base prefix and fit the address",
                );
            }
            let p = p as u32;
            let current_last = current_start
                .wrapping_add(block(current_prefix))
                .wrapping_sub(1)
                & full;
            let aligned = current_last & self.mask_of(p);
            let next = aligned.wrapping_add(block(p)) & full;
            if next == 0 || (next & self.mask()) != self.network() {
                return err("not enough address space for the requested subnets");
            }
            out.push(format!("{}/{p}", format_ip(next, self.bits)));
            current_start = next;
            current_prefix = p;
        }
        Ok(out)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}",
            format_ip(self.network(), self.bits),
            self.prefix
        )
    }
}

fn format_ip(addr: u128, bits: u32) -> String {
    if bits == 32 {
        std::net::Ipv4Addr::from(addr as u32).to_string()
    } else {
        std::net::Ipv6Addr::from(addr).to_string()
    }
}
