//! The book (docs/book/) must not rot: every chapter in SUMMARY.md exists,
//! every `{{#include path:anchor}}` names a file that exists and holds that
//! anchor (`ANCHOR: name` ... `ANCHOR_END: name`), every picture exists inside
//! docs/book/src/ (where `mdbook serve` can reach it), and
//! every command the book quotes can be run: `cargo run --release --example X`
//! needs examples/X.rs, and `ganforge <sub>` / `cargo run --release -- <sub>`
//! needs a subcommand of src/bin/ganforge.rs. A refactor that breaks the book
//! fails here. Needs neither mdbook nor a network.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn book_src() -> PathBuf {
    root().join("docs/book/src")
}

/// The chapter files SUMMARY.md links to (`[Title](file.md)`; a draft `[Title]()` has none).
fn summary_chapters(summary: &str) -> Vec<String> {
    let mut chapters = Vec::new();
    for line in summary.lines() {
        let mut rest = line;
        while let Some(open) = rest.find("](") {
            let after = &rest[open + 2..];
            let Some(close) = after.find(')') else { break };
            let target = &after[..close];
            if !target.is_empty() {
                chapters.push(target.to_string());
            }
            rest = &after[close..];
        }
    }
    chapters
}

/// Every `{{#include ...}}` (and `{{#rustdoc_include ...}}`) argument in a chapter.
fn includes(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{#") {
        let after = &rest[open + 3..];
        let Some(close) = after.find("}}") else { break };
        let directive = after[..close].trim();
        if let Some(arg) = directive.strip_prefix("include ").or_else(|| directive.strip_prefix("rustdoc_include ")) {
            found.push(arg.trim().to_string());
        }
        rest = &after[close + 2..];
    }
    found
}

/// Checks one include argument (`path` or `path:anchor`) relative to the chapter's
/// folder; returns the problem, if any. Line ranges are refused: they drift
/// silently when the code changes, anchors do not.
fn check_include(chapter_dir: &Path, arg: &str) -> Result<(), String> {
    let (path, anchor) = match arg.split_once(':') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (arg, None),
    };
    let file = chapter_dir.join(path);
    let text = fs::read_to_string(&file).map_err(|e| format!("{path}: {e}"))?;
    let Some(anchor) = anchor else { return Ok(()) };
    if anchor.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return Err(format!("{arg}: include by line numbers; add `ANCHOR: name` comments instead"));
    }
    let start = format!("ANCHOR: {anchor}");
    let end = format!("ANCHOR_END: {anchor}");
    let lines: Vec<&str> = text.lines().collect();
    let begin = lines.iter().position(|l| l.trim_end().ends_with(&start));
    let finish = lines.iter().position(|l| l.trim_end().ends_with(&end));
    match (begin, finish) {
        (Some(b), Some(f)) if b < f => Ok(()),
        (None, _) => Err(format!("{path} has no `{start}`")),
        (_, None) => Err(format!("{path} has no `{end}`")),
        _ => Err(format!("{path}: `{end}` comes before `{start}`")),
    }
}

/// The code of a chapter: fenced blocks and inline `spans`, where commands live.
fn code_of(text: &str) -> Vec<String> {
    let mut code = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            code.push(line.to_string());
        } else {
            let parts: Vec<&str> = line.split('`').collect();
            code.extend(parts.iter().skip(1).step_by(2).map(|s| s.to_string()));
        }
    }
    code
}

/// The CLI's subcommands: the variants of `enum Command` in src/bin/ganforge.rs,
/// in kebab case as clap names them.
fn subcommands() -> BTreeSet<String> {
    let source = fs::read_to_string(root().join("src/bin/ganforge.rs")).unwrap();
    let body = source.split("enum Command {").nth(1).expect("src/bin/ganforge.rs has an `enum Command`");
    let body = &body[..body.find("\n}").unwrap()];
    let mut names = BTreeSet::new();
    for line in body.lines().map(str::trim) {
        if line.starts_with("//") || line.starts_with('#') || line.is_empty() {
            continue;
        }
        let ident: String = line.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if ident.chars().next().is_some_and(char::is_uppercase) {
            let mut kebab = String::new();
            for (i, c) in ident.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    kebab.push('-');
                }
                kebab.extend(c.to_lowercase());
            }
            names.insert(kebab);
        }
    }
    names
}

/// The word after `marker` in `code`, for every occurrence.
fn words_after<'a>(code: &'a str, marker: &str) -> Vec<&'a str> {
    code.match_indices(marker)
        .filter_map(|(i, _)| code[i + marker.len()..].split_whitespace().next())
        .map(|w| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')))
        .collect()
}

