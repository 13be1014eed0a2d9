//! Where we differ from Sharp on purpose: one entry per difference, each naming the
//! tests that hold it. The README's list is generated from [`DIFFERENCES`] (between the
//! `differences` markers), and a test checks that every named test exists, so the list
//! cannot claim what no test enforces.

/// One deliberate difference from Sharp 0.35.5.
pub struct Difference {
    /// The parameters or formats it concerns, as the README shows them.
    pub about: &'static str,
    /// What we do, and what Sharp does instead.
    pub text: &'static str,
    /// `path/from/repo/root.rs::test_fn` of each test that proves it.
    pub tests: &'static [&'static str],
}

pub const DIFFERENCES: &[Difference] = &[
    Difference {
        about: "`bo`, `jc`",
        text: "operands are **keys in the same store** (same key rules as `GET`), never URLs; \
               a missing one is a 404 naming it. An operand of another size is resized to the \
               image (Sharp pads to the larger of the two and the output grows). `jc` appends \
               each operand's first channel; more than 4 channels in all is a 400.",
        tests: &[
            "handler/src/params/tests.rs::url_operands_say_operands_are_store_keys",
            "handler/src/ops/channels/boolean.rs::operand_of_another_size_is_resized_to_the_image",
            "handler/src/ops/channels/join_channel.rs::operand_of_another_size_is_resized",
            "handler/src/ops/channels/join_channel.rs::more_than_four_bands_is_a_400_naming_jc",
        ],
    },
    Difference {
        about: "`wm`",
        text: "a watermark larger than the image is scaled down to fit (Sharp fails); an \
               unknown name is a 404 listing the available ones. `IMAGE_SERVICE_WATERMARK` \
               puts one watermark on every image served, originals included.",
        tests: &[
            "handler/src/ops/composite/watermark.rs::larger_watermark_is_scaled_down_to_fit",
            "handler/tests/http.rs::watermark_by_name_and_unknown_names_list_the_available_ones",
            "handler/src/plan/tests.rs::the_enforced_watermark_is_a_step_in_the_order_and_in_the_cache_key",
        ],
    },
    Difference {
        about: "`pc`, `tc`",
        text: "`srgb`, `rgb16`, `b-w` and `grey16` work, and `tc=cmyk`; `lab`, `lch`, \
               `hsv` and `xyz` are a 400 (Sharp writes them as plain sRGB PNGs, so accepting \
               them would do nothing), and so is `pc=cmyk` (operations run on RGB or grey, \
               not on inks as in Sharp). `tc=cmyk` JPEG/TIFF are separated through a CC0 \
               SWOP-like profile and carry it (Sharp: libvips' own profile, not embedded); \
               read back they are closer to the input than Sharp's. CMYK inputs without a \
               profile are read through that profile (Sharp: libvips' own), 4–8 levels \
               from Sharp.",
        tests: &[
            "handler/src/ops/colour/colourspace.rs::unsupported_values_are_a_400_naming_the_working_ones",
            "handler/src/ops/colour/colourspace.rs::cmyk_is_output_only_and_names_tc_as_the_way",
            "handler/tests/icc.rs::cmyk_jpeg_output_reads_back_as_the_photo",
            "handler/tests/icc.rs::cmyk_tiff_output_reads_back_as_the_photo",
            "handler/tests/icc.rs::cmyk_png_output_is_the_round_trip_like_sharps",
            "handler/tests/icc.rs::cmyk_jpeg_without_a_profile_reads_like_sharp",
            "handler/tests/icc.rs::cmyk_tiff_without_a_profile_reads_like_sharp",
        ],
    },
    Difference {
        about: "`r`",
        text: "without `bg` on an image with alpha, the corners are transparent (Sharp: \
               opaque black).",
        tests: &["handler/src/ops/geometry/rotate.rs::default_background_follows_alpha"],
    },
    Difference {
        about: "`cv`, `th`, `cl`, `sh`",
        text: "leave alpha as it is (libvips filters it too). `cl` with a window larger \
               than the image shrinks the window (libvips fails).",
        tests: &[
            "handler/src/differences.rs::filters_leave_alpha_as_it_is",
            "handler/src/ops/filters/clahe.rs::windows_larger_than_the_image_and_every_type",
        ],
    },
    Difference {
        about: "`li`, `rc`",
        text: "more values than the image has channels, or a 4×4 matrix on an image \
               without alpha, are applied to the channels that exist (Sharp fails).",
        tests: &[
            "handler/src/ops/colour/linear.rs::channel_selection",
            "handler/src/ops/colour/recomb.rs::every_type_never_panics_and_grey_becomes_rgb",
        ],
    },
    Difference {
        about: "`afi=lbb|nohalo`",
        text: "are one approximation (Catmull-Rom clamped to the nearest 2×2 pixels), so \
               the two give the same pixels; each is within 0.4 (lbb) and 0.8 (nohalo) levels \
               of libvips, as close as our bicubic is. `vsqbs` (quadratic B-spline) and the \
               other interpolators are each told apart from the rest by the test.",
        tests: &["handler/src/ops/geometry/affine.rs::matches_sharp_for_every_interpolator"],
    },
    Difference {
        about: "`p=entropy|attention`",
        text: "may choose another window than libvips when two score alike (the size is \
               always the same).",
        tests: &["handler/src/golden.rs::golden_cases_match_our_goldens_and_sharp"],
    },
    Difference {
        about: "16-bit and grey images",
        text: "keep their depth and channel count unless an operation changes them (Sharp \
               writes 8-bit sRGB unless told otherwise).",
        tests: &[
            "handler/src/codecs/tests.rs::png_fixtures_keep_depth_and_alpha",
            "handler/src/codecs/png.rs::sixteen_bit_round_trip_stays_sixteen_bit",
        ],
    },
    Difference {
        about: "GIF output",
        text: "is not dithered (Sharp dithers with libimagequant): smaller files and exact \
               flat colours, some banding on photo-like GIFs with more than 256 colours. \
               Colours within 6 levels share a palette entry unless `ll=true`. Sizes against \
               Sharp's are in [Benchmark](#benchmark).",
        tests: &[
            "handler/src/codecs/gif/encode.rs::still_without_transparency_uses_all_256_colours_exactly",
            "handler/src/codecs/gif/encode.rs::a_photo_is_quantised_to_256_colours_without_a_transparent_slot",
        ],
    },
    Difference {
        about: "JPEG downsizes",
        text: "the DCT scale is Sharp's choice, but the resize after it samples exactly the \
               part of the scaled decode that holds the source, so pixels land where a full \
               decode puts them (libvips drifts by up to half a source pixel). Every case of \
               the fidelity table is at least as close to the full-decode Lanczos-3 ideal as \
               Sharp's; small outputs differ from Sharp's by more than before (two golden \
               cases have lower SSIM bounds for it).",
        tests: &[
            "handler/tests/fidelity.rs::downsizes_are_as_faithful_as_sharps",
            "handler/src/golden.rs::golden_cases_match_our_goldens_and_sharp",
        ],
    },
    Difference {
        about: "`w` or `h` alone",
        text: "the other side is the exact ratio rounded half up (a 600×450 image at `w=70` \
               is 70×53, from 52.5 rows). Sharp's side falls out of libvips' shrink-on-load, \
               integer shrink and reduce steps, so at exact halves it is sometimes a pixel \
               smaller (70×52 there, 10×7 at `w=10`) and sometimes not (210×158).",
        tests: &[
            "handler/src/ops/geometry/resize.rs::unconstrained_side_rounds_the_exact_ratio_half_up",
        ],
    },
    Difference {
        about: "WebP downsizes",
        text: "a WebP is decoded whole and resized once; Sharp lets libwebp decode it scaled \
               down, which is coarser. On the fidelity table's WebP cases (1.1× to 7.7×) \
               ours is at the full-decode Lanczos-3 ideal (0.00 levels) where Sharp's is 1.6 \
               to 2.0 levels off; the price is decode time on large WebPs.",
        tests: &["handler/tests/fidelity.rs::downsizes_are_as_faithful_as_sharps"],
    },
    Difference {
        about: "16-bit inputs with a profile",
        text: "are converted to sRGB through their profile; Sharp 0.35.5 leaves the profile of \
               a 16-bit input unapplied. Compared with Sharp's rendering of the same picture \
               in 8 bits.",
        tests: &[
            "handler/tests/icc.rs::sixteen_bit_display_p3_png_is_converted_like_sharps_eight_bit",
        ],
    },
    Difference {
        about: "PNG `q`",
        text: "gives an indexed PNG from our own quantiser (libimagequant is GPL): 1/2/4-bit \
               indices when 16 colours or fewer suffice (Sharp always writes 8-bit); error \
               within 1.25× Sharp's, on photos more colours and up to 1.5× Sharp's bytes.",
        tests: &["handler/src/codecs/png.rs::quality_gives_an_indexed_png_like_sharps"],
    },
    Difference {
        about: "AVIF `q`",
        text: "rav1e (speed 6, 8-bit) with `q` mapped (30/50/65/80 → 35/69/83/90) so that \
               equal `q` gives Sharp's SSIM (median difference 0.000 on five photos and an \
               alpha PNG); our files are then 0.94–1.59× Sharp's libaom bytes (median \
               1.13×): rav1e needs more bytes than libaom for the same SSIM at any speed \
               we could afford. Alpha is rav1e's weak spot (SSIM 0.955–0.9996 against \
               0.998–0.9999).",
        tests: &[
            "handler/src/codecs/avif/quality_tests.rs::equal_q_gives_sharps_quality_within_its_bytes",
        ],
    },
    Difference {
        about: "AVIF `clap`",
        text: "half-pixel edges are rounded as libheif does (so as Sharp; libavif refuses \
               such files); an alpha item without transforms of its own gets the colour \
               item's crop, rotation and mirror, as libavif does.",
        tests: &["handler/src/codecs/avif/real_files.rs::clean_aperture_is_cropped_before_turning"],
    },
    Difference {
        about: "monochrome AVIF",
        text: "a limited-range file (AV1 `color_range` 0, or `nclx` saying so) is expanded to \
               full range, as for colour and as libavif does; Sharp (libheif) passes \
               monochrome samples through unexpanded, so its greys are flatter (7 levels on \
               Link-U's fox).",
        tests: &["handler/src/codecs/avif/real_files.rs::monochrome_limited_range_is_expanded"],
    },
    Difference {
        about: "float TIFF",
        text: "grey and RGB are read as linear light and come out as 8-bit sRGB (Sharp \
               keeps float RGB as float, and casts float grey to 8 bits, so that 0..1 comes \
               out black; our grey matches Sharp's reading of the same samples as float RGB).",
        tests: &[
            "handler/tests/tiff_decode.rs::float_rgb_is_linear_light",
            "handler/tests/tiff_decode.rs::float_grey_is_linear_light",
        ],
    },
    Difference {
        about: "TIFF LogL, 24-bit LogLuv, 2-D G3 fax",
        text: "SGI LogL (photometric 32844; Sharp fails on it too), 24-bit LogLuv \
               (compression 34677) and two-dimensional CCITT Group 3 (T4Options bit 0) are a \
               415 naming the encoding; Sharp decodes the last two through libtiff (the `fax` \
               crate decodes 1-D G3 and G4 only). 32-bit LogLuv decodes like Sharp's.",
        tests: &[
            "handler/tests/tiff_decode.rs::logl_and_24_bit_logluv_are_refused_clearly",
            "handler/tests/tiff_decode.rs::two_dimensional_group_3_fax_is_refused_clearly",
        ],
    },
    Difference {
        about: "order",
        text: "Sharp thresholds (`th`) before it blurs, unflattens (`uf`) before it \
               convolves and sharpens (`sh`) after `mo`; we run the order above. Results \
               differ only when those operations are combined.",
        tests: &["handler/src/plan/tests.rs::colour_and_channel_ops_in_their_fixed_order"],
    },
    Difference {
        about: "`gm` with `w`/`h`",
        text: "Sharp applies `gm` around the resize (and greyscale before it); we apply each \
               at its place in the fixed order, which only differs when combined with `w`/`h`.",
        tests: &["handler/src/plan/tests.rs::colour_and_channel_ops_in_their_fixed_order"],
    },
];

