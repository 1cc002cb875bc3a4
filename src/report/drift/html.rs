//! HTML: one self-contained page (styles inline, no scripts, no request leaves it), rendered
//! with tera from `reports/drift.html`, which is compiled into the binary. Every value is
//! escaped by tera's autoescaping: resource names, tags and attribute values are written by
//! whoever controls the infrastructure.

use std::io::{self, Write};

use super::View;

const TEMPLATE: &str = include_str!("../../../reports/drift.html");

pub fn render(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut tera = tera::Tera::default();
    // Names ending in .html are autoescaped.
    tera.add_raw_template("drift.html", TEMPLATE)
        .map_err(io::Error::other)?;
    let context = tera::Context::from_serialize(view).map_err(io::Error::other)?;
    tera.render_to("drift.html", &context, out)
        .map_err(io::Error::other)
}
