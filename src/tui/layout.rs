//! Where each pane goes for a terminal size. Shared by the view (to draw) and by
//! `App::update` (to page by a screenful and to map mouse clicks), so both agree.

use ratatui::layout::Rect;

use super::app::Focus;

/// Below this width the list and the detail do not fit side by side.
pub const WIDE: u16 = 100;

/// The screen areas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Panes {
    /// Tab bar (top line).
    pub tabs: Rect,
    /// Users or channels list.
    pub list: Rect,
    /// The selected object's fields and custom map.
    pub detail: Rect,
    /// Its memberships or members.
    pub relations: Rect,
    /// Status bar (bottom line).
    pub status: Rect,
}

/// The panes for a terminal of `(width, height)`.
pub fn panes((w, h): (u16, u16), focus: Focus) -> Panes {
    let tabs = Rect::new(0, 0, w, h.min(1));
    let status = Rect::new(0, h.saturating_sub(1), w, h.min(1));
    let body_y = 1;
    let body_h = h.saturating_sub(2);
    if w >= WIDE {
        let list_w = (w * 9 / 20).max(40).min(w);
        let right_w = w - list_w;
        let detail_h = (body_h * 11 / 20).max(8).min(body_h);
        Panes {
            tabs,
            list: Rect::new(0, body_y, list_w, body_h),
            detail: Rect::new(list_w, body_y, right_w, detail_h),
            relations: Rect::new(list_w, body_y + detail_h, right_w, body_h - detail_h),
            status,
        }
    } else {
        // Narrow: the focused pane gets most of the height; the list collapses when the
        // detail has the focus.
        match focus {
            Focus::List => {
                let list_h = (body_h * 3 / 5).max(5).min(body_h);
                Panes {
                    tabs,
                    list: Rect::new(0, body_y, w, list_h),
                    detail: Rect::new(0, body_y + list_h, w, body_h - list_h),
                    relations: Rect::default(),
                    status,
                }
            }
            Focus::Detail => {
                let detail_h = (body_h * 2 / 5).max(4).min(body_h);
                Panes {
                    tabs,
                    list: Rect::default(),
                    detail: Rect::new(0, body_y, w, detail_h),
                    relations: Rect::new(0, body_y + detail_h, w, body_h - detail_h),
                    status,
                }
            }
        }
    }
}

/// The describe view's popup at a terminal size: nearly the whole screen.
pub fn describe_popup((w, h): (u16, u16)) -> Rect {
    let pw = w.saturating_sub(4).max(w.min(20));
    let ph = h.saturating_sub(2).max(h.min(5));
    Rect::new((w - pw) / 2, (h - ph) / 2, pw, ph)
}

/// The text area inside the describe popup (its border off).
pub fn describe_text(size: (u16, u16)) -> Rect {
    let p = describe_popup(size);
    Rect::new(
        p.x + 1,
        p.y + 1,
        p.width.saturating_sub(2),
        p.height.saturating_sub(2),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_stay_inside_the_screen_at_any_size() {
        for w in [1u16, 20, 80, 99, 100, 120, 250] {
            for h in [1u16, 3, 10, 24, 40, 70] {
                for focus in [Focus::List, Focus::Detail] {
                    let p = panes((w, h), focus);
                    for r in [p.tabs, p.list, p.detail, p.relations, p.status] {
                        assert!(
                            r.x + r.width <= w && r.y + r.height <= h,
                            "{w}x{h} {focus:?} {r:?}"
                        );
                    }
                }
            }
        }
    }
}
