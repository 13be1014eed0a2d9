//! The layer check: every `crate::<module>` path in `handler/src` (and `image_service::`
//! in the binaries) is an edge between two top-level modules, and each edge must be one
//! that [`LAYERS`] allows. The allowed graph has no cycle (checked too), so the code
//! cannot have one. Test code (`#[cfg(test)]` items and modules) may reach anywhere and
//! is not counted; comments and string literals are not read.
//!
//! `codecs::avif` and `codecs::isolate` count as nodes of their own, so the two cannot
//! call each other both ways. A child may always use its parent (`super::`); that edge
//! is not counted. Modules in the table that do not exist yet are fine; a module that
//! exists but is not in the table fails: declare its layer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module and the modules it may use. Bottom first.
const LAYERS: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("params", &["error"]),
    ("keys", &["error"]),
    // Named parameter sets, parsed and expanded with `params`.
    ("presets", &["error", "params"]),
    // Plain data; `params` only for validated value types (`WatermarkName`), `presets`
    // for the parsed presets file.
    ("config", &["error", "params", "presets", "storage"]),
    ("metrics", &["error", "config", "params"]),
    // Store specs are plain data that config parses, so storage sits below config.
    ("storage", &["error", "keys"]),
    ("ops", &["error", "config", "params"]),
    (
        "codecs",
        // `ops` for its resampler only: the `q=auto` search scores a downscaled sample.
        // `ops` never uses `codecs`, so the graph stays acyclic.
        &[
            "error",
            "config",
            "params",
            "ops",
            "codecs::avif",
            "codecs::avif::isolate",
        ],
    ),
    // AVIF one way: the front → the child process → the decoder → the container reader.
    (
        "codecs::avif",
        &["error", "config", "params", "codecs::avif::isolate"],
    ),
    (
        "codecs::avif::isolate",
        &["error", "config", "params", "codecs::avif::decode"],
    ),
    (
        "codecs::avif::decode",
        &["error", "config", "params", "codecs::avif::container"],
    ),
    ("codecs::avif::container", &["error", "config", "params"]),
    ("plan", &["error", "config", "params", "ops", "codecs"]),
    // Metadata and placeholders from headers and pixels (`fm=json|thumbhash|blurhash`).
    ("insight", &["error", "params", "codecs"]),
    (
        "pipeline",
        &[
            "error", "config", "params", "metrics", "ops", "codecs", "plan", "insight",
        ],
    ),
    ("samples", &["error", "codecs", "storage"]),
    ("secrets", &["error", "config"]),
    ("auth", &["error", "config", "params", "secrets"]),
    // The edge key is the signing message plus the accept class and the salt.
    ("edge_key", &["error", "params", "auth"]),
    // Rendered variants kept in a result store.
    ("result_cache", &["error", "config", "storage", "edge_key"]),
    (
        "http",
        &[
            "error",
            "config",
            "params",
            "keys",
            "metrics",
            "storage",
            "codecs",
            "plan",
            "pipeline",
            "secrets",
            "auth",
            "presets",
            "edge_key",
            "result_cache",
        ],
    ),
    // The binaries' mains, on top of everything.
    ("bin", &["*"]),
];

/// Edges main still has while issue 15's work lands, tolerated until then. Each must
/// still exist (a test says so), so the line is deleted when its edge goes.
const PENDING: &[(&str, &str)] = &[];

type Edge = (String, String);

/// Edges the table does not allow, and modules it does not know.
fn violations(
    layers: &[(&str, &[&str])],
    edges: &BTreeMap<Edge, String>,
    modules: &BTreeSet<String>,
) -> Vec<String> {
    let allowed = |from: &str, to: &str| {
        layers
            .iter()
            .find(|(m, _)| *m == from)
            .is_some_and(|(_, uses)| uses.iter().any(|u| *u == to || *u == "*"))
    };
    let mut out: Vec<String> = modules
        .iter()
        .filter(|m| !layers.iter().any(|(l, _)| l == m))
        .map(|m| format!("module `{m}` is not in LAYERS: declare what it may use"))
        .collect();
    for ((from, to), at) in edges {
        if !allowed(from, to) {
            out.push(format!(
                "`{from}` uses `{to}` ({at}); not allowed by LAYERS"
            ));
        }
    }
    out
}

