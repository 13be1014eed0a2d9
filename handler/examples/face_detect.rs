//! Faces found and the time `p=face` spends finding them, for the report:
//! `cargo run --release --example face_detect -- <image>...` prints, per image, its size,
//! the decode time, the detection time (median of 5 runs: greyscale copy of at most
//! 640 px plus the detector) and each face box in the image's pixels. Without
//! arguments it reads the face fixture and the samples. The first detection in a
//! process also parses the embedded model; its time is printed on its own.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use image_service::codecs::{self, DecodeOptions};
use image_service::ops::face;

fn main() {
    let mut paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        paths.push(root.join("tests/fixtures/faces/astronaut.jpg"));
        for name in ["Landscape_6.jpg", "progressive_3.jpg", "blackbug.png"] {
            paths.push(root.join("../assets/samples").join(name));
        }
    }
    let first = Instant::now();
    let tiny = image::DynamicImage::new_luma8(64, 64);
    face::detect(&tiny).expect("detector runs");
    println!(
        "model parse + first run on 64x64: {:.1} ms",
        ms(first.elapsed())
    );
    for path in paths {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let started = Instant::now();
        let stored = codecs::decode_stored(&bytes, &DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .into_upright();
        let decode = started.elapsed();
        let img = &stored.frames[0].image;
        let mut times = Vec::new();
        let mut faces = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            faces = face::detect(img).expect("detect");
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "{}: {}x{}, decode {:.1} ms, detect {:.1} ms (min {:.1}, max {:.1}), {} face(s)",
            path.display(),
            img.width(),
            img.height(),
            ms(decode),
            ms(times[2]),
            ms(times[0]),
            ms(times[4]),
            faces.len()
        );
        for f in &faces {
            println!(
                "  left {:.0} top {:.0} width {:.0} height {:.0} score {:.2}",
                f.left, f.top, f.width, f.height, f.score
            );
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