/// The README list: one bullet per difference, with the tests that hold it.
pub fn markdown() -> String {
    let mut out = String::from("\n");
    for d in DIFFERENCES {
        let tests: Vec<String> = d.tests.iter().map(|t| format!("`{t}`")).collect();
        out.push_str(&format!(
            "- {}: {} (tests: {})\n",
            d.about,
            d.text,
            tests.join(", ")
        ));
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;
    use crate::pipeline::{render_params, Limits};

    fn repo_root() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// True when `source` declares `fn name(` right under a test attribute.
    fn declares_test(source: &str, name: &str) -> bool {
        let lines: Vec<&str> = source.lines().collect();
        lines.iter().enumerate().any(|(i, line)| {
            // The attributes and doc comments right above the declaration.
            let above = lines[..i]
                .iter()
                .rev()
                .map(|l| l.trim_start())
                .take_while(|l| l.starts_with("#[") || l.starts_with("///"));
            let attributed = above
                .clone()
                .any(|l| l.starts_with("#[test]") || l.starts_with("#[tokio::test"));
            line.contains(&format!("fn {name}(")) && attributed
        })
    }

    #[test]
    fn every_difference_names_tests_that_exist() {
        for d in DIFFERENCES {
            assert!(!d.tests.is_empty(), "{}: no test", d.about);
            for test in d.tests {
                let (file, name) = test.split_once("::").expect("path::fn");
                let source = std::fs::read_to_string(repo_root().join(file))
                    .unwrap_or_else(|e| panic!("{}: {file}: {e}", d.about));
                assert!(declares_test(&source, name), "{}: no test {test}", d.about);
            }
        }
    }

    #[test]
    fn the_check_rejects_a_missing_test() {
        let source = "#[test]\nfn present() {}\nfn helper() {}\n#[tokio::test]\n/// Doc.\nasync fn later() {}\n";
        assert!(declares_test(source, "present"));
        assert!(!declares_test(source, "helper"));
        assert!(!declares_test(source, "absent"));
        assert!(declares_test(source, "later"));
    }

    #[test]
    fn readme_lists_the_differences() {
        crate::readme::check_section("differences", "handler/src/differences.rs", &markdown());
    }

    /// Alpha of `cv`, `th`, `cl` and `sh` outputs is the input's alpha, byte for byte.
    #[test]
    fn filters_leave_alpha_as_it_is() {
        let input =
            std::fs::read(crate::ops::testutil::fixture_path("ops-photo-alpha.png")).unwrap();
        let alpha_of = |bytes: &[u8]| -> Vec<u8> {
            image::load_from_memory(bytes)
                .unwrap()
                .to_rgba8()
                .pixels()
                .map(|p| p[3])
                .collect()
        };
        let original = alpha_of(&input);
        assert!(original.iter().any(|&a| a != 255), "the fixture has alpha");
        for query in [
            r#"cv={"width":3,"height":3,"kernel":[-1,0,1,-2,0,2,-1,0,1]}"#,
            "th=125",
            r#"cl={"width":16,"height":16,"maxSlope":3}"#,
            r#"sh={"sigma":2,"m1":0,"m2":3}"#,
            "bl=3",
        ] {
            let params = Params::parse(&format!("{query}&fm=png")).unwrap();
            let out = render_params(&input, &params, Limits::default()).unwrap();
            let alpha = alpha_of(&out.bytes);
            let kept = alpha == original;
            // `bl` is the null model: a filter that does blur alpha must fail this check.
            assert_eq!(
                kept,
                !query.starts_with("bl="),
                "{query}: alpha kept = {kept}"
            );
        }
    }
}
