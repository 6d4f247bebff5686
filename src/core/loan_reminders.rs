//! Reminders of running loans, sent exactly once: the borrower the day(s) before the due date
//! and on it, then at growing intervals while it is overdue (up to a cap); the lender when it
//! becomes overdue. `Core::loans_once(now)` is a scheduler step: it locks the running loans it
//! looks at (`FOR UPDATE SKIP LOCKED`), and each reminder is a `loan_reminders` row (its
//! primary key is the once) written in the transaction that queues it, with a dedupe key too,
//! so a rerun, a restart or a second daemon sends nothing twice. A returned loan is not
//! running: nothing is sent after a return.

use chrono::{DateTime, NaiveDate, Utc};
use tracing::instrument;

use super::Core;
use super::loans::tell;
use crate::i18n::{Arg, format_dates};
use crate::store::deliveries::NewDelivery;
use crate::store::loans::{self, Loan, LoanEvent, LoanState};

/// Loans looked at per transaction.
const BATCH: i64 = 200;

/// How long loans last and when their reminders go (`[loans]` in the settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanPolicy {
    /// A loan's length when neither the command nor the posts give one.
    pub default_days: u32,
    /// The borrower is reminded this many days before the due date (0: only on the day).
    pub remind_before_days: u32,
    /// Days given by /prolonger when nobody says how many.
    pub extend_days: u32,
    /// The first overdue reminder, this many days after the due date; each next interval
    /// doubles, up to `overdue_cap_days`.
    pub overdue_first_days: u32,
    pub overdue_cap_days: u32,
    /// No more than this many overdue reminders.
    pub overdue_max: u32,
}

impl Default for LoanPolicy {
    fn default() -> Self {
        LoanPolicy {
            default_days: 14,
            remind_before_days: 1,
            extend_days: 7,
            overdue_first_days: 1,
            overdue_cap_days: 7,
            overdue_max: 5,
        }
    }
}

/// Which reminder the borrower is due on `today` (the latest one: a missed one is not sent
/// late), as its kind and sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    Before,
    Due,
    Overdue(u32),
}

impl Reminder {
    fn key(self) -> (&'static str, i32) {
        match self {
            Reminder::Before => ("before", 0),
            Reminder::Due => ("due", 0),
            Reminder::Overdue(n) => ("overdue", n as i32),
        }
    }
}

impl LoanPolicy {
    /// The days after the due date on which overdue reminders go: 1, 3, 7, 14, 21… with the
    /// defaults (intervals doubling up to the cap), `overdue_max` of them.
    pub fn overdue_days(&self) -> Vec<i64> {
        let (mut day, mut step) = (
            i64::from(self.overdue_first_days),
            i64::from(self.overdue_first_days.max(1)),
        );
        let mut out = Vec::new();
        for _ in 0..self.overdue_max {
            out.push(day);
            step = (step * 2).min(i64::from(self.overdue_cap_days.max(1)));
            day += step;
        }
        out
    }

    /// The reminder due on `today` for a loan due on `due_on`, if any.
    pub fn reminder(&self, today: NaiveDate, due_on: NaiveDate) -> Option<Reminder> {
        let left = (due_on - today).num_days();
        if left > 0 {
            return (left <= i64::from(self.remind_before_days)).then_some(Reminder::Before);
        }
        if left == 0 {
            return Some(Reminder::Due);
        }
        let late = -left;
        let n = self.overdue_days().iter().take_while(|d| **d <= late).count();
        (n > 0).then(|| Reminder::Overdue(n as u32 - 1))
    }
}

/// What a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoanRound {
    /// Reminders queued (borrowers and lenders).
    pub reminded: usize,
    /// Loans that became overdue.
    pub overdue: usize,
}

