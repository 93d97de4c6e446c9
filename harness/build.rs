//! Records the compiler and git commit the binary was built from, so result files name
//! the build that measured them rather than whatever toolchain is installed later.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    if let Some(version) = output(Command::new(rustc).arg("--version")).filter(|v| !v.is_empty()) {
        println!("cargo:rustc-env=FENCEBENCH_RUSTC={version}");
    }
    if let Some(commit) = git_commit() {
        println!("cargo:rustc-env=FENCEBENCH_GIT={commit}");
    }
    println!("cargo:rerun-if-env-changed=RUSTC");
    rerun_if_git_changes();
}

/// Trimmed stdout of a successful command; `None` when it is missing or fails.
fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    out.status.success().then(|| text.trim().to_string())
}

/// Short commit, `-dirty` when the tree differs from it (result files under `results/`
/// are output, not source, and do not count).
fn git_commit() -> Option<String> {
    let commit = output(Command::new("git").args(["rev-parse", "--short", "HEAD"]))?;
    let changes = output(Command::new("git").args([
        "status",
        "--porcelain",
        "--",
        ":/",
        ":(top,exclude)results",
    ]))?;
    Some(if changes.is_empty() {
        commit
    } else {
        format!("{commit}-dirty")
    })
}

/// Rerun on a commit, checkout or staging (HEAD, the checked-out branch's ref, the
/// index) and on edits to the workspace's sources (which rebuild this crate anyway), not
/// on every build.
fn rerun_if_git_changes() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest.parent().unwrap_or(&manifest);
    for dir in ["harness", "impls", "workloads"] {
        for item in ["src", "Cargo.toml"] {
            rerun_if_exists(&workspace.join(dir).join(item));
        }
    }
    rerun_if_exists(&manifest.join("build.rs"));
    let Some(git_dir) = output(Command::new("git").args(["rev-parse", "--absolute-git-dir"]))
    else {
        return;
    };
    let git_dir = Path::new(&git_dir);
    rerun_if_exists(&git_dir.join("HEAD"));
    rerun_if_exists(&git_dir.join("index"));
    rerun_if_exists(&git_dir.join("packed-refs"));
    if let Some(head_ref) = output(Command::new("git").args(["symbolic-ref", "-q", "HEAD"])) {
        rerun_if_exists(&git_dir.join(head_ref));
    }
}

fn rerun_if_exists(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
