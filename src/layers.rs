//! The module layers, from the bottom up, and a test that keeps them: a module may use
//! modules of its own layer or lower ones, never a higher one.

/// Each layer's top-level modules, lowest first.
#[cfg(test)]
const LAYERS: &[&[&str]] = &[
    &["date", "fsutil", "span", "sqlite", "term"],
    &["yaml"],
    &["diag"],
    &["expr", "schema"],
    &["source", "workspace"],
    &["model"],
    &["config"],
    &["check", "cache"],
    &["graph"],
    &["load", "index"],
    &["history"],
    &["query"],
    &["alert", "import"],
    // The command line's vocabulary (arguments, output formats): std and clap only,
    // so every renderer can match on the formats it defines.
    &["cli"],
    &["render"],
    &["error"],
    &["commands"],
    // The process: arguments, standard streams, exit status.
    &["app"],
];

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::LAYERS;

    fn layer(module: &str) -> Option<usize> {
        LAYERS.iter().position(|l| l.contains(&module))
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for item in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = item.expect("a folder entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The top-level module names a file refers to with `crate::NAME`, outside comments.
    fn uses(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        for line in text.lines() {
            if line.trim() == "#[cfg(test)]" {
                break; // tests may use any layer
            }
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                if let Some(braced) = rest.strip_prefix('{') {
                    // `use crate::{a, b::c}`: every name directly inside the braces.
                    let inner = braced.split('}').next().unwrap_or("");
                    for part in inner.split(',') {
                        let name = part.trim().split("::").next().unwrap_or("").trim();
                        if !name.is_empty() {
                            found.push(name.to_owned());
                        }
                    }
                    continue;
                }
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                found.push(name);
            }
        }
        found
    }

    #[test]
    fn no_module_uses_a_higher_layer() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut wrong = Vec::new();
        let mut unknown = Vec::new();
        for path in files {
            let rel = path.strip_prefix(&src).expect("below src/");
            let top = rel
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .unwrap_or("")
                .trim_end_matches(".rs")
                .to_owned();
            if matches!(top.as_str(), "lib" | "main" | "layers" | "repo_files") {
                continue;
            }
            let Some(own) = layer(&top) else {
                unknown.push(top);
                continue;
            };
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            for used in uses(&text) {
                match layer(&used) {
                    Some(l) if l > own => {
                        wrong.push(format!("{} uses crate::{used}", rel.display()));
                    }
                    Some(_) => {}
                    None => unknown.push(format!("{used} (used by {})", rel.display())),
                }
            }
        }
        wrong.sort();
        wrong.dedup();
        assert!(
            unknown.is_empty(),
            "modules missing from LAYERS: {unknown:?}"
        );
        assert!(
            wrong.is_empty(),
            "a lower module uses a higher one (see LAYERS in src/layers.rs):\n{}",
            wrong.join("\n")
        );
    }

    #[test]
    fn the_scanner_sees_braced_and_plain_uses() {
        let found =
            uses("use crate::{graph::Catalog, diag};\nlet x = crate::load::load(p); // crate::cli");
        assert_eq!(found, ["graph", "diag", "load"]);
    }
}