impl Core {
    /// Reminds about running loans and marks the overdue ones, as of `now` (the scheduler's
    /// clock; tests pass theirs).
    #[instrument(skip_all, fields(%now))]
    pub async fn loans_once(&self, now: DateTime<Utc>) -> anyhow::Result<LoanRound> {
        let mut out = LoanRound::default();
        // The latest local date anywhere is at most a day after UTC's.
        let until = now.date_naive() + chrono::Duration::days(i64::from(self.loans.remind_before_days) + 1);
        let mut after = 0;
        loop {
            // One transaction per batch, in id order: loans already reminded today do not
            // hold back the others.
            let mut tx = self.pool.begin().await?;
            let due = loans::due_for_update(&mut tx, until, after, BATCH).await?;
            let mut queue = Vec::new();
            for loan in &due {
                self.remind_loan(&mut tx, loan, now, &mut out, &mut queue).await?;
            }
            self.commit_queue(tx, &queue).await?;
            match due.last() {
                Some(last) if due.len() as i64 == BATCH => after = last.id,
                _ => return Ok(out),
            }
        }
    }

    async fn remind_loan(
        &self,
        tx: &mut crate::store::Tx<'_>,
        loan: &Loan,
        now: DateTime<Utc>,
        out: &mut LoanRound,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<()> {
        let today = now.with_timezone(&self.areas.timezone(&loan.area_slug)).date_naive();
        if loan.state == LoanState::Active
            && today > loan.due_on
            && let Some(t) = loan.state.apply(LoanEvent::FallDue)
            && loans::transition(tx, loan.id, t, now).await?
        {
            out.overdue += 1;
        }
        if today > loan.due_on && loans::record_reminder(tx, loan.id, loan.due_on, "lender-overdue", 0, now).await? {
            let to = loans::place(&mut **tx, loan.lender_id, loan.lender_message_id).await?;
            let text = self.loan_text(to.lang, "loan-overdue-lender", loan, &[]);
            queue.push(tell(
                self,
                &to,
                text,
                format!("loan-remind:{}:{}:lender", loan.id, loan.due_on),
            ));
            out.reminded += 1;
        }
        let Some(r) = self.loans.reminder(today, loan.due_on) else {
            return Ok(());
        };
        let (kind, seq) = r.key();
        if !loans::record_reminder(tx, loan.id, loan.due_on, kind, seq, now).await? {
            return Ok(());
        }
        let to = loans::place(&mut **tx, loan.borrower_id, loan.borrower_message_id).await?;
        let id = match r {
            Reminder::Before => "loan-reminder-before",
            Reminder::Due => "loan-reminder-due",
            Reminder::Overdue(_) => "loan-reminder-overdue",
        };
        let late = (today - loan.due_on).num_days();
        let text = self.loan_text(to.lang, id, loan, &[("late", Arg::from(late))]);
        let key = format!("loan-remind:{}:{}:{kind}:{seq}", loan.id, loan.due_on);
        queue.push(tell(self, &to, text, key));
        out.reminded += 1;
        Ok(())
    }

    /// A text about `loan` with its number, thing, people and due date, and `more`.
    pub(super) fn loan_text(&self, lang: crate::i18n::Lang, id: &str, loan: &Loan, more: &[(&str, Arg)]) -> String {
        let mut args = vec![
            ("loan", Arg::from(loan.id)),
            ("offer", Arg::from(loan.offer_id)),
            ("item", Arg::from(loan.item.as_str())),
            ("lender", Arg::from(loan.lender_name.as_str())),
            ("borrower", Arg::from(loan.borrower_name.as_str())),
            ("date", Arg::from(format_dates(lang, loan.due_on, loan.due_on))),
        ];
        args.extend(more.iter().map(|(k, v)| (*k, v.clone())));
        self.texts.get(lang, id, &args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    #[test]
    fn overdue_reminders_grow_up_to_the_cap() {
        let p = LoanPolicy::default();
        assert_eq!(p.overdue_days(), vec![1, 3, 7, 14, 21]);
        let due = day("2026-06-20");
        assert_eq!(p.reminder(day("2026-06-18"), due), None);
        assert_eq!(p.reminder(day("2026-06-19"), due), Some(Reminder::Before));
        assert_eq!(p.reminder(day("2026-06-20"), due), Some(Reminder::Due));
        assert_eq!(p.reminder(day("2026-06-21"), due), Some(Reminder::Overdue(0)));
        assert_eq!(p.reminder(day("2026-06-22"), due), Some(Reminder::Overdue(0)));
        assert_eq!(p.reminder(day("2026-06-23"), due), Some(Reminder::Overdue(1)));
        assert_eq!(p.reminder(day("2026-09-01"), due), Some(Reminder::Overdue(4)));
    }
}
