//! AVIF decoding runs in a child process of the real binary (see `codecs::isolate`): any
//! damaged file must come back as an answer — pixels or a 4xx — while this process lives
//! on. rav1d aborts the whole process on some damaged AV1 streams, so without the child
//! this test would die rather than fail. A child still decoding at the request's deadline
//! is killed and reaped.

#![cfg(feature = "avif-decode")]

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use image::{DynamicImage, Rgb, RgbImage};
use image_service::codecs::{self, DecodeOptions, EncodeOptions, Frame, Limits, OutputFormat};

/// The tests here count this process's children, so they take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn use_the_real_binary() {
    codecs::isolate::enable(PathBuf::from(env!("CARGO_BIN_EXE_image-service")));
}

/// Processes whose parent is this one, from /proc: running or exited but not yet reaped
/// (a zombie keeps its entry until `wait`).
fn children() -> Vec<u32> {
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces or ')'.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue; // gone meanwhile
        };
        let after_comm = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
        let ppid = after_comm
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u32>().ok());
        if ppid == Some(me) {
            found.push(pid);
        }
    }
    found
}

fn avif_sample() -> Vec<u8> {
    avif_of_size(96, 64)
}

fn avif_of_size(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 2) as u8, (y * 3) as u8, ((x * y) % 256) as u8])
    });
    codecs::encode(
        &[Frame {
            image: DynamicImage::ImageRgb8(image),
            delay_ms: 0,
        }],
        0,
        &EncodeOptions {
            format: OutputFormat::Avif,
            quality: Some(60),
            lossless: false,
            palette: None,
            cmyk: false,
        },
    )
    .unwrap()
}

/// xorshift: deterministic damage without a dependency.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn damaged_avif_files_are_answered_by_the_child_and_never_kill_us() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    use_the_real_binary();
    let sample = avif_sample();

    let good = codecs::decode(&sample, &DecodeOptions::default()).unwrap();
    let frame = &good.frames[0].image;
    assert_eq!((frame.width(), frame.height()), (96, 64));

    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let (mut decoded, mut refused) = (0, 0);
    for _ in 0..150 {
        let mut damaged = sample.clone();
        // Leave the container header mostly intact so the damage reaches the AV1 decoder.
        let start = damaged.len() / 3;
        for _ in 0..(1 + next(&mut state) % 8) {
            let at = start + (next(&mut state) as usize) % (damaged.len() - start);
            damaged[at] = next(&mut state) as u8;
        }
        match codecs::decode(&damaged, &DecodeOptions::default()) {
            Ok(_) => decoded += 1,
            Err(e) => {
                assert!(
                    matches!(e.status().as_u16(), 413 | 415 | 422),
                    "damaged AVIF gave {} {e}",
                    e.status()
                );
                refused += 1;
            }
        }
    }
    assert_eq!(decoded + refused, 150);
    eprintln!("150 damaged AVIFs: {decoded} decoded, {refused} refused");
}

#[test]
fn a_child_past_the_deadline_is_killed_and_reaped_and_the_answer_is_a_timeout() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    use_the_real_binary();
    // Large enough that decoding takes far longer than starting and killing a child.
    let sample = avif_of_size(2048, 1024);
    assert!(children().is_empty(), "children before: {:?}", children());
    let with_deadline = |deadline| DecodeOptions {
        limits: Limits {
            deadline: Some(deadline),
            ..Limits::default()
        },
        ..DecodeOptions::default()
    };

    // A deadline far enough away changes nothing; this is how long the child needs.
    let started = Instant::now();
    let far = Instant::now() + Duration::from_secs(600);
    let decoded = codecs::decode(&sample, &with_deadline(far)).unwrap();
    let full = started.elapsed();
    assert_eq!(decoded.frames[0].image.width(), 2048);
    assert!(children().is_empty());

    // The deadline has just passed: the child is started (spawn returns once it runs)
    // and cannot have answered yet, so it must be killed, not waited for.
    let started = Instant::now();
    let err = codecs::decode(&sample, &with_deadline(Instant::now())).unwrap_err();
    let stopped = started.elapsed();
    assert_eq!(
        (err.status().as_u16(), err.code()),
        (503, "timeout"),
        "{err}"
    );
    eprintln!("whole decode {full:?}; decode stopped at the deadline {stopped:?}");
    assert!(
        stopped * 2 < full,
        "the timed-out decode took {stopped:?}, a whole decode {full:?}: the child was waited for"
    );
    // Neither running nor a zombie: the kill was followed by a wait.
    assert_eq!(children(), Vec::<u32>::new(), "a decoder child is left");
}
