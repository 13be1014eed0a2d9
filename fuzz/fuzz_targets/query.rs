//! Any bytes as a query string: `Params::parse` never panics, whatever it is given; what
//! it accepts has a canonical form that parses back to the same `Params` and the same
//! canonical string, and planning the operations never panics.
#![no_main]

use image_service::params::Params;
use image_service::plan::{Limits, Plan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Queries reach the parser as text; invalid UTF-8 becomes U+FFFD, as lossy as a
    // client's URL encoder would be, so no input is wasted.
    let query = String::from_utf8_lossy(data);
    let Ok(params) = Params::parse(&query) else {
        return;
    };

    let canonical = params.canonical();
    assert!(
        !canonical.contains(' ') && !canonical.contains('#'),
        "canonical form {canonical:?} has a raw space or '#' (query {query:?})"
    );
    let reparsed = match Params::parse(&canonical) {
        Ok(p) => p,
        Err(e) => panic!("canonical form {canonical:?} of {query:?} does not parse: {e}"),
    };
    assert_eq!(
        reparsed.canonical(),
        canonical,
        "canonical form is not a fixed point (query {query:?})"
    );
    assert_eq!(
        reparsed, params,
        "canonical form {canonical:?} parses to other Params (query {query:?})"
    );
    assert_eq!(params.is_empty(), canonical.is_empty());

    // Planning (what the route checks before any I/O) must not panic either.
    let unlimited = Limits {
        max_operations: usize::MAX,
        ..Limits::default()
    };
    if let Ok(plan) = Plan::new(&params, unlimited) {
        for op in plan.operations() {
            let _ = op.name();
        }
        let _ = (plan.operands(), plan.shrink_to((4000, 3000)), plan.cache_key());
    }
});