/// One cycle of the graph, as the path that closes it, if there is one.
fn find_cycle<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        done: &mut BTreeSet<&'a str>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(i) = stack.iter().position(|n| *n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, done, stack) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut done, &mut Vec::new()))
}

fn table_graph<'a>(layers: &[(&'a str, &[&'a str])]) -> BTreeMap<&'a str, Vec<&'a str>> {
    layers
        .iter()
        .map(|(m, uses)| (*m, uses.iter().copied().filter(|u| *u != "*").collect()))
        .collect()
}

fn edge_graph(edges: &BTreeMap<Edge, String>) -> BTreeMap<&str, Vec<&str>> {
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        graph.entry(from.as_str()).or_default().push(to.as_str());
    }
    graph
}

// ---- reading the sources -------------------------------------------------------------

/// The source with comments, string and char literals blanked (newlines kept, so line
/// numbers stay right).
fn strip(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let blank = |s: &str, out: &mut String| {
        out.extend(s.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
    };
    let mut i = 0;
    while i < b.len() {
        let rest = &src[i..];
        let end = if rest.starts_with("//") {
            rest.find('\n').unwrap_or(rest.len())
        } else if rest.starts_with("/*") {
            let mut depth = 0;
            let mut j = 0;
            while j < rest.len() {
                if rest[j..].starts_with("/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with("*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += rest[j..].chars().next().map_or(1, char::len_utf8);
                }
            }
            j
        } else if let Some(hashes) = raw_string_start(rest) {
            let close = format!("\"{}", "#".repeat(hashes));
            let open = rest.find('"').unwrap() + 1;
            open + rest[open..]
                .find(&close)
                .map_or(rest.len() - open, |e| e + close.len())
        } else if rest.starts_with('"') || rest.starts_with("b\"") {
            let mut j = rest.find('"').unwrap() + 1;
            while j < rest.len() && !rest[j..].starts_with('"') {
                j += if rest[j..].starts_with('\\') { 2 } else { 1 };
                while !rest.is_char_boundary(j.min(rest.len())) {
                    j += 1;
                }
            }
            (j + 1).min(rest.len())
        } else if let Some(after) = rest.strip_prefix('\'') {
            // A char literal ('x', '\n', '\u{..}'), or a lifetime / label: kept.
            match after.chars().next() {
                Some('\\') => after
                    .get(2..)
                    .and_then(|r| r.find('\''))
                    .map_or(1, |e| e + 4),
                Some(c) if after[c.len_utf8()..].starts_with('\'') => 2 + c.len_utf8(),
                _ => 0,
            }
        } else {
            0
        };
        if end == 0 {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        } else {
            blank(&rest[..end], &mut out);
            i += end;
        }
    }
    out
}

/// `r"`, `r#"`, `br"`…: the number of `#`.
fn raw_string_start(s: &str) -> Option<usize> {
    let s = s.strip_prefix('b').unwrap_or(s);
    let s = s.strip_prefix('r')?;
    let hashes = s.len() - s.trim_start_matches('#').len();
    s[hashes..].starts_with('"').then_some(hashes)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Path, // `::`
    Open,
    Close,
    Comma,
    Semi,
    Other(char),
}

fn tokens(src: &str) -> Vec<(Tok, usize)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = src.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            c if c.is_alphanumeric() || c == '_' => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' {
                        end = j + d.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push((Tok::Ident(src[i..end].to_string()), line));
            }
            ':' if chars.peek().is_some_and(|&(_, d)| d == ':') => {
                chars.next();
                out.push((Tok::Path, line));
            }
            '{' => out.push((Tok::Open, line)),
            '}' => out.push((Tok::Close, line)),
            ',' => out.push((Tok::Comma, line)),
            ';' => out.push((Tok::Semi, line)),
            c => out.push((Tok::Other(c), line)),
        }
    }
    out
}

