//! Operations and the plan. `plan()` turns `Params` into an ordered list of operations
//! in one fixed order — Sharp's: trim → extract before resize → resize → extract after
//! → extend → … → output — whatever order the query used. Each operation lives in its
//! own file with its own tests.

pub mod canvas;
pub mod extend;
pub mod extract;
pub mod resize;
pub mod strategy;
pub mod trim;

#[cfg(test)]
pub mod testutil;

use crate::error::Result;
use crate::params::{Fit, Gravity, Kernel, Params, Position, Rgba};
use image::DynamicImage;

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Trim(trim::Trim),
    Extract(extract::Extract),
    Resize(resize::Resize),
    Extend(extend::ExtendEdges),
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Trim(_) => "trim",
            Op::Extract(e) if e.key == "cb" => "extract-before",
            Op::Extract(_) => "extract-after",
            Op::Resize(_) => "resize",
            Op::Extend(_) => "extend",
        }
    }

    /// Applies the operation to every frame. `logical_source` is only meaningful for a
    /// resize that runs first (see [`resize::Resize::apply`]).
    pub fn apply(
        &self,
        images: &mut [DynamicImage],
        logical_source: Option<(u32, u32)>,
    ) -> Result<()> {
        match self {
            Op::Trim(t) => t.apply(images),
            Op::Extract(e) => e.apply(images),
            Op::Resize(r) => r.apply(images, logical_source),
            Op::Extend(e) => e.apply(images),
        }
    }
}

/// The operations a query asks for, in the fixed order.
pub fn plan(p: &Params) -> Vec<Op> {
    let mut ops = Vec::new();
    if let Some(threshold) = p.tr {
        ops.push(Op::Trim(trim::Trim { threshold }));
    }
    if let Some(region) = p.cb {
        ops.push(Op::Extract(extract::Extract { key: "cb", region }));
    }
    if p.w.is_some() || p.h.is_some() {
        ops.push(Op::Resize(resize::Resize {
            width: p.w,
            height: p.h,
            fit: p.f.unwrap_or(Fit::Cover),
            position: p.p.unwrap_or(Position::Gravity(Gravity::Center)),
            background: p.bg.unwrap_or(Rgba::BLACK),
            kernel: p.k.unwrap_or(Kernel::Lanczos3),
        }));
    }
    if let Some(region) = p.ca {
        ops.push(Op::Extract(extract::Extract { key: "ca", region }));
    }
    if let Some(edges) = p.ex {
        ops.push(Op::Extend(extend::ExtendEdges {
            edges,
            background: p.bg.unwrap_or(Rgba::BLACK),
        }));
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(q: &str) -> Vec<&'static str> {
        plan(&Params::parse(q).unwrap())
            .iter()
            .map(Op::name)
            .collect()
    }

    #[test]
    fn fixed_order_whatever_the_query_order() {
        let want = [
            "trim",
            "extract-before",
            "resize",
            "extract-after",
            "extend",
        ];
        let a = "tr=10&cb=%7B%22left%22:0,%22top%22:0,%22width%22:5,%22height%22:5%7D&w=3&ca=%7B%22left%22:0,%22top%22:0,%22width%22:2,%22height%22:2%7D&ex=1";
        assert_eq!(names(a), want);
        let b = "ex=1&ca=%7B%22left%22:0,%22top%22:0,%22width%22:2,%22height%22:2%7D&w=3&cb=%7B%22left%22:0,%22top%22:0,%22width%22:5,%22height%22:5%7D&tr=10";
        assert_eq!(names(b), want);
    }

    #[test]
    fn output_only_queries_plan_nothing() {
        assert!(names("q=50&fm=webp").is_empty());
        assert_eq!(names("h=10"), ["resize"]);
    }
}
