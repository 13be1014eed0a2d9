//! What the encoder is told about quality: the format's default, a fixed `q`, or a
//! search (`q=auto`, or no `q` where `IMAGE_SERVICE_AUTO_QUALITY` is on) that the
//! encoder runs once the image is known (see [`crate::codecs::auto_quality`]).

use crate::codecs::auto_quality::Search;
use crate::params::Quality;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QualityChoice {
    /// No `q`: the format's default.
    Default,
    Fixed(u8),
    /// The lowest quality that meets the search's target (lossy still images only).
    Auto(Search),
}

impl QualityChoice {
    /// `q` after the deployment's default has been applied; `search` is the deployment's.
    pub fn new(q: Option<Quality>, search: Search) -> QualityChoice {
        match q {
            None => QualityChoice::Default,
            Some(Quality::Fixed(n)) => QualityChoice::Fixed(n),
            Some(Quality::Auto) => QualityChoice::Auto(search),
        }
    }

    /// The quality for an encoder that does not search: the fixed one, or `None` for
    /// the format's default.
    pub fn fixed(&self) -> Option<u8> {
        match self {
            QualityChoice::Fixed(n) => Some(*n),
            _ => None,
        }
    }

    /// What the cache key adds: a search's target and budget, which change its answer.
    pub fn cache_key_suffix(&self) -> String {
        match self {
            QualityChoice::Auto(search) => format!(
                "\nauto-quality-target={}\nauto-quality-budget-ms={}",
                search.target,
                search.budget.as_millis()
            ),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::params::Params;
    use crate::plan::{Context, Limits, Plan};

    fn plan(query: &str, context: &Context) -> Plan {
        let params = Params::parse(query).unwrap();
        Plan::with_context(&params, Limits::default(), context).unwrap()
    }

    const SEARCH: Search = Search {
        target: 80.0,
        budget: Duration::from_millis(500),
    };

    #[test]
    fn q_auto_plans_a_search_keyed_by_its_target_and_budget() {
        let context = Context {
            quality_search: SEARCH,
            ..Context::default()
        };
        let auto = plan("w=10&q=AUTO", &context);
        assert_eq!(auto.quality(), QualityChoice::Auto(SEARCH));
        assert_eq!(
            auto.cache_key(),
            "q=auto&w=10\nauto-quality-target=80\nauto-quality-budget-ms=500"
        );
        let other = Context {
            quality_search: Search {
                target: 72.5,
                ..SEARCH
            },
            ..context
        };
        assert!(plan("w=10&q=auto", &other)
            .cache_key()
            .contains("\nauto-quality-target=72.5\n"));
        let fixed = plan("w=10&q=75", &context);
        assert_eq!(fixed.quality(), QualityChoice::Fixed(75));
        assert_eq!(fixed.quality().fixed(), Some(75));
        assert_eq!(fixed.cache_key(), "q=75&w=10");
        assert_eq!(plan("w=10", &context).quality(), QualityChoice::Default);
        assert_eq!(QualityChoice::Auto(SEARCH).fixed(), None);
    }

    #[test]
    fn the_deployment_default_is_auto_for_transforms_without_q_or_ll() {
        let on = Context {
            auto_quality: true,
            quality_search: SEARCH,
            ..Context::default()
        };
        let p = plan("w=10", &on);
        assert_eq!(p.quality(), QualityChoice::Auto(SEARCH));
        assert!(
            p.cache_key().starts_with("q=auto&w=10\n"),
            "{}",
            p.cache_key()
        );
        assert_eq!(plan("w=10&q=60", &on).quality(), QualityChoice::Fixed(60));
        let lossless = plan("w=10&fm=webp&ll", &on);
        assert_eq!(lossless.quality(), QualityChoice::Default);
        assert_eq!(lossless.cache_key(), "fm=webp&ll=true&w=10");
        let original = plan("", &on);
        assert!(original.is_passthrough());
        assert_eq!(original.quality(), QualityChoice::Default);
        let off = Context {
            auto_quality: false,
            ..on
        };
        assert_eq!(plan("w=10", &off).quality(), QualityChoice::Default);
        assert_eq!(plan("w=10", &off).cache_key(), "w=10");
    }
}
