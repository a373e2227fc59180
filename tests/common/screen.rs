//! The TUI drawn on ratatui's `TestBackend`, as text (one line per row), for asserts
//! and insta snapshots.

use appctx::tui::{view, Runner};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// The screen of `runner` at its current size.
pub fn screen(runner: &Runner) -> String {
    let (w, h) = runner.app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal.draw(|f| view::draw(f, &runner.app)).expect("draw");
    let buf = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..w {
            // A wide character fills two cells; the second holds no text of its own.
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buf[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