/// Drops `#[cfg(test)]` items: up to the first `;` outside brackets or the end of the
/// first `{}` block. Returns the kept tokens and the names of `#[cfg(test)] mod x;`.
fn without_test_items(toks: Vec<(Tok, usize)>) -> (Vec<(Tok, usize)>, Vec<String>) {
    let is_cfg_test = |t: &[(Tok, usize)]| {
        let want = [
            Tok::Other('#'),
            Tok::Other('['),
            Tok::Ident("cfg".into()),
            Tok::Other('('),
            Tok::Ident("test".into()),
            Tok::Other(')'),
            Tok::Other(']'),
        ];
        t.len() >= want.len() && t.iter().zip(&want).all(|((a, _), b)| a == b)
    };
    let mut kept = Vec::new();
    let mut test_mods = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if !is_cfg_test(&toks[i..]) {
            kept.push(toks[i].clone());
            i += 1;
            continue;
        }
        i += 7;
        let item = i;
        let mut depth = 0i32;
        while i < toks.len() {
            match toks[i].0 {
                Tok::Open | Tok::Other('(') | Tok::Other('[') => depth += 1,
                Tok::Close | Tok::Other(')') | Tok::Other(']') => {
                    depth -= 1;
                    if depth == 0 && toks[i].0 == Tok::Close {
                        break;
                    }
                }
                Tok::Semi if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        let words: Vec<&Tok> = toks[item..i.min(toks.len())]
            .iter()
            .map(|(t, _)| t)
            .collect();
        if let [.., Tok::Ident(m), Tok::Ident(name)] = words.as_slice() {
            if m == "mod" && toks.get(i).is_some_and(|(t, _)| *t == Tok::Semi) {
                test_mods.push(name.clone());
            }
        }
        i += 1;
    }
    (kept, test_mods)
}

/// The paths of a use tree starting at `toks[i]` (after a `::`): `a::b`, `a::{b, c::d}`.
fn use_tree(toks: &[(Tok, usize)], mut i: usize, prefix: Vec<String>) -> Vec<Vec<String>> {
    let mut path = prefix;
    loop {
        match toks.get(i).map(|(t, _)| t) {
            Some(Tok::Ident(name)) => {
                path.push(name.clone());
                if toks.get(i + 1).map(|(t, _)| t) != Some(&Tok::Path) {
                    return vec![path];
                }
                i += 2;
            }
            Some(Tok::Open) => {
                let mut out = Vec::new();
                let mut depth = 0;
                let mut start = i + 1;
                for j in i..toks.len() {
                    match toks[j].0 {
                        Tok::Open => depth += 1,
                        Tok::Close => depth -= 1,
                        Tok::Comma if depth == 1 => {}
                        _ => continue,
                    }
                    if depth == 1 && toks[j].0 == Tok::Comma || depth == 0 {
                        out.extend(use_tree(toks, start, path.clone()));
                        start = j + 1;
                    }
                    if depth == 0 {
                        break;
                    }
                }
                return out;
            }
            _ => return vec![path],
        }
    }
}

/// A file's module path, its path on disk and its tokens.
type File = (Vec<String>, PathBuf, Vec<(Tok, usize)>);

struct Sources {
    /// Every file that is not test code.
    files: Vec<File>,
    /// Names the crate root resolves that are not modules: macros and `lib.rs` re-exports.
    aliases: BTreeMap<String, Vec<String>>,
}

fn module_path(src_dir: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src_dir).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    if parts.first().is_some_and(|p| p == "bin") {
        parts.truncate(1);
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn read_sources(src_dir: &Path) -> Sources {
    let mut paths = Vec::new();
    rust_files(src_dir, &mut paths);
    paths.sort();
    let mut test_modules: Vec<Vec<String>> = Vec::new();
    let mut files = Vec::new();
    let mut aliases = BTreeMap::new();
    for path in paths {
        let module = module_path(src_dir, &path);
        let text = std::fs::read_to_string(&path).unwrap();
        let (toks, test_mods) = without_test_items(tokens(&strip(&text)));
        for name in test_mods {
            let mut m = module.clone();
            m.push(name);
            test_modules.push(m);
        }
        for w in toks.windows(3) {
            if let [(Tok::Ident(m), _), (Tok::Other('!'), _), (Tok::Ident(name), _)] = w {
                if m == "macro_rules" {
                    aliases.insert(name.clone(), module.clone());
                }
            }
        }
        if module.is_empty() {
            // `pub use http::{router, AppState};` at the root: `crate::router` is http's.
            for (i, w) in toks.windows(2).enumerate() {
                if let [(Tok::Ident(u), _), (Tok::Ident(_), _)] = w {
                    if u == "use" {
                        for p in use_tree(&toks, i + 1, Vec::new()) {
                            if let (Some(first), Some(last)) = (p.first(), p.last()) {
                                aliases.insert(last.clone(), vec![first.clone()]);
                            }
                        }
                    }
                }
            }
        }
        files.push((module, path, toks));
    }
    files.retain(|(m, _, _)| !test_modules.iter().any(|t| m.starts_with(t)));
    Sources { files, aliases }
}

/// The node a module path belongs to: its top-level module, or `codecs::avif` and its
/// parts (`codecs::isolate` is the child process's re-exported path).
fn node(path: &[String]) -> Option<String> {
    let first = path.first()?;
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    match parts.as_slice() {
        ["codecs", "isolate", ..] => Some("codecs::avif::isolate".into()),
        ["codecs", "avif", sub @ ("isolate" | "decode" | "container"), ..] => {
            Some(format!("codecs::avif::{sub}"))
        }
        ["codecs", "avif", ..] => Some("codecs::avif".into()),
        _ => Some(first.clone()),
    }
}

/// Every counted edge with the first place it is written.
fn edges(sources: &Sources, src_dir: &Path) -> (BTreeMap<Edge, String>, BTreeSet<String>) {
    let modules: BTreeSet<String> = sources
        .files
        .iter()
        .filter_map(|(m, _, _)| node(m))
        .collect();
    let tops: BTreeSet<&str> = sources
        .files
        .iter()
        .filter_map(|(m, _, _)| m.first().map(String::as_str))
        .collect();
    let mut out = BTreeMap::new();
    for (module, path, toks) in &sources.files {
        let Some(from) = node(module) else { continue };
        for (i, (t, line)) in toks.iter().enumerate() {
            let Tok::Ident(head) = t else { continue };
            if toks.get(i + 1).map(|(t, _)| t) != Some(&Tok::Path) {
                continue;
            }
            // Only the start of a path: `a::crate` is not a thing, but `x::super` neither.
            if i > 0 && toks[i - 1].0 == Tok::Path {
                continue;
            }
            let base: Vec<String> = match head.as_str() {
                "crate" => Vec::new(),
                "image_service" if from == "bin" => Vec::new(),
                "self" => module.clone(),
                "super" => {
                    let mut m = module.clone();
                    m.pop();
                    m
                }
                _ => continue,
            };
            for mut target in use_tree(toks, i + 2, base) {
                // `super::super::x`
                while let Some(pos) = target.iter().position(|s| s == "super") {
                    target.remove(pos);
                    if pos > 0 {
                        target.remove(pos - 1);
                    }
                }
                let resolved = match target.first() {
                    Some(first) if tops.contains(first.as_str()) => target,
                    Some(first) => match sources.aliases.get(first) {
                        Some(m) => m.clone(),
                        None => continue,
                    },
                    None => continue,
                };
                let Some(to) = node(&resolved) else { continue };
                // Itself, or a child using its parent.
                if to == from || from.starts_with(&format!("{to}::")) {
                    continue;
                }
                let at = format!(
                    "{}:{line}",
                    path.strip_prefix(src_dir.parent().unwrap())
                        .unwrap()
                        .display()
                );
                out.entry((from.clone(), to)).or_insert(at);
            }
        }
    }
    (out, modules)
}

#[test]
fn modules_use_only_the_layers_below_them() {
    let src_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = read_sources(&src_dir);
    let (mut edges, modules) = edges(&sources, &src_dir);
    let mut problems: Vec<String> = PENDING
        .iter()
        .filter(|(a, b)| edges.remove(&(a.to_string(), b.to_string())).is_none())
        .map(|(a, b)| format!("`{a}` → `{b}` is gone: delete it from PENDING"))
        .collect();
    problems.extend(violations(LAYERS, &edges, &modules));
    if let Some(cycle) = find_cycle(&edge_graph(&edges)) {
        problems.push(format!("cycle: {}", cycle.join(" → ")));
    }
    assert!(
        problems.is_empty(),
        "layer check failed:\n  {}",
        problems.join("\n  ")
    );
    // The scan found what it must, so a broken reader cannot pass silently.
    assert!(edges.contains_key(&("http".to_string(), "error".to_string())));
}

#[test]
fn the_table_itself_has_no_cycle() {
    assert_eq!(find_cycle(&table_graph(LAYERS)), None);
    for (m, uses) in LAYERS {
        for u in *uses {
            assert!(
                *u == "*" || LAYERS.iter().any(|(l, _)| l == u),
                "{m} uses {u}, which has no row"
            );
            assert!(*u != "http" && *u != "auth" || ["http", "bin", "edge_key"].contains(m));
        }
    }
}

#[test]
fn the_checker_fails_on_a_cycle_and_on_an_undeclared_edge() {
    let cyclic: &[(&str, &[&str])] = &[("a", &["b"]), ("b", &["c"]), ("c", &["a"])];
    assert_eq!(
        find_cycle(&table_graph(cyclic)),
        Some(vec!["a", "b", "c", "a"])
    );
    let layers: &[(&str, &[&str])] = &[("low", &[]), ("high", &["low"])];
    let edge = |a: &str, b: &str| ((a.to_string(), b.to_string()), "x.rs:1".to_string());
    let modules: BTreeSet<String> = ["low", "high", "new"].map(String::from).into();
    let found = BTreeMap::from([edge("high", "low"), edge("low", "high")]);
    let problems = violations(layers, &found, &modules);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("`new` is not in LAYERS"));
    assert!(problems[1].contains("`low` uses `high`"));
    assert!(find_cycle(&edge_graph(&found)).is_some());
}

#[test]
fn the_reader_sees_paths_not_comments_strings_or_test_code() {
    let src = r##"
        use crate::{a, b::{c, d}};
        // crate::comment
        /* crate::block /* nested */ crate::still */
        let s = "crate::string"; let r = r#"crate::raw"#; let c = '"';
        fn f<'a>(x: &'a str) { crate::e::f(x) }
        #[cfg(test)]
        mod tests { use crate::g; }
        #[cfg(test)]
        mod more;
    "##;
    let (toks, test_mods) = without_test_items(tokens(&strip(src)));
    assert_eq!(test_mods, vec!["more".to_string()]);
    let mut found = Vec::new();
    for (i, (t, _)) in toks.iter().enumerate() {
        if *t == Tok::Ident("crate".into()) {
            found.extend(use_tree(&toks, i + 2, Vec::new()));
        }
    }
    let found: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    assert_eq!(found, ["a", "b::c", "b::d", "e::f"]);
}
