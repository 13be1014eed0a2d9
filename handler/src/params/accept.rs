//! Which of the formats a negotiated answer (`fm=auto`) may pick the client accepts,
//! reduced to three classes. The CloudFront viewer function (`cdk/functions/`) applies
//! the same rule and puts the class in [`ACCEPT_CLASS_HEADER`], so the edge cache keys
//! on three values instead of every browser's `Accept` string; the service reads that
//! header first and falls back to `Accept` itself (local server, direct calls).

/// The header the edge function sets: `avif`, `webp` or `other`.
pub const ACCEPT_CLASS_HEADER: &str = "x-image-accept";

/// The best modern format a client says it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AcceptClass {
    /// `image/avif` is accepted (it may take WebP too: every browser with AVIF does).
    Avif,
    /// `image/webp` is accepted and `image/avif` is not.
    Webp,
    /// Neither: JPEG, PNG or GIF only.
    Other,
}

impl AcceptClass {
    /// The class for a request: a valid `x-image-accept` value wins, else `Accept`.
    /// Wildcards (`*/*`, `image/*`) do not count: browsers send them whether or not they
    /// decode AVIF or WebP.
    pub fn from_headers(class_header: Option<&str>, accept: Option<&str>) -> AcceptClass {
        if let Some(class) = class_header.and_then(AcceptClass::parse) {
            return class;
        }
        let accept = accept.unwrap_or("");
        if accepts(accept, "image/avif") {
            AcceptClass::Avif
        } else if accepts(accept, "image/webp") {
            AcceptClass::Webp
        } else {
            AcceptClass::Other
        }
    }

    /// `avif`, `webp` or `other` (exactly, lower case) back to a class.
    pub fn parse(value: &str) -> Option<AcceptClass> {
        match value.trim() {
            "avif" => Some(AcceptClass::Avif),
            "webp" => Some(AcceptClass::Webp),
            "other" => Some(AcceptClass::Other),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AcceptClass::Avif => "avif",
            AcceptClass::Webp => "webp",
            AcceptClass::Other => "other",
        }
    }
}

/// Whether `accept` lists `media_type` with a non-zero quality (`q=0` is a refusal).
/// Media types compare case-insensitively; a `q` that does not parse counts as 1.
fn accepts(accept: &str, media_type: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let name = parts.next().unwrap_or("").trim();
        if !name.eq_ignore_ascii_case(media_type) {
            return false;
        }
        let quality = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, v)| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        quality > 0.0
    })
}

#[cfg(test)]
mod tests {
    use super::AcceptClass::{self, Avif, Other, Webp};

    /// Real `Accept` strings for an `<img>` request, as each client sends them.
    const BROWSERS: &[(&str, &str, AcceptClass)] = &[
        (
            "Chrome 120",
            "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
            Avif,
        ),
        (
            "Firefox 121",
            "image/avif,image/webp,*/*",
            Avif,
        ),
        (
            "Safari 17",
            "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
            Avif,
        ),
        (
            "Safari 16.4",
            "image/webp,image/avif,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
            Avif,
        ),
        (
            "Safari 14-15",
            "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5",
            Webp,
        ),
        (
            "Edge 18 (EdgeHTML)",
            "image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
            Other,
        ),
        ("curl", "*/*", Other),
        ("a bot without Accept", "", Other),
    ];

    #[test]
    fn real_browser_accept_strings_give_their_class() {
        for (client, accept, class) in BROWSERS {
            assert_eq!(
                AcceptClass::from_headers(None, Some(accept)),
                *class,
                "{client}: {accept}"
            );
        }
        assert_eq!(AcceptClass::from_headers(None, None), Other);
    }

    #[test]
    fn q_zero_is_a_refusal_and_case_does_not_matter() {
        assert_eq!(
            AcceptClass::from_headers(None, Some("image/avif;q=0,image/webp")),
            Webp
        );
        assert_eq!(
            AcceptClass::from_headers(None, Some("image/avif; q=0.0, image/webp;q=0")),
            Other
        );
        assert_eq!(AcceptClass::from_headers(None, Some("IMAGE/AVIF")), Avif);
        assert_eq!(
            AcceptClass::from_headers(None, Some("image/avif;q=junk")),
            Avif
        );
        assert_eq!(AcceptClass::from_headers(None, Some("image/avifx")), Other);
    }

    #[test]
    fn the_edge_header_wins_when_it_is_valid() {
        let chrome = Some("image/avif,image/webp,*/*");
        assert_eq!(AcceptClass::from_headers(Some("other"), chrome), Other);
        assert_eq!(AcceptClass::from_headers(Some("webp"), None), Webp);
        assert_eq!(AcceptClass::from_headers(Some("AVIF!"), chrome), Avif);
        assert_eq!(AcceptClass::from_headers(Some("bogus"), None), Other);
        for class in [Avif, Webp, Other] {
            assert_eq!(AcceptClass::parse(class.as_str()), Some(class));
        }
    }
}
