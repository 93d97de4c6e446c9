//! The harness's modules form layers: no import circle among the top-level modules of
//! `harness/src`, and `cli.rs` and `error.rs` use nothing of the crate (the stages take
//! the one's types and return the other's, never the other way round). Read from the source, so a new `use crate::…` that
//! closes a circle fails here with the circle named.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Top-level module → the top-level modules it names through `crate::`.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The top-level modules named by `crate::` paths in `source`, comments left out.
fn named_modules(source: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            // `fencebench_crate::` or `$crate::` are other crates.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                named.extend(group_heads(group));
            } else {
                named.insert(identifier(rest));
            }
        }
    }
    named.retain(|m| !m.is_empty());
    named
}

/// The first identifier of every item of a `{a::b, c, d::{e, f}}` group (from after
/// its opening brace), up to the closing brace; groups spanning lines are rare in
/// this crate and rustfmt keeps `crate::{…}` on one line while it fits.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item = true,
            c if at_item && (c.is_alphanumeric() || c == '_') => {
                heads.push(identifier(&group[i..]));
                at_item = false;
            }
            _ => {}
        }
    }
    heads
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, into: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("harness/src reads") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The graph of `harness/src`: each file counts for the top-level module it is in
/// (`run/runner.rs` for `run`); the crate root and the binary are not modules.
fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let relative = file.strip_prefix(src).expect("under src");
        let first = relative.components().next().expect("a component");
        let module = first.as_os_str().to_string_lossy();
        let module = module.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = fs::read_to_string(&file).expect("a source file reads");
        let edges = graph.entry(module.clone()).or_default();
        edges.extend(named_modules(&text).into_iter().filter(|m| *m != module));
    }
    graph
}

/// A circle in `graph` as `a → b → … → a`, if any.
fn circle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn harness_src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn harness_modules_form_no_circle() {
    let graph = graph(&harness_src());
    assert!(graph.contains_key("run") && graph.contains_key("present"));
    if let Some(found) = circle(&graph) {
        panic!(
            "import circle among harness modules: {}\n{graph:#?}",
            found.join(" → ")
        );
    }
}

/// The command line is the top's input and the error the bottom's output: both leaves,
/// so every stage may take the one and return the other.
#[test]
fn cli_and_error_use_nothing_of_the_crate() {
    for leaf in ["cli.rs", "error.rs"] {
        let text = fs::read_to_string(harness_src().join(leaf)).expect("a leaf reads");
        let named = named_modules(&text);
        assert!(named.is_empty(), "{leaf} uses crate::{named:?}");
    }
}

#[test]
fn the_scanner_finds_paths_groups_and_circles() {
    let source = "use crate::run::x;\nuse crate::{present::{a, b}, result};\n\
                  // crate::error in a comment\nlet y = $crate::z; fencebench_crate::w;\n";
    let named: Vec<String> = named_modules(source).into_iter().collect();
    assert_eq!(named, ["present", "result", "run"]);
    let mut graph = Graph::new();
    graph.insert("a".into(), BTreeSet::from(["b".into()]));
    graph.insert("b".into(), BTreeSet::from(["c".into()]));
    graph.insert("c".into(), BTreeSet::new());
    assert_eq!(circle(&graph), None);
    graph.insert("c".into(), BTreeSet::from(["a".into()]));
    assert_eq!(circle(&graph).unwrap(), ["a", "b", "c", "a"]);
}