/// Checks the commands quoted in a piece of code; returns the problems.
fn check_commands(code: &str, examples_dir: &Path, subs: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    for example in words_after(code, "--example ") {
        if !examples_dir.join(format!("{example}.rs")).is_file() {
            problems.push(format!("`--example {example}`: no examples/{example}.rs"));
        }
    }
    let mut quoted = words_after(code, "cargo run --release -- ");
    // `ganforge <sub>` as a command: at the start of the code or after a shell prompt.
    let trimmed = code.trim_start().trim_start_matches("$ ");
    if let Some(rest) = trimmed.strip_prefix("ganforge ") {
        quoted.extend(rest.split_whitespace().next());
    }
    for sub in quoted {
        if !sub.starts_with('-') && !subs.contains(sub) {
            problems.push(format!("`{sub}` is not a ganforge subcommand (they are {subs:?})"));
        }
    }
    problems
}

fn chapters() -> Vec<(PathBuf, String)> {
    let summary = fs::read_to_string(book_src().join("SUMMARY.md")).expect("docs/book/src/SUMMARY.md exists");
    summary_chapters(&summary)
        .into_iter()
        .map(|c| {
            let path = book_src().join(&c);
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("SUMMARY.md links {c}: {e}"));
            (path, text)
        })
        .collect()
}

#[test]
fn book_has_mathjax_and_chapters() {
    let toml = fs::read_to_string(root().join("docs/book/book.toml")).expect("docs/book/book.toml exists");
    assert!(toml.contains("mathjax-support = true"), "book.toml must turn MathJax on");
    assert!(chapters().len() >= 2, "SUMMARY.md links no chapters");
}

#[test]
fn every_include_names_an_existing_anchor() {
    let mut problems = Vec::new();
    let mut count = 0;
    for (path, text) in chapters() {
        // An indented include (inside a list item) ends its code block early:
        // the included lines start at column 0.
        for line in text.lines().filter(|l| l.trim_start().starts_with("{{#") && l.starts_with(' ')) {
            problems.push(format!("{}: indented include `{}`; put it at column 0", path.display(), line.trim()));
        }
        for arg in includes(&text) {
            count += 1;
            if let Err(e) = check_include(path.parent().unwrap(), &arg) {
                problems.push(format!("{}: {e}", path.display()));
            }
        }
    }
    assert!(problems.is_empty(), "broken includes in the book:\n{}", problems.join("\n"));
    assert!(count > 0, "the book includes no code");
}

/// Whether a file lies inside docs/book/src/ once `..` are resolved: mdbook
/// copies only that folder into the built book, so a picture outside it shows
/// neither under `mdbook serve` nor in a published copy.
fn inside_book(file: &Path) -> bool {
    match (file.canonicalize(), book_src().canonicalize()) {
        (Ok(file), Ok(src)) => file.starts_with(src),
        _ => false,
    }
}

#[test]
fn every_picture_exists() {
    let mut problems = Vec::new();
    for (path, text) in chapters() {
        for (i, _) in text.match_indices("![") {
            let rest = &text[i..];
            let Some(open) = rest.find("](") else { continue };
            let target = &rest[open + 2..open + 2 + rest[open + 2..].find(')').unwrap_or(0)];
            if target.contains("://") {
                continue;
            }
            let file = path.parent().unwrap().join(target);
            if !file.is_file() {
                problems.push(format!("{}: no picture {target}", path.display()));
            } else if !inside_book(&file) {
                problems.push(format!(
                    "{}: picture {target} is outside docs/book/src/, where `mdbook serve` cannot reach it; \
                     put it in docs/book/src/pictures/",
                    path.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_quoted_command_exists() {
    let subs = subcommands();
    assert!(subs.contains("train") && subs.contains("bench"), "could not read the subcommands: {subs:?}");
    let mut problems = Vec::new();
    for (path, text) in chapters() {
        for code in code_of(&text) {
            for p in check_commands(&code, &root().join("examples"), &subs) {
                problems.push(format!("{}: {p}", path.display()));
            }
        }
    }
    assert!(problems.is_empty(), "the book quotes commands that do not exist:\n{}", problems.join("\n"));
}

/// The checks themselves bite: a missing anchor, a missing example and an
/// unknown subcommand are each reported.
#[test]
fn the_checks_catch_breakage() {
    let dir = root().join("examples");
    assert!(check_include(&root(), "src/autograd.rs:no_such_anchor").is_err());
    assert!(check_include(&root(), "src/no_such_file.rs").is_err());
    assert!(check_include(&root(), "src/autograd.rs:10:20").is_err());
    let subs = subcommands();
    assert_eq!(check_commands("cargo run --release --example no_such_example", &dir, &subs).len(), 1);
    assert_eq!(check_commands("cargo run --release -- frobnicate --steps 3", &dir, &subs).len(), 1);
    assert_eq!(check_commands("ganforge frobnicate", &dir, &subs).len(), 1);
    assert!(check_commands("ganforge train --model mlp", &dir, &subs).is_empty());
    assert!(check_commands("cargo run --release --example mode_collapse -- 1500", &dir, &subs).is_empty());
    assert!(inside_book(&book_src().join("gans/../pictures/ring-ns.png")));
    assert!(!inside_book(&book_src().join("gans/../../../../README.md")));
    assert_eq!(summary_chapters("- [A](a.md)\n- [Draft]()\n  - [B](part/b.md)"), ["a.md", "part/b.md"]);
}
