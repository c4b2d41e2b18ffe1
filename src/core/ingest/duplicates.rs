//! What the duplicate rule remembers. A duplicate repeats every field of a kept line, so it
//! shares that line's invoice (its purchase day, in a file without an invoice column). Exports
//! write an invoice's lines together, so a large file only needs the lines of the invoice being
//! read: memory then grows with the longest invoice instead of with the file.
//!
//! Exact at every size. The first [`WHOLE_FILE_LINES`] kept lines are all remembered; from the
//! first run that starts past them, while every invoice so far has come as one contiguous run,
//! only the current run's lines are.
//! An invoice that comes back after its run ended (two overlapping exports concatenated, a file
//! sorted by customer) turns following runs off: before the switch, every line stays
//! remembered; after it, the file has to be read again remembering every line
//! ([`Seen::ReadAgain`]).

use std::collections::HashSet;

use foldhash::quality::FixedState;

/// Kept lines that are always all remembered: 1M fingerprints, about 16 MB. Every file up to
/// it (the UCI sheets hold about half a million lines each) is read once whatever its order;
/// past it a set of every line costs memory and, at each insert, a cache miss.
pub const WHOLE_FILE_LINES: usize = 1 << 20;

/// A run's line set keeps its memory between runs up to this capacity; a larger one (a huge
/// invoice) is freed, since clearing costs its whole capacity at every following run.
const REUSED_RUN_CAPACITY: usize = 1 << 10;

/// The run a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// An invoice's fingerprint, and whether this is the first of its lines the rule sees (the
    /// reader's own invoice map knows, so the runs need no set of their own).
    Invoice { key: u64, first_line: bool },
    /// A purchase day, in a file without invoices.
    Day(u64),
}

/// The verdict on one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    New,
    Duplicate,
    /// Its invoice came back after its run ended and earlier runs were forgotten: the answer
    /// is unknown, and the file must be read again with [`DuplicateLines::whole_file`].
    ReadAgain,
}

/// The fingerprints the duplicate rule compares a line with.
pub struct DuplicateLines {
    /// Every kept line, while all are remembered; the run's set is empty meanwhile.
    every_line: Option<HashSet<u64, FixedState>>,
    /// While invoices have come in contiguous runs.
    runs: Option<Runs>,
    /// Past this many kept lines, contiguous runs let `every_line` go.
    whole_file_lines: usize,
}

struct Runs {
    current: Option<u64>,
    /// The current run's lines.
    lines: HashSet<u64, FixedState>,
    /// Every day run so far (invoice runs say themselves whether they are new).
    started_days: HashSet<u64, FixedState>,
}

impl DuplicateLines {
    /// Remembers every line up to `whole_file_lines`, then only the current run's while runs
    /// stay contiguous.
    pub fn following_runs(whole_file_lines: usize) -> Self {
        DuplicateLines {
            every_line: Some(HashSet::default()),
            runs: Some(Runs {
                current: None,
                lines: HashSet::default(),
                started_days: HashSet::default(),
            }),
            whole_file_lines,
        }
    }

    /// Remembers every line (an aggregated table; a file read again).
    pub fn whole_file() -> Self {
        DuplicateLines {
            every_line: Some(HashSet::default()),
            runs: None,
            whole_file_lines: usize::MAX,
        }
    }

    /// Records a kept line: `run` is its invoice or day, `line` the whole line's fingerprint.
    pub fn see(&mut self, run: Run, line: u64) -> Seen {
        let key = match run {
            Run::Invoice { key, .. } | Run::Day(key) => key,
        };
        if let Some(runs) = &mut self.runs
            && runs.current != Some(key)
        {
            let new_run = match run {
                Run::Invoice { first_line, .. } => first_line,
                Run::Day(day) => runs.started_days.insert(day),
            };
            if new_run {
                runs.current = Some(key);
                // Past the limit, a new run is where every earlier line can be forgotten.
                if self
                    .every_line
                    .as_ref()
                    .is_some_and(|every_line| every_line.len() >= self.whole_file_lines)
                {
                    self.every_line = None;
                }
                if runs.lines.capacity() > REUSED_RUN_CAPACITY {
                    runs.lines = HashSet::default();
                } else {
                    runs.lines.clear();
                }
            } else {
                self.runs = None;
            }
        }
        // While every line is remembered, the run's own set stays empty: one insert a line.
        let new = match (&mut self.every_line, &mut self.runs) {
            (Some(every_line), _) => every_line.insert(line),
            (None, Some(runs)) => runs.lines.insert(line),
            // A run came back after earlier runs were forgotten: nothing more can be told.
            (None, None) => return Seen::ReadAgain,
        };
        if new { Seen::New } else { Seen::Duplicate }
    }

    /// How many line fingerprints are held now.
    #[cfg(test)]
    fn lines_held(&self) -> usize {
        self.every_line
            .as_ref()
            .or(self.runs.as_ref().map(|runs| &runs.lines))
            .map_or(0, HashSet::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_runs_past_the_limit_keep_only_the_current_run() {
        let mut lines = DuplicateLines::following_runs(4);
        for run in 0..100_u64 {
            for line in 0..3_u64 {
                assert_eq!(lines.see(Run::Day(run), run * 10 + line), Seen::New);
            }
            assert_eq!(lines.see(Run::Day(run), run * 10), Seen::Duplicate);
        }
        assert_eq!(lines.lines_held(), 3);
    }

    #[test]
    fn a_run_that_comes_back_before_the_limit_keeps_every_line() {
        let mut lines = DuplicateLines::following_runs(100);
        assert_eq!(lines.see(Run::Day(1), 10), Seen::New);
        assert_eq!(lines.see(Run::Day(2), 20), Seen::New);
        assert_eq!(lines.see(Run::Day(1), 10), Seen::Duplicate);
        for line in 0..200 {
            assert_eq!(lines.see(Run::Day(3), 100 + line), Seen::New);
        }
        assert_eq!(lines.see(Run::Day(2), 20), Seen::Duplicate);
        assert_eq!(lines.lines_held(), 202);
    }

    #[test]
    fn a_run_that_comes_back_past_the_limit_asks_to_read_again() {
        let mut lines = DuplicateLines::following_runs(2);
        assert_eq!(lines.see(Run::Day(1), 10), Seen::New);
        assert_eq!(lines.see(Run::Day(2), 20), Seen::New);
        assert_eq!(lines.see(Run::Day(3), 30), Seen::New);
        assert_eq!(lines.see(Run::Day(1), 11), Seen::ReadAgain);
    }

    #[test]
    fn an_invoice_back_after_its_run_is_told_by_its_first_line_flag() {
        let mut lines = DuplicateLines::following_runs(2);
        let invoice = |key, first_line| Run::Invoice { key, first_line };
        assert_eq!(lines.see(invoice(1, true), 10), Seen::New);
        assert_eq!(lines.see(invoice(1, false), 11), Seen::New);
        assert_eq!(lines.see(invoice(2, true), 20), Seen::New);
        assert_eq!(lines.see(invoice(3, true), 30), Seen::New);
        assert_eq!(lines.see(invoice(3, false), 30), Seen::Duplicate);
        assert_eq!(lines.see(invoice(1, false), 12), Seen::ReadAgain);
    }
}
