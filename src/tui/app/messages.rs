//! Messages (toasts): shown, collapsed when repeated, aged out.

use super::*;

impl App {
    pub(crate) fn toast_error(&mut self, text: String) {
        self.notify(text, true);
    }

    pub(crate) fn toast(&mut self, text: String) {
        self.notify(text, false);
    }

    /// Shows a message. The same text again is one message with a count, moved to the
    /// front, not another box.
    pub(crate) fn notify(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        let count = match self.toasts.iter().position(|t| t.text == text) {
            Some(i) => self.toasts.remove(i).count + 1,
            None => 1,
        };
        self.toasts.push(Toast {
            text,
            error,
            count,
            ttl: TOAST_TICKS,
        });
    }

    /// A tick: info messages age and go.
    pub(crate) fn age_toasts(&mut self) {
        self.toasts.retain_mut(|t| {
            if t.error {
                return true;
            }
            t.ttl = t.ttl.saturating_sub(1);
            t.ttl > 0
        });
    }
}
