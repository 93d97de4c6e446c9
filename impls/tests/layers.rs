//! `impls/src` is layered (see the crate's module doc): a module imports only from its
//! own folder and the layers below it. This reads every `crate::` path in the sources
//! (comments left out) and fails on one that reaches a higher layer, a sibling of the
//! same layer, or a crate-root re-export (which would hide where the item lives).

use std::path::{Path, PathBuf};

/// The layers, bottom first: each folder (or root file) and its rank. Folders of one
/// rank may not import from each other.
const LAYERS: &[(&str, u32)] = &[
    ("sync", 0),
    ("memory", 1),
    ("reclaim", 2),
    ("trace", 3),
    ("contract", 4),
    ("model", 5),
    ("schemes", 6),
    ("peers", 6),
    ("kernel", 7),
];

fn rank(part: &str) -> Option<u32> {
    LAYERS.iter().find(|(p, _)| *p == part).map(|&(_, r)| r)
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The part of the crate `file` belongs to: its folder, or its name at the root.
fn part_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_str()
        .unwrap();
    first.trim_end_matches(".rs").to_string()
}

/// `source` without `//` comments (doc comments included: links are not imports).
fn code(source: &str) -> String {
    source
        .lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first path segment after every `crate::` in `code`, and each first segment of a
/// `crate::{a::b, c}` group.
fn crate_roots(code: &str) -> Vec<String> {
    let mut roots = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let preceded_by_dollar = i > 0 && rest.as_bytes()[i - 1] == b'$';
        rest = &rest[i + "crate::".len()..];
        if preceded_by_dollar {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut at_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => at_start = true,
                    c if c.is_whitespace() => {}
                    _ if at_start && depth == 0 => {
                        roots.push(ident(&group[j..]).to_string());
                        at_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            roots.push(ident(rest).to_string());
        }
    }
    roots
}

/// How many `super::` a module of `file` may chain before it leaves its top folder: its
/// depth below the crate root (inline modules only add to it).
fn depth(file: &Path) -> usize {
    let rel = file.strip_prefix(src()).unwrap();
    let n = rel.components().count();
    if rel.ends_with("mod.rs") {
        n - 1
    } else {
        n
    }
}

/// The longest chain of `super::` in `code`.
fn longest_super_chain(code: &str) -> usize {
    let mut longest = 0;
    let mut rest = code;
    while let Some(i) = rest.find("super::") {
        let mut chain = 0;
        let mut tail = &rest[i..];
        while let Some(t) = tail.strip_prefix("super::") {
            chain += 1;
            tail = t;
        }
        longest = longest.max(chain);
        rest = tail;
    }
    longest
}

/// Every import that breaks the layering: `file: crate::root (why)`.
fn violations() -> Vec<String> {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    files.sort();
    assert!(files.len() > 20, "found only {} sources", files.len());
    let mut bad = Vec::new();
    for file in &files {
        let part = part_of(file);
        if part == "lib" {
            continue; // the table and the re-exports sit above every layer
        }
        let own = rank(&part).unwrap_or_else(|| {
            panic!("{}: not in a known layer; add it to LAYERS", file.display())
        });
        let code = code(&std::fs::read_to_string(file).unwrap());
        if longest_super_chain(&code) >= depth(file) {
            bad.push(format!("{}: super:: leaves its folder", file.display()));
        }
        for root in crate_roots(&code) {
            let why = match rank(&root) {
                _ if root == part => continue,
                Some(r) if r < own => continue,
                Some(r) if r == own => "a sibling of the same layer",
                Some(_) => "a higher layer",
                None => "a crate-root item: import it from its module",
            };
            bad.push(format!("{}: crate::{root} ({why})", file.display()));
        }
    }
    bad
}

#[test]
fn no_module_imports_from_a_layer_above() {
    let bad = violations();
    assert!(bad.is_empty(), "layering broken:\n{}", bad.join("\n"));
}

#[test]
fn src_root_holds_at_most_four_files() {
    let files: Vec<_> = std::fs::read_dir(src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    assert!(files.len() <= 4, "impls/src root: {files:?}");
    let mut folders: Vec<_> = std::fs::read_dir(src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    folders.sort();
    for f in &folders {
        assert!(rank(f).is_some(), "impls/src/{f}: not in a known layer");
    }
}

#[test]
fn super_chains_are_measured_against_the_folder_depth() {
    assert_eq!(
        longest_super_chain("use super::x; use super::super::y::z;"),
        2
    );
    assert_eq!(depth(&src().join("model/mod.rs")), 1);
    assert_eq!(depth(&src().join("model/fence/signal.rs")), 3);
}

#[test]
fn parser_finds_grouped_and_plain_paths() {
    let roots = crate_roots(
        "use crate::memory::pool::DriverRef;\nuse crate::{model::fence, sync::{a, b}};\n\
         $crate::Rcu; let x = crate::now_ns();",
    );
    assert_eq!(roots, ["memory", "model", "sync", "now_ns"]);
}
