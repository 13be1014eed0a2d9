//! Measuring tool (not shipped, not a test): what `fm=auto` saves and what AVIF costs.
//!
//! 1. AVIF encode time per megapixel (rav1e speed 6 as `codecs::avif` sets it) for
//!    every still sample at full size and at w=300: the encode phase's wall time and
//!    the whole render's CPU time (which contention on a shared machine does not
//!    inflate), the figure behind `plan::format::AVIF_MS_PER_MEGAPIXEL`, printed
//!    beside the estimate.
//! 2. Bytes of `fm=auto` for the AVIF and WebP classes against JPEG for the JPEG
//!    samples (full size, and w=300), with each format's default q and at one same q,
//!    in one run.
//!
//! usage: cargo run -p image-service --example auto_format [-- <q>]   (default q 80)
//! The dev profile builds dependencies (rav1e among them) at opt-level 2, so the
//! timings are close to a release build's; say which profile when quoting them.

use image_service::metrics::{Phase, PhaseTimes};
use image_service::params::accept::AcceptClass;
use image_service::params::Params;
use image_service::pipeline::{render_with, OperandSources, Rendered};
use image_service::plan::format::{avif_estimate_ms, AVIF_MS_PER_MEGAPIXEL};
use image_service::plan::{Context, Limits, Plan};
use image_service::samples::SAMPLES;

/// Renders `query` on `input` for a client of `accept`, with the default AVIF budget.
fn render(input: &[u8], query: &str, accept: AcceptClass) -> (Rendered, PhaseTimes) {
    let params = Params::parse(query).expect("a valid query");
    let context = Context {
        accept,
        avif_budget_ms: image_service::config::DEFAULT_AVIF_BUDGET_MS,
        ..Context::default()
    };
    let plan = Plan::with_context(&params, Limits::default(), &context).expect("a plan");
    let mut phases = PhaseTimes::default();
    let rendered = render_with(input, &plan, &OperandSources::default(), &mut phases)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    (rendered, phases)
}

fn megapixels(bytes: &[u8]) -> f64 {
    let header = image_service::codecs::probe(bytes).expect("our own output probes");
    f64::from(header.width) * f64::from(header.height) / 1e6
}

/// CPU milliseconds this process has used (user + system, all threads), from
/// /proc/self/stat at 100 ticks a second: unlike wall time, not inflated when other
/// processes share the cores.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    let after_name = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks * 10.0
}

fn avif_timing() {
    println!("AVIF encode (rav1e speed 6), constant {AVIF_MS_PER_MEGAPIXEL} ms/MP");
    println!("| sample | query | MP | encode wall ms | render CPU ms | CPU ms/MP | estimate ms |");
    println!("|---|---|---|---|---|---|---|");
    for (name, bytes) in SAMPLES.iter().filter(|(n, _)| !n.ends_with(".gif")) {
        for query in ["fm=avif", "w=300&fm=avif"] {
            let before = cpu_ms();
            let (rendered, phases) = render(bytes, query, AcceptClass::Other);
            let cpu = cpu_ms() - before;
            let wall = phases.get(Phase::Encode).unwrap_or_default().as_secs_f64() * 1e3;
            let mp = megapixels(&rendered.bytes);
            let estimate = avif_estimate_ms((mp * 1e6).round() as u64);
            println!(
                "| {name} | {query} | {mp:.2} | {wall:.0} | {cpu:.0} | {:.0} | {estimate} |",
                cpu / mp
            );
        }
    }
}

/// `q`: the same explicit quality for every format; `None`: each format's default
/// (JPEG 80, WebP 80, AVIF 50), what a URL without `q` gets.
fn savings(q: Option<u8>) {
    let q_pair = q.map_or(String::new(), |q| format!("q={q}&"));
    let label = q.map_or("each format's default q".to_string(), |q| format!("q={q}"));
    println!("\nfm=auto against JPEG, {label} (JPEG samples)");
    println!("| sample | size | JPEG bytes | avif class | saved | webp class | saved |");
    println!("|---|---|---|---|---|---|---|");
    let mut totals = [0usize; 3];
    for (name, bytes) in SAMPLES.iter().filter(|(n, _)| n.ends_with(".jpg")) {
        for size in ["", "w=300&"] {
            let (jpeg, _) = render(bytes, &format!("{size}{q_pair}fm=jpeg"), AcceptClass::Other);
            let auto = format!("{size}{q_pair}fm=auto");
            let (avif, _) = render(bytes, &auto, AcceptClass::Avif);
            let (webp, _) = render(bytes, &auto, AcceptClass::Webp);
            let saved = |n: usize| 100.0 * (1.0 - n as f64 / jpeg.bytes.len() as f64);
            println!(
                "| {name} | {} | {} | {} {} | {:.0} % | {} {} | {:.0} % |",
                if size.is_empty() { "full" } else { "w=300" },
                jpeg.bytes.len(),
                avif.bytes.len(),
                avif.mime,
                saved(avif.bytes.len()),
                webp.bytes.len(),
                webp.mime,
                saved(webp.bytes.len()),
            );
            for (total, n) in
                totals
                    .iter_mut()
                    .zip([jpeg.bytes.len(), avif.bytes.len(), webp.bytes.len()])
            {
                *total += n;
            }
        }
    }
    let saved = |n: usize| 100.0 * (1.0 - n as f64 / totals[0] as f64);
    println!(
        "| all | | {} | {} | {:.0} % | {} | {:.0} % |",
        totals[0],
        totals[1],
        saved(totals[1]),
        totals[2],
        saved(totals[2])
    );
}

fn main() {
    let q = std::env::args()
        .nth(1)
        .map_or(80, |q| q.parse().expect("q is a number 1-100"));
    avif_timing();
    savings(None);
    savings(Some(q));
}
