//! The routes the server declares, read from the router's source: every
//! `.route("PATH", METHODS)` call in `crates/api/src/lib.rs` and under
//! `crates/web/src`. A source parse rather than a runtime registry: axum
//! keeps no list of its routes, and the router code is plain enough to
//! read. The parse understands what the router code uses and fails loudly
//! on anything else, so a new way of declaring routes is noticed:
//!
//! - a path is a string literal or a `&str` constant of the crate (named
//!   bare, as `module::NAME` or by its full path; a constant may name
//!   another);
//! - methods are `get(..)`, `post(..)`, `put(..)`, `delete(..)`,
//!   `patch(..)`, chained or not, or a function of the crate ending in
//!   `_route` that returns a `MethodRouter` built the same way;
//! - a `let NAME = Router::new()...;` router mounted with
//!   `.nest("PREFIX", NAME)` puts PREFIX before its routes (the FHIR
//!   router under `/fhir/r4`); the web crate merges its routers and nests
//!   none.
//!
//! The operations listener (`api::ops::router`, on its own address) is not
//! part of the public surface and is not read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// One source file of a crate.
struct Source {
    path: PathBuf,
    text: String,
}

/// Every `.rs` file under a directory, recursively.
fn sources(dir: &Path) -> Vec<Source> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read source directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                out.push(Source { path, text });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Blanks out comments (keeping offsets), so a route in a doc comment is
/// not a route.
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|l| match find_comment(l) {
            Some(at) => format!("{}{}", &l[..at], " ".repeat(l.len() - at)),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where a `//` comment starts on a line, outside string literals.
fn find_comment(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut in_str = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && b.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index just past the bracket closing the one opened before `from`
/// (`from` is the index after the opening bracket), skipping strings.
fn closing(text: &str, from: usize, open: u8, close: u8) -> usize {
    let b = text.as_bytes();
    let mut depth = 1;
    let mut in_str = false;
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            c if !in_str && c == open => depth += 1,
            c if !in_str && c == close => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced brackets")
}

/// Splits an argument list at its top-level commas.
fn split_args(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut cur = String::new();
    let mut prev = ' ';
    for c in args.chars() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '(' | '[' | '{' if !in_str => depth += 1,
            ')' | ']' | '}' if !in_str => depth -= 1,
            ',' if !in_str && depth == 0 => {
                out.push(std::mem::take(&mut cur).trim().to_string());
                prev = c;
                continue;
            }
            _ => {}
        }
        cur.push(c);
        prev = c;
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// A crate's sources, comments removed, and its `&str` constants.
struct Crate {
    files: Vec<Source>,
}

impl Crate {
    fn read(dir: &Path) -> Crate {
        let files = sources(dir)
            .into_iter()
            .map(|s| Source {
                text: strip_comments(&s.text),
                path: s.path,
            })
            .collect();
        Crate { files }
    }

    /// The value of a path expression used in `file`: a string literal, or
    /// a constant of the crate.
    fn resolve(&self, expr: &str, file: &Path) -> Result<String, String> {
        let expr = expr.trim();
        if let Some(lit) = expr.strip_prefix('"').and_then(|e| e.strip_suffix('"')) {
            return Ok(lit.to_string());
        }
        let segments: Vec<&str> = expr.split("::").map(str::trim).collect();
        let name = *segments.last().expect("a name");
        if !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            return Err(format!("{expr:?} is neither a literal nor a constant"));
        }
        let needle = format!("const {name}: &str =");
        let needle = needle.as_str();
        let defs: Vec<(&Source, String)> = self
            .files
            .iter()
            .flat_map(|f| {
                f.text.match_indices(needle).map(move |(at, _)| {
                    let rest = &f.text[at + needle.len()..];
                    (f, rest[..rest.find(';').expect("end of const")].to_string())
                })
            })
            .collect();
        let chosen: Vec<&(&Source, String)> = if defs.len() <= 1 {
            defs.iter().collect()
        } else if segments.len() == 1 {
            defs.iter().filter(|(f, _)| f.path == file).collect()
        } else {
            let module = segments[segments.len() - 2];
            defs.iter()
                .filter(|(f, _)| {
                    f.path.components().any(|c| {
                        let c = c.as_os_str().to_string_lossy();
                        c == module || c == format!("{module}.rs")
                    })
                })
                .collect()
        };
        match chosen.as_slice() {
            [(f, value)] => self.resolve(value, &f.path),
            [] => Err(format!("no constant {expr}")),
            _ => Err(format!("{expr} names several constants")),
        }
    }

    /// The methods a method-router expression accepts.
    fn methods(&self, expr: &str) -> Result<BTreeSet<String>, String> {
        let mut out = BTreeSet::new();
        let b = expr.as_bytes();
        for (at, _) in expr.match_indices('(') {
            let start = expr[..at]
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(0, |p| p + 1);
            let word = &expr[start..at];
            if METHODS.contains(&word) {
                out.insert(word.to_uppercase());
            } else if word.ends_with("_route") && (start == 0 || b[start - 1] != b'.') {
                let body = self.function_body(word)?;
                out.extend(self.methods(&body)?);
            }
        }
        if out.is_empty() {
            return Err(format!("no method in {expr:?}"));
        }
        Ok(out)
    }

    /// The body of the crate's one function called `name`.
    fn function_body(&self, name: &str) -> Result<String, String> {
        let needle = format!("fn {name}(");
        let found: Vec<String> = self
            .files
            .iter()
            .flat_map(|f| {
                f.text.match_indices(&needle).map(|(at, _)| {
                    let open = at + f.text[at..].find('{').expect("function body");
                    f.text[open + 1..closing(&f.text, open + 1, b'{', b'}') - 1].to_string()
                })
            })
            .collect();
        match found.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(format!("{} functions {name}", found.len())),
        }
    }
}

