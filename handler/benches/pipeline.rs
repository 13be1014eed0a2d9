//! The pipeline benchmark: encoded bytes in memory → encoded bytes, on a large photo,
//! for the jobs of issue 3. Prints one JSON line per job ({job, ms, bytes, width,
//! height}) and the process's peak RSS, in the same shape as tools/sharp/bench.js, so
//! `bin/bench` can put the two side by side.
//!
//! usage: cargo bench -p image-service --bench pipeline -- <input.jpg> [iterations]
//! `BENCH_JOBS=w=500,bl=5` runs a subset (bin/bench runs one job per process so each
//! peak RSS belongs to one job).

use image_service::params::Params;
use image_service::pipeline::{render_params, Limits};
use std::time::Instant;

const JOBS: &[&str] = &[
    "w=500",
    "w=1200&fm=webp&q=80",
    "w=500&fm=avif&q=50",
    "w=300&h=300&f=cover&fm=png",
    "bl=5",
    "r=33",
    // Where the shrink-on-load choice matters (3840 px wide): 2.3× decodes at full size,
    // 4.3× at 1/2 (the smallest DCT scale covering the target would be 1/2 and 1/4).
    "w=1650",
    "w=890",
];

fn main() {
    // `cargo bench` passes `--bench`; skip flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(input) = args.first() else {
        eprintln!("usage: pipeline <input.jpg> [iterations]");
        std::process::exit(2);
    };
    let iterations: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let bytes = std::fs::read(input).unwrap_or_else(|e| panic!("cannot read {input}: {e}"));
    let only: Option<Vec<String>> = std::env::var("BENCH_JOBS")
        .ok()
        .map(|s| s.split(',').map(str::to_string).collect());
    let limits = Limits::default();
    // BENCH_JOBS picks jobs by query; queries outside the list run too, for
    // looking into one step (e.g. the same resize with another output format).
    let jobs: Vec<String> = match only {
        Some(list) => list,
        None => JOBS.iter().map(|j| j.to_string()).collect(),
    };
    for job in &jobs {
        let params = Params::parse(job).expect("benchmark queries parse");
        let result = match render_params(&bytes, &params, limits) {
            Ok(r) => r,
            Err(e) => {
                println!("{{\"job\":\"{job}\",\"error\":{:?}}}", e.to_string());
                continue;
            }
        };
        let start = Instant::now();
        let mut out = result;
        for _ in 0..iterations {
            out = render_params(&bytes, &params, limits).expect("same job succeeds again");
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / iterations as f64;
        // From the header only: decoding the pixels would add a full output image to
        // the peak RSS, which is meant to measure the render.
        let (w, h) = image::ImageReader::new(std::io::Cursor::new(&out.bytes))
            .with_guessed_format()
            .ok()
            .and_then(|r| r.into_dimensions().ok())
            .unwrap_or((0, 0));
        println!(
            "{{\"job\":\"{job}\",\"ms\":{ms:.2},\"bytes\":{},\"width\":{w},\"height\":{h}}}",
            out.bytes.len()
        );
    }
    println!(
        "{{\"peak_rss_mb\":{:.1}}}",
        test_support::peak_rss_mb(None).unwrap_or(0.0)
    );
}
