//! The Dockerfile syntax plumb needs: parser directives, instructions with their lines, line
//! continuations, comments inside continuations, and heredocs.
//!
//! Why not a crate: `dockerfile-parser` has had no release since 2022 and predates heredocs;
//! `parse-dockerfile` is young (0.1) and gives byte spans, not the per-instruction lines and
//! escape-aware joins findings need. What policies read is small (the keyword, its arguments,
//! where it starts and ends), so it is written here, following the reference at
//! docs.docker.com/reference/dockerfile/.

/// One instruction, its arguments joined across line continuations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper case: `FROM`, `RUN`, ...
    pub keyword: String,
    /// The arguments, continuation lines joined with a space, comments inside dropped.
    pub args: String,
    /// 1-based, inclusive.
    pub line: u32,
    pub end_line: u32,
    /// Bodies of the heredocs the instruction opens (`RUN <<EOF`), in order.
    pub heredocs: Vec<String>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// `# syntax=` directive, when given.
    pub syntax: Option<String>,
    /// The escape character (`\` unless `# escape=` says otherwise).
    pub escape: char,
    pub instructions: Vec<Instruction>,
}

/// A syntax error at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub message: String,
}

const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Parses a Dockerfile's text.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Dockerfile {
        escape: '\\',
        ..Dockerfile::default()
    };
    let mut i = 0;
    // Parser directives: `# key=value` lines at the very top, before any other line.
    while i < lines.len() {
        let Some(rest) = lines[i].trim().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() || key.contains(char::is_whitespace) {
            break;
        }
        let value = value.trim();
        match key.as_str() {
            "syntax" => out.syntax = Some(value.to_string()),
            "escape" => {
                out.escape = match value {
                    "\\" => '\\',
                    "`" => '`',
                    _ => {
                        return Err(ParseError {
                            line: i as u32 + 1,
                            message: format!("escape directive must be \\ or `, not {value:?}"),
                        });
                    }
                }
            }
            // `check=` and directives of newer front ends: known to BuildKit, not to us.
            _ => {}
        }
        i += 1;
    }
    while i < lines.len() {
        let start = i;
        let first = lines[i].trim_start();
        i += 1;
        if first.trim().is_empty() || first.starts_with('#') {
            continue;
        }
        let mut joined = String::new();
        let mut current = first.trim_end();
        loop {
            match current.strip_suffix(out.escape) {
                Some(head) => {
                    joined.push_str(head);
                    joined.push(' ');
                    // Comment and blank lines inside a continuation are dropped.
                    while i < lines.len() {
                        let next = lines[i].trim_start();
                        if next.is_empty() || next.starts_with('#') {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    match lines.get(i) {
                        Some(next) => {
                            current = next.trim_end();
                            i += 1;
                        }
                        // A continuation at the end of the file ends the instruction.
                        None => break,
                    }
                }
                None => {
                    joined.push_str(current);
                    break;
                }
            }
        }
        let end = i;
        let joined = joined.trim();
        let (word, args) = joined
            .split_once(char::is_whitespace)
            .unwrap_or((joined, ""));
        let keyword = word.to_ascii_uppercase();
        if !KEYWORDS.contains(&keyword.as_str()) {
            return Err(ParseError {
                line: start as u32 + 1,
                message: format!("unknown instruction {word:?}"),
            });
        }
        let mut instruction = Instruction {
            keyword,
            args: args.trim().to_string(),
            line: start as u32 + 1,
            end_line: end as u32,
            heredocs: Vec::new(),
        };
        if matches!(instruction.keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for (word, strip_tabs) in heredoc_words(&instruction.args) {
                let mut body = String::new();
                let mut closed = false;
                while i < lines.len() {
                    let raw = lines[i];
                    i += 1;
                    let line = if strip_tabs {
                        raw.trim_start_matches('\t')
                    } else {
                        raw
                    };
                    if line == word {
                        closed = true;
                        break;
                    }
                    body.push_str(line);
                    body.push('\n');
                }
                if !closed {
                    return Err(ParseError {
                        line: instruction.line,
                        message: format!("heredoc <<{word} is never closed (no line {word:?})"),
                    });
                }
                instruction.heredocs.push(body);
            }
            instruction.end_line = i as u32;
        }
        if out.instructions.is_empty() && !matches!(instruction.keyword.as_str(), "FROM" | "ARG") {
            return Err(ParseError {
                line: instruction.line,
                message: format!(
                    "{} before the first FROM (only ARG may come first)",
                    instruction.keyword
                ),
            });
        }
        out.instructions.push(instruction);
    }
    if !out.instructions.iter().any(|i| i.keyword == "FROM") {
        return Err(ParseError {
            line: out.instructions.first().map_or(1, |i| i.line),
            message: "no FROM instruction".into(),
        });
    }
    Ok(out)
}

/// The heredoc delimiters of an instruction's arguments (`<<EOF`, `<<-EOF`, `<<"EOF"`), and
/// whether leading tabs are stripped from their bodies.
fn heredoc_words(args: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = args;
    while let Some(at) = rest.find("<<") {
        rest = &rest[at + 2..];
        let strip = rest.starts_with('-');
        let body = rest.trim_start_matches('-');
        let quoted = body.starts_with(['"', '\'']);
        let word: String = body
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // `<<` inside a shell command (`cat <<< x`, a here-string) is no heredoc.
        if !word.is_empty() && (quoted || word.chars().next().is_some_and(|c| !c.is_ascii_digit()))
        {
            out.push((word, strip));
        }
    }
    out
}

/// Splits `KEY=VALUE KEY2="v 2"` pairs (ENV, ARG, LABEL); the legacy `ENV KEY value with
/// spaces` form is one pair. A key without `=` has no value.
pub fn pairs(args: &str, legacy: bool) -> Vec<(String, Option<String>)> {
    let words = words(args);
    if legacy && words.first().is_some_and(|w| !w.contains('=')) && words.len() > 1 {
        let (key, value) = args
            .trim()
            .split_once(char::is_whitespace)
            .unwrap_or((args, ""));
        return vec![(key.to_string(), Some(unquote(value.trim())))];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(unquote(v))),
            None => (w, None),
        })
        .collect()
}

