//! HTML: one self-contained page rendered with tera from `reports/drift.html` and
//! `reports/drift.css`, compiled into the binary. The style is inline and the page has no
//! script; its Content-Security-Policy allows that style alone (by hash) and forbids every
//! request, as the scan report's does. Every value is escaped by tera's autoescaping: resource
//! names, tags and attribute values are written by whoever controls the infrastructure.

use std::io::{self, Write};

use super::View;

const TEMPLATE: &str = include_str!("../../../reports/drift.html");
const CSS: &str = include_str!("../../../reports/drift.css");

pub(super) fn render(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut tera = tera::Tera::default();
    // Names ending in .html are autoescaped.
    tera.add_raw_template("drift.html", TEMPLATE)
        .map_err(io::Error::other)?;
    let mut context = tera::Context::from_serialize(view).map_err(io::Error::other)?;
    context.insert("style", CSS);
    context.insert(
        "csp",
        &format!(
            "default-src 'none'; style-src {}; base-uri 'none'; form-action 'none'",
            crate::report::html::csp_hash(CSS)
        ),
    );
    tera.render_to("drift.html", &context, out)
        .map_err(io::Error::other)
}
