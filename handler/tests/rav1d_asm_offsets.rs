//! bin/package builds rav1d's aarch64 assembly with our own
//! `bin/lib/cross/rav1d/src/arm/asm-offsets.h` (the crate's package leaves its header out).
//! A wrong offset would not fail that build, only the decodes that read the field, so every
//! `#define` is checked here against rav1d itself: `Dav1dFilmGrainData` (public) with
//! `offset_of!`, and the crate-private `AsmRefMvsFrame` by laying out the `#[repr(C)]` field
//! list of rav1d's own source (the version Cargo.lock builds). x86-64 and aarch64 are both
//! LP64, so the offsets are the same on the machine running the tests.
#![cfg(feature = "avif-decode")]

use std::collections::BTreeMap;
use std::mem::{align_of, offset_of, size_of};
use std::path::{Path, PathBuf};

use rav1d::include::dav1d::headers::Dav1dFilmGrainData as Fgd;

fn header_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../bin/lib/cross/rav1d/src/arm/asm-offsets.h")
}

/// `#define NAME VALUE` lines of the header, for the prefixes the assembly uses.
fn header_defines() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(header_path()).expect("read asm-offsets.h");
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "#define").then_some(())?;
            let name = words.next()?;
            let value = words.next()?.parse().ok()?;
            (name.starts_with("FGD_") || name.starts_with("RMVSF_"))
                .then(|| (name.to_string(), value))
        })
        .collect()
}

#[test]
fn the_header_is_for_an_lp64_target() {
    assert_eq!(size_of::<usize>(), 8);
    assert_eq!(size_of::<std::ffi::c_int>(), 4);
}

#[test]
fn film_grain_offsets_match_rav1d() {
    let defines = header_defines();
    let want = [
        ("FGD_SEED", offset_of!(Fgd, seed)),
        ("FGD_SCALING_SHIFT", offset_of!(Fgd, scaling_shift)),
        ("FGD_AR_COEFF_LAG", offset_of!(Fgd, ar_coeff_lag)),
        ("FGD_AR_COEFFS_Y", offset_of!(Fgd, ar_coeffs_y)),
        ("FGD_AR_COEFFS_UV", offset_of!(Fgd, ar_coeffs_uv)),
        ("FGD_AR_COEFF_SHIFT", offset_of!(Fgd, ar_coeff_shift)),
        ("FGD_GRAIN_SCALE_SHIFT", offset_of!(Fgd, grain_scale_shift)),
        ("FGD_UV_MULT", offset_of!(Fgd, uv_mult)),
        ("FGD_UV_LUMA_MULT", offset_of!(Fgd, uv_luma_mult)),
        ("FGD_UV_OFFSET", offset_of!(Fgd, uv_offset)),
        (
            "FGD_CLIP_TO_RESTRICTED_RANGE",
            offset_of!(Fgd, clip_to_restricted_range),
        ),
    ];
    for (name, offset) in want {
        assert_eq!(
            defines.get(name),
            Some(&offset),
            "{name} in {}",
            header_path().display()
        );
    }
    let in_header = defines.keys().filter(|k| k.starts_with("FGD_")).count();
    assert_eq!(in_header, want.len(), "every FGD_ define is checked");
}

/// rav1d's source directory: the version Cargo.lock builds, found in the dep-info files
/// cargo wrote beside this test binary (they list every source file of each crate).
fn rav1d_dir() -> PathBuf {
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock"))
        .expect("Cargo.lock");
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains("\nname = \"rav1d\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .and_then(|v| v.strip_suffix('"'))
        .expect("rav1d in Cargo.lock");
    let wanted = format!("rav1d-{version}/src/refmvs.rs");
    let deps = std::env::current_exe()
        .expect("test binary")
        .parent()
        .expect("deps dir")
        .to_path_buf();
    for entry in std::fs::read_dir(&deps).expect("read deps dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("rav1d-") && name.ends_with(".d")) {
            continue;
        }
        let info = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if let Some(file) = info
            .split_whitespace()
            .map(|t| t.trim_end_matches(':'))
            .find(|t| t.ends_with(&wanted))
        {
            return Path::new(file)
                .parent()
                .and_then(Path::parent)
                .expect("rav1d dir")
                .to_path_buf();
        }
    }
    panic!("no dep-info in {} names {wanted}", deps.display());
}

/// Size and alignment of the field types `AsmRefMvsFrame` uses, on this (LP64) target.
fn layout_of(ty: &str) -> (usize, usize) {
    let ty = ty.trim();
    if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let (elem, n) = inner.rsplit_once(';').expect("array type");
        let (size, align) = layout_of(elem);
        return (
            size * n.trim().parse::<usize>().expect("array length"),
            align,
        );
    }
    if ty.starts_with("PhantomData") {
        return (0, 1);
    }
    if ty.starts_with("*const") || ty.starts_with("*mut") || ty.starts_with('&') {
        return (size_of::<usize>(), align_of::<usize>());
    }
    match ty {
        "u8" | "i8" => (1, 1),
        "u16" | "i16" => (2, 2),
        "u32" | "i32" | "c_int" | "c_uint" => (4, 4),
        "u64" | "i64" => (8, align_of::<u64>()),
        "usize" | "isize" => (size_of::<usize>(), align_of::<usize>()),
        other => panic!("AsmRefMvsFrame has a field of type {other}: teach layout_of its size"),
    }
}

#[test]
fn refmvs_frame_offsets_match_rav1d_source() {
    let source = std::fs::read_to_string(rav1d_dir().join("src/refmvs.rs"))
        .expect("read rav1d's src/refmvs.rs");
    let start = source
        .find("struct AsmRefMvsFrame")
        .expect("AsmRefMvsFrame in rav1d's src/refmvs.rs");
    let preamble = &source[..start];
    let attrs = &preamble[preamble.rfind("\n\n").unwrap_or(0)..];
    assert!(attrs.contains("#[repr(C)]"), "AsmRefMvsFrame is #[repr(C)]");
    let body = &source[start..];
    let body = &body[body.find('{').expect("{") + 1..body.find("\n}").expect("}")];

    // #[repr(C)] layout: each field at the next multiple of its alignment.
    let mut offsets = BTreeMap::new();
    let mut offset = 0usize;
    for line in body.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") || line.starts_with('#') {
            continue;
        }
        let line = line
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub ");
        let (name, ty) = line.split_once(':').expect("name: Type");
        let (size, align) = layout_of(ty.trim_end_matches(','));
        offset = offset.div_ceil(align) * align;
        offsets.insert(name.trim().to_string(), offset);
        offset += size;
    }

    let defines = header_defines();
    let rmvsf: Vec<_> = defines
        .iter()
        .filter(|(k, _)| k.starts_with("RMVSF_"))
        .collect();
    assert!(!rmvsf.is_empty());
    for (name, value) in rmvsf {
        let field = name["RMVSF_".len()..].to_lowercase();
        assert_eq!(
            offsets.get(&field),
            Some(value),
            "{name}: field `{field}` of AsmRefMvsFrame"
        );
    }
}
