//! The geometry of the calendar's time grid, without I/O: which local minutes the rows cover,
//! the row and span of an item, and side-by-side lanes for items that overlap in one column.
//! The page places items with classes (`r{row}`, `s{span}`, `l{lane}`) from
//! `static/css/calendar.css`, because the CSP allows no inline style.

/// Minutes per grid row.
pub const ROW_MINUTES: u16 = 15;
/// The most lanes a column splits into; further overlaps share the last lane.
pub const MAX_LANES: usize = 6;
/// The rows shown when nothing on the day says otherwise: 08:00–18:00.
const DEFAULT_WINDOW: (u16, u16) = (8 * 60, 18 * 60);
const DAY_END: u16 = 24 * 60;

/// The local minutes `[first, last)` the rows cover: whole hours around every range given
/// (opening hours, blocks, bookings), or 08:00–18:00 when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub first: u16,
    pub last: u16,
}

impl Window {
    pub fn around(ranges: impl IntoIterator<Item = (u16, u16)>) -> Self {
        let (first, last) = ranges
            .into_iter()
            .map(|(start, end)| (start.min(DAY_END), end.clamp(start.min(DAY_END), DAY_END)))
            .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
            .unwrap_or(DEFAULT_WINDOW);
        let first = (first / 60 * 60).min(DAY_END - 60);
        let last = last.div_ceil(60).saturating_mul(60).clamp(first + 60, DAY_END);
        Self { first, last }
    }

    pub fn rows(self) -> u16 {
        (self.last - self.first) / ROW_MINUTES
    }

    /// The 1-based grid row of a local minute (clamped into the window).
    pub fn row(self, minute: u16) -> u16 {
        (minute.clamp(self.first, self.last - 1) - self.first) / ROW_MINUTES + 1
    }

    /// How many rows `[start, end)` covers from [`Self::row`] of `start` (at least one).
    pub fn span(self, start: u16, end: u16) -> u16 {
        let start = start.clamp(self.first, self.last - 1);
        let end = end.clamp(start, self.last);
        let first_row_start = self.first + (self.row(start) - 1) * ROW_MINUTES;
        (end - first_row_start).div_ceil(ROW_MINUTES).max(1)
    }

    /// Every `step` minutes of the window, from its first minute.
    pub fn steps(self, step: u16) -> impl Iterator<Item = u16> {
        (self.first..self.last).step_by(step.into())
    }
}

/// For items `(start, end)` in local minutes, each one's lane (0-based) and the lane count:
/// an item takes the first lane that is free when it starts (greedy interval partitioning,
/// in start order, so the count is the most that overlap at once, capped at [`MAX_LANES`]).
pub fn lanes(items: &[(u16, u16)]) -> (Vec<usize>, usize) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| items[i]);
    let mut ends: Vec<u16> = Vec::new();
    let mut lane_of = vec![0; items.len()];
    for i in order {
        let (start, end) = items[i];
        let lane = match ends.iter().position(|&busy_until| busy_until <= start) {
            Some(lane) => lane,
            None if ends.len() < MAX_LANES => {
                ends.push(0);
                ends.len() - 1
            }
            None => MAX_LANES - 1,
        };
        ends[lane] = ends[lane].max(end.max(start + 1));
        lane_of[i] = lane;
    }
    (lane_of, ends.len().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_whole_hours_around_everything_or_office_hours() {
        assert_eq!(Window::around([]), Window { first: 480, last: 1080 });
        let w = Window::around([(9 * 60 + 30, 12 * 60), (13 * 60, 17 * 60 + 15)]);
        assert_eq!(w, Window { first: 540, last: 1080 });
        assert_eq!(w.rows(), 36);
        assert_eq!(Window::around([(23 * 60 + 30, 24 * 60 + 90)]).last, 1440);
    }

    #[test]
    fn rows_and_spans_follow_the_quarter_hours() {
        let w = Window { first: 480, last: 1080 };
        assert_eq!(w.row(480), 1);
        assert_eq!(w.row(600), 9);
        assert_eq!((w.row(600), w.span(600, 660)), (9, 4));
        assert_eq!((w.row(605), w.span(605, 610)), (9, 1));
        assert_eq!(w.span(600, 601), 1);
        // Past the window's end the item is cut at the last row.
        assert_eq!(w.span(1050, 1200), 2);
        assert_eq!(w.steps(30).count(), 20);
    }

    #[test]
    fn overlapping_items_go_side_by_side() {
        let (lanes, count) = lanes(&[(600, 660), (630, 690), (660, 720), (700, 760)]);
        assert_eq!(count, 2);
        assert_eq!(lanes, vec![0, 1, 0, 1]);
        assert_eq!(super::lanes(&[]), (vec![], 1));
        let many = vec![(600, 660); 9];
        assert_eq!(super::lanes(&many).1, MAX_LANES);
    }
}
