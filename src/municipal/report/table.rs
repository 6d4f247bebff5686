//! A figure of the report as a table of areas × keys with its margins, and the suppression
//! that makes it safe to show: pure, no IO.
//!
//! Primary suppression hides every cell computed from fewer than k people. Complementary
//! suppression then makes sure no hidden cell can be computed back from what is shown: in every
//! line (a row with its total, a column with its total, the totals with the grand total) either
//! nothing is hidden, or at least two cells are and together they come from k people or more
//! (the total minus the shown cells gives their sum away); the next cell hidden is the smallest
//! visible one of the line (a total only when the line has no inner cell left). The rule runs until nothing
//! changes; every view of the report (a page per area, the commune, the CSV, the printable
//! page) reads the same protected table, so no two views differ by a hidden cell.

use crate::store::report::CountRow;

/// One count and the distinct people it was computed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    value: i64,
    people: i64,
    hidden: bool,
}

impl Cell {
    /// The count, or None when it must not be shown.
    pub fn shown(&self) -> Option<i64> {
        (!self.hidden).then_some(self.value)
    }
}

/// Where a cell sits: `(Some(row), Some(col))` inside, `(Some(row), None)` a row total,
/// `(None, Some(col))` a column total, `(None, None)` the grand total.
type Pos = (Option<usize>, Option<usize>);

/// A figure: rows are areas (slugs), columns keys (a category, a channel…).
#[derive(Clone, Debug)]
pub struct Table {
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    cells: Vec<Vec<Cell>>,
    /// Per row, the total over the keys; None when the keys are different things that do not
    /// add up (matches and loans).
    row_totals: Option<Vec<Cell>>,
    /// Per column, the total over the commune's areas.
    col_totals: Vec<Cell>,
    /// Present with the row totals.
    grand: Option<Cell>,
    /// The fewest people a shown figure, or the hidden figures of a line together, come from.
    k: i64,
}

impl Table {
    /// The table of `counts` (rows of store::report) over these rows and columns, with every
    /// cell from fewer than `k` people hidden, then protected. A cell absent from `counts` is
    /// zero, from nobody, and so hidden as well: "no one" is not shown either.
    pub fn build(rows: Vec<String>, cols: Vec<String>, counts: &[CountRow], row_totals: bool, k: u32) -> Table {
        let find = |area: Option<&str>, key: Option<&str>| -> Cell {
            let hit = counts
                .iter()
                .find(|c| c.area.as_deref() == area && c.key.as_deref() == key);
            let (value, people) = hit.map(|c| (c.value, c.people)).unwrap_or((0, 0));
            Cell {
                value,
                people,
                hidden: people < i64::from(k),
            }
        };
        let cells = rows
            .iter()
            .map(|r| cols.iter().map(|c| find(Some(r), Some(c))).collect())
            .collect();
        let col_totals = cols.iter().map(|c| find(None, Some(c))).collect();
        let (row_totals, grand) = if row_totals {
            (
                Some(rows.iter().map(|r| find(Some(r), None)).collect()),
                Some(find(None, None)),
            )
        } else {
            (None, None)
        };
        let mut table = Table {
            rows,
            cols,
            cells,
            row_totals,
            col_totals,
            grand,
            k: i64::from(k),
        };
        table.protect();
        table
    }

    pub fn cell(&self, row: usize, col: usize) -> Cell {
        self.cells[row][col]
    }

    pub fn row_total(&self, row: usize) -> Option<Cell> {
        self.row_totals.as_ref().map(|t| t[row])
    }

    pub fn col_total(&self, col: usize) -> Cell {
        self.col_totals[col]
    }

    pub fn grand(&self) -> Option<Cell> {
        self.grand
    }

    pub fn has_row_totals(&self) -> bool {
        self.row_totals.is_some()
    }

    fn get(&self, pos: Pos) -> Cell {
        match pos {
            (Some(r), Some(c)) => self.cells[r][c],
            (Some(r), None) => self.row_totals.as_ref().expect("a row total")[r],
            (None, Some(c)) => self.col_totals[c],
            (None, None) => self.grand.expect("a grand total"),
        }
    }

