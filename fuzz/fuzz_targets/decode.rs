//! Any bytes as an uploaded original, rendered with one of a few fixed queries under
//! small limits: the pipeline answers Ok or Err and never panics, hangs or allocates
//! without bound; what it answers Ok is a file of the format it claims.
//!
//! The last byte of the input picks the query. Decoders ignore trailing bytes of most
//! files, so a seed image keeps decoding while the fuzzer flips through the queries.
#![no_main]

use std::sync::OnceLock;

use image_service::codecs;
use image_service::params::Params;
use image_service::pipeline::{self, Limits};
use libfuzzer_sys::fuzz_target;

/// Resize on load, fit with a PNG out, rotate with a WebP out, blur with a JPEG out, and
/// the rest of the common paths: format change only, crop, flatten, animation out.
const QUERIES: &[&str] = &[
    "",
    "w=64",
    "w=32&h=32&f=contain&fm=png",
    "r=45&fm=webp",
    "bl=2&fm=jpeg",
    "fm=png",
    "w=40&h=20&f=cover&p=attention&fm=gif",
    "tr=10&g&fm=tiff",
];

fn parsed() -> &'static [Params] {
    static PARSED: OnceLock<Vec<Params>> = OnceLock::new();
    PARSED.get_or_init(|| {
        QUERIES
            .iter()
            .map(|q| Params::parse(q).unwrap_or_else(|e| panic!("fixed query {q:?}: {e}")))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    // The header readers on their own, on every input.
    let sniffed = codecs::sniff(data);
    if let Ok(probe) = codecs::probe(data) {
        assert_eq!(Some(probe.format), sniffed, "probe and sniff disagree");
        let _ = probe.oriented_size();
    }

    let queries = parsed();
    let pick = data.last().map_or(0, |&b| usize::from(b) % queries.len());
    let limits = Limits {
        max_input_pixels: 4_000_000,
        max_input_frames: 50,
        ..Limits::default()
    };
    if let Ok(rendered) = pipeline::render_params(data, &queries[pick], limits) {
        let format = codecs::sniff(&rendered.bytes);
        assert_eq!(
            format.map(|f| f.mime()),
            Some(rendered.mime),
            "the output of {:?} is not the format it is labelled",
            QUERIES[pick]
        );
    }
});