/// Shell-like words: split on whitespace outside quotes; quotes kept (see [`unquote`]).
pub fn words(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    for c in args.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                word.push(c);
            }
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                word.push(c);
            }
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            None => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Drops the quotes of a word (`"a b"` -> `a b`, `x="y"` -> `x=y`).
pub fn unquote(word: &str) -> String {
    word.chars().filter(|c| *c != '"' && *c != '\'').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_carry_their_lines_across_continuations_and_heredocs() {
        let text = "# syntax=docker/dockerfile:1\n# escape=\\\nFROM golang:1.22 AS build\n\nRUN apt-get update && \\\n    # a comment inside\n    apt-get install -y git\nRUN <<EOF\nset -e\ngo build ./...\nEOF\nFROM scratch\nUSER 65532\n";
        let d = parse(text).expect("parses");
        assert_eq!(d.syntax.as_deref(), Some("docker/dockerfile:1"));
        let spans: Vec<(&str, u32, u32)> = d
            .instructions
            .iter()
            .map(|i| (i.keyword.as_str(), i.line, i.end_line))
            .collect();
        assert_eq!(
            spans,
            [
                ("FROM", 3, 3),
                ("RUN", 5, 7),
                ("RUN", 8, 11),
                ("FROM", 12, 12),
                ("USER", 13, 13)
            ]
        );
        assert_eq!(
            d.instructions[1].args,
            "apt-get update &&      apt-get install -y git"
        );
        assert_eq!(d.instructions[2].heredocs, ["set -e\ngo build ./...\n"]);
    }

    #[test]
    fn the_escape_directive_changes_the_continuation_character() {
        let d = parse(
            "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir `\n  c:\\\n",
        )
        .expect("parses");
        assert_eq!(d.instructions[1].args, "dir    c:\\");
        assert_eq!(d.instructions[1].end_line, 4);
    }

    #[test]
    fn bad_input_names_the_line() {
        let e = parse("FROM alpine\nRUNN echo\n").expect_err("unknown");
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "unknown instruction \"RUNN\"")
        );
        let e = parse("FROM alpine\nRUN <<EOF\necho\n").expect_err("open heredoc");
        assert_eq!(e.line, 2);
        let e = parse("RUN echo\nFROM alpine\n").expect_err("RUN first");
        assert_eq!(e.line, 1);
        let e = parse("# escape=x\nFROM alpine\n").expect_err("escape");
        assert_eq!(e.line, 1);
        assert_eq!(
            parse("\n# only a comment\n").expect_err("empty").message,
            "no FROM instruction"
        );
    }

    #[test]
    fn env_pairs_in_both_forms() {
        assert_eq!(
            pairs("A=1 B=\"two words\" C", false),
            [
                ("A".to_string(), Some("1".to_string())),
                ("B".to_string(), Some("two words".to_string())),
                ("C".to_string(), None)
            ]
        );
        assert_eq!(
            pairs("PATH /usr/local/bin:/usr/bin", true),
            [(
                "PATH".to_string(),
                Some("/usr/local/bin:/usr/bin".to_string())
            )]
        );
    }
}
