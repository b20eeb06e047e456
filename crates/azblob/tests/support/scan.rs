//! A scanner for leaked secrets: planted values, their encoded forms, any
//! 20 characters of them, and anything shaped like a secret.

use std::path::Path;
use std::process::{Command, Output};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

/// How many characters of a secret are enough to call it leaked.
const WINDOW: usize = 20;

/// The planted secrets and what was found where.
#[derive(Default)]
pub struct Scan {
    secrets: Vec<(&'static str, String)>,
    hits: Vec<String>,
    runs: usize,
}

impl Scan {
    pub fn plant(&mut self, label: &'static str, secret: impl Into<String>) {
        self.secrets.push((label, secret.into()));
    }

    /// Records every planted secret (or encoded form, or part) and every secret-shaped value in `text`.
    pub fn check(&mut self, place: &str, text: &str) {
        // Percent-encoded leaks show once decoded, so parts are looked for in both.
        let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
        for (label, secret) in &self.secrets {
            let mut forms = vec![
                secret.clone(),
                url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>(),
                BASE64.encode(secret),
            ];
            let chars: Vec<char> = secret.chars().collect();
            if chars.len() > WINDOW {
                forms.extend(chars.windows(WINDOW).map(|w| w.iter().collect::<String>()));
            }
            if let Some(form) = forms.iter().find(|f| text.contains(f.as_str()) || decoded.contains(f.as_str())) {
                self.hits.push(format!("{label} ({form:?}) in {place}: {}", excerpt(text, form)));
            }
        }
        for haystack in [text, decoded.as_str()] {
            if let Some(kind) = azblob::sim::find_secret(haystack) {
                self.hits.push(format!("{kind} in {place}: {}", first_lines(haystack)));
                break;
            }
        }
    }

    /// Runs `command`, scans its output, and returns it.
    pub fn run(&mut self, mut command: Command, what: &str) -> Output {
        let output = command.output().expect("run azblob");
        self.runs += 1;
        self.check(&format!("stdout of {what}"), &String::from_utf8_lossy(&output.stdout));
        self.check(&format!("stderr of {what}"), &String::from_utf8_lossy(&output.stderr));
        output
    }

    /// Scans every file under `dir`.
    pub fn files(&mut self, dir: &Path) -> usize {
        let mut count = 0;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                    self.check(&path.display().to_string(), &text);
                    count += 1;
                }
            }
        }
        count
    }

    pub fn assert_clean(&self) {
        assert!(self.hits.is_empty(), "{} leak(s) in {} runs:\n{}", self.hits.len(), self.runs, self.hits.join("\n"));
    }
}

/// The text around `form`, for the failure message.
fn excerpt(text: &str, form: &str) -> String {
    let at = text.find(form).unwrap_or(0);
    let (start, end) = (at.saturating_sub(120), (at + form.len() + 40).min(text.len()));
    String::from_utf8_lossy(&text.as_bytes()[start..end]).into_owned()
}

fn first_lines(text: &str) -> String {
    text.lines().take(3).collect::<Vec<_>>().join(" | ")
}
