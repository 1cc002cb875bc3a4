//! What every fuzz target checks of a reader's answer.

use plumb::inventory::{CollectError, Resource};

/// What a reader gave back keeps the inventory's invariants: resources with an id, a kind and
/// object attributes, or an error that says something.
pub fn holds(read: Result<Vec<Resource>, CollectError>) {
    match read {
        Ok(resources) => resources.iter().for_each(resource_holds),
        Err(e) => assert!(!e.message.is_empty(), "an empty error"),
    }
}

/// One resource has an id, a kind and object attributes.
pub fn resource_holds(r: &Resource) {
    assert!(!r.id.is_empty() && !r.kind.is_empty(), "{r:?}");
    assert!(r.attrs.is_object(), "{}: {}", r.id, r.attrs);
}
