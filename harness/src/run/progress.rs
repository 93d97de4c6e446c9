//! The progress bar on stderr (only on a terminal): the bar, repetitions done/total, the
//! time left, and the repetition being measured — in at most 80 columns.

use super::suite::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// Columns the bar may use.
const WIDTH: usize = 80;
/// Columns the template takes besides the message, `[bar] 1234/5678 ETA 1m 2s `, with
/// room to spare.
const FIXED: usize = 1 + 12 + 2 + 9 + 1 + 4 + 7 + 2;

pub struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar on a terminal's stderr; nothing otherwise.
    pub fn new() -> Bar {
        Bar(std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("[{bar:12}] {pos}/{len} ETA {eta:<6} {msg}")
                    .expect("progress template")
                    .progress_chars("=> "),
            );
            bar
        }))
    }

    pub fn update(&mut self, p: Progress) {
        let Some(bar) = &self.0 else {
            return;
        };
        match p {
            Progress::Start { total } => bar.set_length(total as u64),
            Progress::Cell { label } => {
                // The previous repetition is done once the next one starts.
                let first = bar.message().is_empty();
                bar.set_message(fit(&label, WIDTH - FIXED));
                if first {
                    bar.reset_eta();
                } else {
                    bar.inc(1);
                }
            }
        }
    }

    /// Clears the bar, so nothing stale stays on the terminal.
    pub fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

/// `text` cut to `width` characters, ending in `~` when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('~');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fit_in_80_columns() {
        let long = "hazptr-haphazard describe t=1024 rep 1000/1000 and more";
        let fitted = fit(long, WIDTH - FIXED);
        assert!(FIXED + fitted.chars().count() <= WIDTH, "{fitted}");
        assert!(fitted.ends_with('~'));
        assert_eq!(fit("rcu wait t=2 rep 1/3", 40), "rcu wait t=2 rep 1/3");
    }
}