/// The `(METHOD, PATH)` pairs one file declares, and the problems found.
fn routes_of(
    krate: &Crate,
    file: &Source,
    routes: &mut BTreeSet<String>,
    errors: &mut Vec<String>,
) {
    let text = &file.text;
    // Routers bound to a name and nested under a prefix.
    let mut spans: Vec<(usize, usize, String)> = Vec::new();
    for (at, _) in text.match_indices("Router::new()") {
        let line_start = text[..at].rfind([';', '{', '}']).map_or(0, |p| p + 1);
        let stmt = text[line_start..at].trim();
        if let Some(var) = stmt
            .strip_prefix("let ")
            .and_then(|s| s.strip_suffix('='))
            .map(str::trim)
        {
            let end = at + text[at..].find(';').expect("end of let");
            let nest = format!(", {var})");
            let prefix = text
                .match_indices(".nest(")
                .map(|(n, _)| &text[n + 6..closing(text, n + 6, b'(', b')') - 1])
                .find(|args| format!("{args})").ends_with(&nest))
                .map(|args| split_args(args)[0].clone());
            match prefix {
                Some(p) => match krate.resolve(&p, &file.path) {
                    Ok(p) => spans.push((at, end, p)),
                    Err(e) => errors.push(format!("{}: {e}", file.path.display())),
                },
                None => errors.push(format!(
                    "{}: router {var} is not nested under a prefix",
                    file.path.display()
                )),
            }
        }
    }
    for (at, _) in text.match_indices(".route(") {
        let open = at + ".route(".len();
        let args = &text[open..closing(text, open, b'(', b')') - 1];
        let args = split_args(args);
        let [path, methods] = args.as_slice() else {
            errors.push(format!("{}: .route({args:?})", file.path.display()));
            continue;
        };
        let prefix = spans
            .iter()
            .find(|(s, e, _)| (*s..*e).contains(&at))
            .map_or("", |(_, _, p)| p.as_str());
        match (krate.resolve(path, &file.path), krate.methods(methods)) {
            (Ok(path), Ok(methods)) => {
                let path = match (prefix, path.as_str()) {
                    ("", p) => p.to_string(),
                    (pre, "/") => pre.to_string(),
                    (pre, p) => format!("{pre}{p}"),
                };
                for m in methods {
                    routes.insert(format!("{m} {path}"));
                }
            }
            (Err(e), _) | (_, Err(e)) => errors.push(format!("{}: {e}", file.path.display())),
        }
    }
}

/// Every route the server declares, as `METHOD PATH` with the path exactly
/// as the router spells it (`GET /fhir/r4/Patient/{id}` is
/// `GET /fhir/r4/{type}/{id}`).
pub fn declared() -> BTreeSet<String> {
    let root = crate::helpers::workspace_root();
    let api = Crate::read(&root.join("crates/api/src"));
    let web = Crate::read(&root.join("crates/web/src"));
    let mut routes = BTreeSet::new();
    let mut errors = Vec::new();
    let lib = api
        .files
        .iter()
        .find(|f| f.path.ends_with("crates/api/src/lib.rs"))
        .expect("the API's lib.rs");
    routes_of(&api, lib, &mut routes, &mut errors);
    for f in &web.files {
        if f.text.contains(".nest(") {
            errors.push(format!(
                "{}: a nested web router (teach this parse its prefix)",
                f.path.display()
            ));
        }
        routes_of(&web, f, &mut routes, &mut errors);
    }
    assert!(
        errors.is_empty(),
        "the route parse failed:\n{}",
        errors.join("\n")
    );
    routes
}

#[test]
fn the_route_parse_reads_the_router() {
    let routes = declared();
    // Routes of every kind the parse has to understand: a literal, the
    // FHIR prefix on "/", a chained method, a `_route` helper, constants
    // bare, by module and through another constant, and the web's merge.
    for want in [
        "GET /healthz",
        "POST /auth/token",
        "POST /fhir/r4",
        "GET /fhir/r4/{type}/{id}/_history/{vid}",
        "PUT /fhir/r4/Coverage/{id}",
        "GET /fhir/r4/Coverage/{id}",
        "GET /fhir/r4/DiagnosticReport",
        "POST /fhir/r4/DiagnosticReport",
        "DELETE /fhir/r4/Subscription/{id}",
        "GET /ui/login",
        "POST /ui/login",
        "GET /ui/dashboard",
        "GET /ui/doctor",
        "GET /ui/admin",
        "GET /ui/insurer",
        "POST /ui/office/referrals/{id}/{action}",
    ] {
        assert!(routes.contains(want), "{want} not found in {routes:#?}");
    }
    assert!(routes.len() > 100, "{} routes", routes.len());
    assert!(
        routes.iter().all(|r| !r.contains("/fhir/r4/ui")),
        "a web route under the FHIR prefix"
    );
}