    fn at(&mut self, pos: Pos) -> &mut Cell {
        match pos {
            (Some(r), Some(c)) => &mut self.cells[r][c],
            (Some(r), None) => &mut self.row_totals.as_mut().expect("a row total")[r],
            (None, Some(c)) => &mut self.col_totals[c],
            (None, None) => self.grand.as_mut().expect("a grand total"),
        }
    }

    /// Every line whose members add up to (or bound) its total: inner cells first, the total
    /// last.
    fn lines(&self) -> Vec<Vec<Pos>> {
        let (nr, nc) = (self.rows.len(), self.cols.len());
        let mut lines: Vec<Vec<Pos>> = (0..nc)
            .map(|c| (0..nr).map(|r| (Some(r), Some(c))).chain([(None, Some(c))]).collect())
            .collect();
        if self.row_totals.is_some() {
            for r in 0..nr {
                lines.push((0..nc).map(|c| (Some(r), Some(c))).chain([(Some(r), None)]).collect());
            }
            lines.push((0..nc).map(|c| (None, Some(c))).chain([(None, None)]).collect());
            lines.push((0..nr).map(|r| (Some(r), None)).chain([(None, None)]).collect());
        }
        lines
    }

    /// Complementary suppression until every line is safe (see [`Table::line_is_safe`]): the
    /// next thing hidden is the line's smallest visible cell, its total when none is left.
    pub fn protect(&mut self) {
        let lines = self.lines();
        loop {
            let mut changed = false;
            for line in &lines {
                if self.line_is_safe(line) {
                    continue;
                }
                let (inner, total) = line.split_at(line.len() - 1);
                let smallest = |cands: &[Pos], t: &Table| {
                    cands
                        .iter()
                        .copied()
                        .filter(|p| !t.get(*p).hidden)
                        .min_by_key(|p| t.get(*p).value)
                };
                if let Some(p) = smallest(inner, self).or_else(|| smallest(total, self)) {
                    self.at(p).hidden = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// A line (inner cells, then its total) is safe when what it shows gives away no hidden
    /// figure. With its total shown, the hidden cells' sum is the total minus the shown ones:
    /// there must be none, or at least two that together come from k people or more (their
    /// people added up). With its total hidden, a single hidden cell is still safe, but the
    /// total alone is not (it is the sum of the others).
    fn line_is_safe(&self, line: &[Pos]) -> bool {
        let (inner, total) = line.split_at(line.len() - 1);
        let hidden: Vec<Cell> = inner.iter().map(|p| self.get(*p)).filter(|c| c.hidden).collect();
        if self.get(total[0]).hidden {
            return !hidden.is_empty();
        }
        let people: i64 = hidden.iter().map(|c| c.people).sum();
        hidden.is_empty() || (hidden.len() >= 2 && people >= self.k)
    }

    /// Hides in both tables a row total (or the grand total) hidden in either, and protects
    /// both again, until they agree: for two figures that share their row totals (requests by
    /// category, and requests answered or not).
    pub fn share_row_totals(a: &mut Table, b: &mut Table) {
        loop {
            let mut changed = false;
            let positions: Vec<Pos> = (0..a.rows.len())
                .map(|r| (Some(r), None))
                .chain([(None, None)])
                .collect();
            for p in positions {
                let hidden = a.get(p).hidden || b.get(p).hidden;
                for t in [&mut *a, &mut *b] {
                    if hidden && !t.at(p).hidden {
                        t.at(p).hidden = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
            a.protect();
            b.protect();
        }
    }

    /// Every value shown, with the people it came from (for the tests' attacker).
    pub fn shown_with_people(&self) -> Vec<(i64, i64)> {
        let mut all: Vec<Cell> = self.cells.iter().flatten().copied().collect();
        all.extend(self.col_totals.iter().copied());
        all.extend(self.row_totals.iter().flatten().copied());
        all.extend(self.grand);
        all.into_iter()
            .filter(|c| !c.hidden)
            .map(|c| (c.value, c.people))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(area: Option<&str>, key: Option<&str>, value: i64, people: i64) -> CountRow {
        CountRow {
            area: area.map(Into::into),
            key: key.map(Into::into),
            value,
            people,
        }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// a: x 10/10, y 2/2 (small) → total 12; b: x 20, y 30 → total 50.
    fn example() -> Table {
        let counts = vec![
            row(Some("a"), Some("x"), 10, 10),
            row(Some("a"), Some("y"), 2, 2),
            row(Some("a"), None, 12, 12),
            row(Some("b"), Some("x"), 20, 20),
            row(Some("b"), Some("y"), 30, 30),
            row(Some("b"), None, 50, 50),
            row(None, Some("x"), 30, 30),
            row(None, Some("y"), 32, 32),
            row(None, None, 62, 62),
        ];
        Table::build(names(&["a", "b"]), names(&["x", "y"]), &counts, true, 5)
    }

    #[test]
    fn a_small_cell_takes_a_partner_in_its_row_and_its_column() {
        let t = example();
        assert_eq!(t.cell(0, 1).shown(), None, "2 people: hidden");
        // Row a: total 12 minus x would give y: x (the smallest other) is hidden too.
        assert_eq!(t.cell(0, 0).shown(), None);
        // Column y: 32 minus b's 30 would give a's 2: b's y is hidden, then column x and row b
        // each have one hidden cell, so b's x goes too.
        assert_eq!(t.cell(1, 1).shown(), None);
        assert_eq!(t.cell(1, 0).shown(), None);
        assert_eq!(t.row_total(0).unwrap().shown(), Some(12));
        assert_eq!(t.grand().unwrap().shown(), Some(62));
    }

    #[test]
    fn every_line_is_safe() {
        let t = example();
        for line in t.lines() {
            assert!(t.line_is_safe(&line), "{line:?}");
        }
    }

    #[test]
    fn hidden_cells_whose_sum_is_small_take_one_more() {
        // The total 11 minus the shown 10 would say that a and b together made 1.
        let counts = vec![
            row(Some("a"), Some("x"), 1, 1),
            row(Some("c"), Some("x"), 10, 10),
            row(None, Some("x"), 11, 11),
        ];
        let t = Table::build(names(&["a", "b", "c"]), names(&["x"]), &counts, false, 5);
        assert_eq!(t.cell(1, 0).shown(), None, "b made nothing: hidden too");
        assert_eq!(t.cell(2, 0).shown(), None, "c hidden with them");
        assert_eq!(t.col_total(0).shown(), Some(11));
    }

    #[test]
    fn seven_posts_from_two_people_are_hidden() {
        let counts = vec![row(Some("a"), Some("x"), 7, 2), row(None, Some("x"), 7, 2)];
        let t = Table::build(names(&["a"]), names(&["x"]), &counts, false, 5);
        assert_eq!(t.cell(0, 0).shown(), None);
        assert_eq!(t.col_total(0).shown(), None);
    }

    #[test]
    fn a_hidden_total_hides_a_cell_too() {
        // A total hidden whatever hid it (the digests' people are a lower bound, say).
        let counts = vec![
            row(Some("a"), Some("x"), 6, 6),
            row(Some("a"), Some("y"), 6, 6),
            row(Some("a"), None, 12, 4),
            row(None, Some("x"), 6, 6),
            row(None, Some("y"), 6, 6),
            row(None, None, 12, 4),
        ];
        let t = Table::build(names(&["a"]), names(&["x", "y"]), &counts, true, 5);
        assert_eq!(t.row_total(0).unwrap().shown(), None);
        assert!(t.cell(0, 0).shown().is_none() || t.cell(0, 1).shown().is_none());
    }

    #[test]
    fn shared_totals_agree() {
        let mut a = example();
        let counts = vec![
            row(Some("a"), Some("k"), 12, 12),
            row(Some("a"), None, 12, 3),
            row(Some("b"), Some("k"), 50, 50),
            row(Some("b"), None, 50, 50),
            row(None, Some("k"), 62, 62),
            row(None, None, 62, 53),
        ];
        let mut b = Table::build(names(&["a", "b"]), names(&["k"]), &counts, true, 5);
        Table::share_row_totals(&mut a, &mut b);
        assert_eq!(a.row_total(0).unwrap().shown(), None, "hidden in b, so hidden in a");
        assert_eq!(b.row_total(1).unwrap().shown(), a.row_total(1).unwrap().shown());
        for t in [&a, &b] {
            for line in t.lines() {
                assert!(t.line_is_safe(&line));
            }
        }
    }
}
