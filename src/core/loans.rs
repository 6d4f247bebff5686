//! Loans between neighbours (issue 16): "/emprunte 12" or "/prete 12 @Jeanne" proposes a loan
//! of offer 12's thing, the other person confirms (/accepte) or declines (/refuse), the
//! proposer may withdraw (/annule); once lent, /rendu (the lender's word closes it),
//! /prolonger, then /merci. A request for a thing already lent joins its waiting list, and the
//! next one waiting is told when it comes back. Every change of state goes through
//! `store::loans::LoanState::apply`; what the other person is told is queued in the ingest
//! transaction, where they hear (their chat, or their address by email) and in their language.
//! Reminders are core/loan_reminders.rs.

use chrono::{DateTime, NaiveDate, Utc};

use super::Core;
use super::command::Command;
use super::commands::Asker;
use super::model::{Address, ChannelKind, OutKind, Outgoing};
use crate::i18n::{Arg, Lang};
use crate::store::deliveries::NewDelivery;
use crate::store::loans::{self, Loan, LoanEvent, LoanState, NewLoan, Place};
use crate::store::{Tx, posts};

/// Loans listed by /prets.
const LIST_LIMIT: i64 = 10;

/// The loan commands' context: who asked, in which area, and when (their message's time, so
/// that tests hold the clock).
struct Ctx<'a> {
    core: &'a Core,
    who: Who,
    area: &'a str,
    now: DateTime<Utc>,
}

/// Who said a loan command: their member, language and message (0 for a button).
struct Who {
    member: i64,
    lang: Lang,
    message_id: i64,
    /// The posts of the message the command answers (the post, its copy, a match notice).
    replied: Vec<i64>,
}

impl Ctx<'_> {
    fn t(&self, id: &str, args: &[(&str, Arg)]) -> String {
        self.core.texts.get(self.who.lang, id, args)
    }

    fn today(&self) -> NaiveDate {
        self.now
            .with_timezone(&self.core.areas.timezone(self.area))
            .date_naive()
    }

    /// A key unique to this command and what it tells.
    fn key(&self, loan: i64, what: &str) -> String {
        match self.who.message_id {
            0 => format!("loan:{loan}:{what}:button"),
            m => format!("loan:{loan}:{what}:{m}"),
        }
    }
}

/// A message about a loan to `to`, where they hear (a reply to their message in a chat).
pub(super) fn tell(core: &Core, to: &Place, text: String, dedupe_key: String) -> NewDelivery {
    let mut msg = Outgoing::new(OutKind::Notice, text).in_lang(to.lang);
    if to.channel == ChannelKind::Email {
        msg.subject = Some(core.texts.get(to.lang, "email-loan-subject", &[]));
    } else {
        msg.reply_to = Some(to.native_id.clone());
    }
    NewDelivery {
        to: Address {
            channel: to.channel,
            target: to.target.clone(),
        },
        msg,
        dedupe_key,
        cause: Some(to.message_id),
    }
}

/// The answer to a loan command said in `area` (or the member's area in a direct chat); what
/// the other person is told goes into `queue`.
pub async fn respond(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    area: Option<&str>,
    cmd: &Command,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let Some(area) = area else {
        return Ok(core.texts.get(who.lang, "ask-postcode", &[]));
    };
    let replied = match &who.m.reply_to {
        Some(r) => posts::of_replied_message(&core.pool, who.m.channel.as_str(), &who.m.chat, r).await?,
        None => Vec::new(),
    };
    let c = Ctx {
        core,
        who: Who {
            member: who.member,
            lang: who.lang,
            message_id: who.message_id,
            replied,
        },
        area,
        now: who.m.sent_at,
    };
    match cmd {
        Command::Borrow { args } => borrow(&c, tx, args, queue).await,
        Command::Lend { args } => lend(&c, tx, args, queue).await,
        Command::Accept { number } => settle(&c, tx, number, LoanEvent::Confirm, queue).await,
        Command::Decline { number } => settle(&c, tx, number, LoanEvent::Decline, queue).await,
        Command::CancelLoan { number } => settle(&c, tx, number, LoanEvent::Cancel, queue).await,
        Command::Returned { number } => returned(&c, tx, number, queue).await,
        Command::Extend { args } => extend(&c, tx, args, queue).await,
        Command::Thanks { number } => thanks(&c, tx, number, queue).await,
        _ => list(&c).await,
    }
}

/// The numbers in a command's arguments ("12", "n°12", "14j"), and the name after "@".
fn read_args(args: &str) -> (Vec<i64>, Option<String>) {
    let mut numbers = Vec::new();
    let mut name = None;
    for w in args.split_whitespace() {
        if let Some(n) = w.strip_prefix('@') {
            name = Some(n.to_owned());
            continue;
        }
        let digits: String = w
            .trim_start_matches(['n', 'N', '°', '#'])
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(n) = digits.parse() {
            numbers.push(n);
        }
    }
    (numbers, name)
}

/// When the loan ends: the days asked, else the end of the request's or the offer's dates
/// when still to come, else the default length.
fn due_date(c: &Ctx<'_>, days: Option<i64>, dates: &[Option<NaiveDate>]) -> NaiveDate {
    let today = c.today();
    if let Some(d) = days.filter(|d| (1..=365).contains(d)) {
        return today + chrono::Duration::days(d);
    }
    dates
        .iter()
        .flatten()
        .copied()
        .find(|d| *d > today)
        .unwrap_or(today + chrono::Duration::days(i64::from(c.core.loans.default_days)))
}

/// `/emprunte N [JOURS]`: a proposal to the lender, or a place on the waiting list.
async fn borrow(c: &Ctx<'_>, tx: &mut Tx<'_>, args: &str, queue: &mut Vec<NewDelivery>) -> anyhow::Result<String> {
    let (mut numbers, _) = read_args(args);
    if numbers.is_empty() {
        // In reply to the offer (or its copy, or one's match notice): its number.
        let me = c.who.member;
        let found = loans::offers_of_posts(tx, &c.who.replied).await?;
        if let Some((offer, _, _)) = found.iter().find(|(_, author, _)| *author != me) {
            numbers.push(*offer);
        }
    }
    let Some(&offer_id) = numbers.first() else {
        return Ok(c.t("loan-borrow-usage", &[]));
    };
    let Some(offer) = loans::open_offer(tx, c.area, offer_id).await? else {
        return Ok(c.t("loan-offer-not-found", &[("offer", Arg::from(offer_id))]));
    };
    let me = c.who.member;
    if offer.member_id == me {
        return Ok(c.t("loan-own-offer", &[("offer", Arg::from(offer_id))]));
    }
    if let Some(open) = loans::open_of_offer(tx, offer_id).await? {
        if open.borrower_id == me {
            return Ok(c.core.loan_text(c.who.lang, "loan-already-yours", &open, &[]));
        }
        let place = loans::wait(tx, offer_id, me, c.who.message_id, c.now).await?;
        let id = if open.state.is_lent() {
            "loan-waiting-lent"
        } else {
            "loan-waiting"
        };
        return Ok(c.core.loan_text(c.who.lang, id, &open, &[("place", Arg::from(place))]));
    }
    let asked = loans::request_end(tx, offer_id, me).await?;
    let new = NewLoan {
        area: c.area,
        offer_id,
        lender_id: offer.member_id,
        borrower_id: me,
        lender_message_id: offer.message_id,
        borrower_message_id: c.who.message_id,
        proposed_by: "borrower",
        due_on: due_date(c, numbers.get(1).copied(), &[asked, offer.when_to]),
        now: c.now,
    };
    proposed(c, tx, new, queue).await
}

/// `/prete N [@Nom] [JOURS]`: a proposal to one of those whose request matched offer N.
async fn lend(c: &Ctx<'_>, tx: &mut Tx<'_>, args: &str, queue: &mut Vec<NewDelivery>) -> anyhow::Result<String> {
    let (mut numbers, name) = read_args(args);
    let mut to = None;
    if numbers.is_empty() {
        // In reply to a neighbour's request (or its copy, or one's match notice): one's offer
        // matched to it, lent to its author.
        let me = c.who.member;
        let found = loans::offers_of_posts(tx, &c.who.replied).await?;
        if let Some((offer, _, requester)) = found.iter().find(|(_, author, _)| *author == me) {
            numbers.push(*offer);
            to = *requester;
        }
    }
    let Some(&offer_id) = numbers.first() else {
        return Ok(c.t("loan-lend-usage", &[]));
    };
    let Some(offer) = loans::open_offer(tx, c.area, offer_id).await? else {
        return Ok(c.t("loan-offer-not-found", &[("offer", Arg::from(offer_id))]));
    };
    if offer.member_id != c.who.member {
        return Ok(c.t("loan-not-your-offer", &[("offer", Arg::from(offer_id))]));
    }
    if let Some(open) = loans::open_of_offer(tx, offer_id).await? {
        return Ok(c.core.loan_text(c.who.lang, "loan-offer-busy", &open, &[]));
    }
    let requesters = loans::requesters(tx, offer_id).await?;
    let named = |r: &&loans::Requester, n: &str| {
        r.name.eq_ignore_ascii_case(n)
            || r.name
                .split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(n))
    };
    let chosen: Vec<_> = match (&name, to) {
        (_, Some(m)) => requesters.iter().filter(|r| r.member_id == m).collect(),
        (Some(n), None) => requesters.iter().filter(|r| named(r, n)).collect(),
        (None, None) => requesters.iter().collect(),
    };
    let [r] = chosen.as_slice() else {
        let names: Vec<String> = requesters.iter().map(|r| format!("@{}", r.name)).collect();
        let args = [
            ("offer", Arg::from(offer_id)),
            ("count", Arg::from(names.len())),
            ("names", Arg::from(names.join(", "))),
        ];
        return Ok(c.t("loan-lend-who", &args));
    };
    let new = NewLoan {
        area: c.area,
        offer_id,
        lender_id: c.who.member,
        borrower_id: r.member_id,
        lender_message_id: c.who.message_id,
        borrower_message_id: r.message_id,
        proposed_by: "lender",
        due_on: due_date(c, numbers.get(1).copied(), &[r.when_to, offer.when_to]),
        now: c.now,
    };
    proposed(c, tx, new, queue).await
}

/// Records a proposal and asks the other person to confirm it.
async fn proposed(
    c: &Ctx<'_>,
    tx: &mut Tx<'_>,
    new: NewLoan<'_>,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let Some(id) = loans::propose(tx, new).await? else {
        return Ok(c.t("loan-offer-taken", &[("offer", Arg::from(new.offer_id))]));
    };
    let loan = loans::get_for_update(tx, id).await?.expect("the loan just proposed");
    let (other, text_id) = match new.proposed_by {
        "lender" => (
            loans::place(&mut **tx, loan.borrower_id, loan.borrower_message_id).await?,
            "loan-proposed-to-borrower",
        ),
        _ => (
            loans::place(&mut **tx, loan.lender_id, loan.lender_message_id).await?,
            "loan-proposed-to-lender",
        ),
    };
    let mut text = c.core.loan_text(other.lang, text_id, &loan, &[]);
    if other.channel == ChannelKind::Email {
        let args = [
            ("accept", Arg::from(c.core.loan_link_url('a', id))),
            ("decline", Arg::from(c.core.loan_link_url('d', id))),
        ];
        text = format!("{text}\n\n{}", c.core.texts.get(other.lang, "loan-email-links", &args));
    }
    let mut d = tell(c.core, &other, text, c.key(id, "proposed"));
    d.msg.choices = loan_buttons(c.core, other.lang, id);
    queue.push(d);
    Ok(c.core.loan_text(
        c.who.lang,
        "loan-proposal-sent",
        &loan,
        &[("other", Arg::from(other.name.as_str()))],
    ))
}

/// The loans of the asker in `states` where they play `role` ("lender", "borrower", or any),
/// and the one `number` names or, when none is named, the only one.
async fn pick(
    c: &Ctx<'_>,
    tx: &mut Tx<'_>,
    number: &str,
    states: &[LoanState],
    role: Option<Role>,
) -> anyhow::Result<Result<Loan, String>> {
    let me = c.who.member;
    let mine: Vec<Loan> = loans::of_member(&mut **tx, me, states, 50)
        .await?
        .into_iter()
        .filter(|l| role.is_none_or(|r| r.of(l, me)))
        .collect();
    let wanted = number.trim().parse::<i64>().ok();
    let found = match wanted {
        Some(n) => mine.into_iter().find(|l| l.id == n),
        None if mine.len() == 1 => mine.into_iter().next(),
        None if mine.is_empty() => None,
        None => {
            let numbers: Vec<String> = mine.iter().map(|l| format!("n°{} ({})", l.id, l.item)).collect();
            return Ok(Err(c.t("loan-which", &[("loans", Arg::from(numbers.join(", ")))])));
        }
    };
    match found {
        Some(l) => Ok(Ok(loans::get_for_update(tx, l.id).await?.expect("a loan just read"))),
        None => Ok(Err(c.t("loan-none", &[("loan", Arg::from(wanted.unwrap_or(0)))]))),
    }
}

/// Whom a command concerns in a loan.
#[derive(Clone, Copy)]
enum Role {
    Borrower,
    /// The one who did not propose it (who confirms or declines).
    Asked,
    /// The one who proposed it (who may withdraw it).
    Proposer,
}

impl Role {
    fn of(self, l: &Loan, me: i64) -> bool {
        let proposer = if l.proposed_by == "lender" {
            l.lender_id
        } else {
            l.borrower_id
        };
        match self {
            Role::Borrower => l.borrower_id == me,
            Role::Asked => proposer != me,
            Role::Proposer => proposer == me,
        }
    }
}

/// `/accepte`, `/refuse`, `/annule`: the fate of a proposal.
async fn settle(
    c: &Ctx<'_>,
    tx: &mut Tx<'_>,
    number: &str,
    event: LoanEvent,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let role = if event == LoanEvent::Cancel {
        Role::Proposer
    } else {
        Role::Asked
    };
    let loan = match pick(c, tx, number, &[LoanState::Proposed], Some(role)).await? {
        Ok(l) => l,
        Err(answer) => return Ok(answer),
    };
    let Some(t) = loan.state.apply(event) else {
        return Ok(c.t("loan-none", &[("loan", Arg::from(loan.id))]));
    };
    if !loans::transition(tx, loan.id, t, c.now).await? {
        return Ok(c.t("loan-none", &[("loan", Arg::from(loan.id))]));
    }
    let other = other_place(tx, &loan, c.who.member).await?;
    let (to_other, to_me) = match event {
        LoanEvent::Confirm => ("loan-active", "loan-active"),
        LoanEvent::Decline => ("loan-declined", "loan-declined-ok"),
        _ => ("loan-cancelled", "loan-cancelled-ok"),
    };
    let text = c.core.loan_text(other.lang, to_other, &loan, &[]);
    queue.push(tell(c.core, &other, text, c.key(loan.id, t.to().as_str())));
    if event != LoanEvent::Confirm {
        offer_free(c, tx, &loan, queue).await?;
    }
    Ok(c.core.loan_text(c.who.lang, to_me, &loan, &[]))
}

/// Where the other person of `loan` (not `me`) hears.
async fn other_place(tx: &mut Tx<'_>, loan: &Loan, me: i64) -> anyhow::Result<Place> {
    if loan.lender_id == me {
        loans::place(&mut **tx, loan.borrower_id, loan.borrower_message_id).await
    } else {
        loans::place(&mut **tx, loan.lender_id, loan.lender_message_id).await
    }
}

/// `/rendu`: the lender's word closes the loan; the borrower's asks the lender to confirm.
async fn returned(c: &Ctx<'_>, tx: &mut Tx<'_>, number: &str, queue: &mut Vec<NewDelivery>) -> anyhow::Result<String> {
    let lent = [LoanState::Active, LoanState::Overdue];
    let loan = match pick(c, tx, number, &lent, None).await? {
        Ok(l) => l,
        Err(answer) => return Ok(answer),
    };
    let other = other_place(tx, &loan, c.who.member).await?;
    if loan.borrower_id == c.who.member {
        if loans::claim_return(tx, loan.id, c.now).await? {
            let mut text = c.core.loan_text(other.lang, "loan-return-claimed", &loan, &[]);
            if other.channel == ChannelKind::Email {
                let link = Arg::from(c.core.loan_link_url('r', loan.id));
                let more = c
                    .core
                    .texts
                    .get(other.lang, "loan-email-returned-link", &[("link", link)]);
                text = format!("{text}\n\n{more}");
            }
            let mut d = tell(c.core, &other, text, c.key(loan.id, "claimed"));
            d.msg.choices = vec![super::model::Choice::Callback {
                label: c.core.texts.get(other.lang, "loan-button-returned", &[]),
                data: c.core.links.signer.sign_short(&format!("lr{}", loan.id)),
            }];
            queue.push(d);
        }
        return Ok(c.core.loan_text(c.who.lang, "loan-return-claimed-ok", &loan, &[]));
    }
    let Some(t) = loan.state.apply(LoanEvent::Return) else {
        return Ok(c.t("loan-none", &[("loan", Arg::from(loan.id))]));
    };
    if !loans::transition(tx, loan.id, t, c.now).await? {
        return Ok(c.t("loan-none", &[("loan", Arg::from(loan.id))]));
    }
    let text = c.core.loan_text(other.lang, "loan-returned-borrower", &loan, &[]);
    queue.push(tell(c.core, &other, text, c.key(loan.id, "returned")));
    offer_free(c, tx, &loan, queue).await?;
    Ok(c.core.loan_text(c.who.lang, "loan-returned-lender", &loan, &[]))
}

/// The offer of `loan` is free again: the next neighbour waiting for it and its lender are told.
async fn offer_free(c: &Ctx<'_>, tx: &mut Tx<'_>, loan: &Loan, queue: &mut Vec<NewDelivery>) -> anyhow::Result<()> {
    let Some((member, message)) = loans::next_waiter(tx, loan.offer_id, c.now).await? else {
        return Ok(());
    };
    let waiter = loans::place(&mut **tx, member, message).await?;
    let text = c.core.loan_text(waiter.lang, "loan-free-waiter", loan, &[]);
    queue.push(tell(c.core, &waiter, text, c.key(loan.id, "free-waiter")));
    let lender = loans::place(&mut **tx, loan.lender_id, loan.lender_message_id).await?;
    let args = [("waiter", Arg::from(waiter.name.as_str()))];
    let text = c.core.loan_text(lender.lang, "loan-free-lender", loan, &args);
    queue.push(tell(c.core, &lender, text, c.key(loan.id, "free-lender")));
    Ok(())
}

/// `/prolonger [P] [JOURS]`: the borrower asks, the lender gives.
async fn extend(c: &Ctx<'_>, tx: &mut Tx<'_>, args: &str, queue: &mut Vec<NewDelivery>) -> anyhow::Result<String> {
    let lent = [LoanState::Active, LoanState::Overdue];
    let (numbers, _) = read_args(args);
    let mine = loans::of_member(&mut **tx, c.who.member, &lent, 50).await?;
    // "/prolonger 7": a loan's number if it is one of theirs, else days.
    let (number, days) = match numbers.as_slice() {
        [n, d, ..] => (Some(*n), Some(*d)),
        [n] if mine.iter().any(|l| l.id == *n) => (Some(*n), None),
        [d] => (None, Some(*d)),
        [] => (None, None),
    };
    let number = number.map(|n| n.to_string()).unwrap_or_default();
    let loan = match pick(c, tx, &number, &lent, None).await? {
        Ok(l) => l,
        Err(answer) => return Ok(answer),
    };
    let days = days.filter(|d| (1..=365).contains(d));
    let other = other_place(tx, &loan, c.who.member).await?;
    if loan.borrower_id == c.who.member {
        let days = days.unwrap_or(i64::from(c.core.loans.extend_days)) as i32;
        loans::ask_extension(tx, loan.id, days).await?;
        let args = [("days", Arg::from(i64::from(days)))];
        let text = c.core.loan_text(other.lang, "loan-extension-asked", &loan, &args);
        queue.push(tell(c.core, &other, text, c.key(loan.id, "extension")));
        return Ok(c.core.loan_text(c.who.lang, "loan-extension-asked-ok", &loan, &args));
    }
    let days = days
        .or(loan.extension_asked.map(i64::from))
        .unwrap_or(i64::from(c.core.loans.extend_days));
    let due_on = loan.due_on.max(c.today()) + chrono::Duration::days(days);
    let Some(t) = loan.state.apply(LoanEvent::Extend { due_on }) else {
        return Ok(c.t("loan-none", &[("loan", Arg::from(loan.id))]));
    };
    loans::transition(tx, loan.id, t, c.now).await?;
    let mut loan = loan;
    loan.due_on = due_on;
    let text = c.core.loan_text(other.lang, "loan-extended", &loan, &[]);
    queue.push(tell(c.core, &other, text, c.key(loan.id, "extended")));
    Ok(c.core.loan_text(c.who.lang, "loan-extended", &loan, &[]))
}

/// `/merci [P]`: the borrower thanks the lender of a returned loan (once; a count, no rating).
async fn thanks(c: &Ctx<'_>, tx: &mut Tx<'_>, number: &str, queue: &mut Vec<NewDelivery>) -> anyhow::Result<String> {
    let loan = match pick(c, tx, number, &[LoanState::Returned], Some(Role::Borrower)).await? {
        Ok(l) => l,
        Err(answer) => return Ok(answer),
    };
    let Some(count) = loans::thank(tx, loan.id, c.now).await? else {
        return Ok(c.core.loan_text(c.who.lang, "loan-thanks-already", &loan, &[]));
    };
    let lender = loans::place(&mut **tx, loan.lender_id, loan.lender_message_id).await?;
    let args = [("count", Arg::from(count))];
    let text = c.core.loan_text(lender.lang, "loan-thanked", &loan, &args);
    queue.push(tell(c.core, &lender, text, c.key(loan.id, "thanks")));
    Ok(c.core.loan_text(c.who.lang, "loan-thanks-ok", &loan, &[]))
}

/// `/prets`: the asker's loans, lent and borrowed, with their state and dates.
async fn list(c: &Ctx<'_>) -> anyhow::Result<String> {
    let me = c.who.member;
    let rows = loans::of_member(&c.core.pool, me, &LoanState::ALL, LIST_LIMIT).await?;
    if rows.is_empty() {
        return Ok(c.t("loans-none", &[]));
    }
    let thanks = loans::thanks_of(&c.core.pool, me).await?;
    let mut out = vec![c.t(
        "loans-header",
        &[("count", Arg::from(rows.len())), ("thanks", Arg::from(thanks))],
    )];
    for l in &rows {
        let role = if l.lender_id == me { "lender" } else { "borrower" };
        let args = [("role", Arg::from(role)), ("state", Arg::from(l.state.as_str()))];
        out.push(c.core.loan_text(c.who.lang, "loans-line", l, &args));
    }
    Ok(out.join("\n"))
}

/// A new request that found no available offer, for a thing that is lent: its author joins
/// the waiting list of each lent thing that fits (in order of asking) and is told so, in reply.
pub async fn wait_for_lent(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    area: &str,
    item: &str,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<()> {
    for loan in loans::lent_fitting(tx, area, who.member, item).await? {
        let place = loans::wait(tx, loan.offer_id, who.member, who.message_id, who.m.sent_at).await?;
        let text = core.loan_text(who.lang, "loan-waiting-lent", &loan, &[("place", Arg::from(place))]);
        let mut msg = Outgoing::new(OutKind::Notice, text)
            .replying(Some(who.m.native_id.clone()))
            .in_lang(who.lang);
        msg.subject = who.m.re_subject();
        queue.push(NewDelivery {
            to: who.here.clone(),
            msg,
            dedupe_key: format!("loan-wait:{}:{}", loan.offer_id, who.message_id),
            cause: Some(who.message_id),
        });
    }
    Ok(())
}

impl Core {
    /// A Telegram button under a proposal (`la{loan}` confirms, `ld{loan}` declines), pressed
    /// by `member`: the same as /accepte or /refuse. None: not a loan button.
    pub(super) async fn loan_button(
        &self,
        tx: &mut Tx<'_>,
        payload: &str,
        member: i64,
        lang: Lang,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<Option<String>> {
        let Some(rest) = payload.strip_prefix('l') else {
            return Ok(None);
        };
        // `r`: the lender confirms a return the borrower announced.
        let event = match rest.chars().next() {
            Some('a') => Some(LoanEvent::Confirm),
            Some('d') => Some(LoanEvent::Decline),
            Some('r') => None,
            _ => return Ok(None),
        };
        let number = &rest[1..];
        let Some(loan) = loans::get_for_update(tx, number.parse().unwrap_or(0)).await? else {
            return Ok(None);
        };
        let c = Ctx {
            core: self,
            who: Who {
                member,
                lang,
                message_id: 0,
                replied: Vec::new(),
            },
            area: &loan.area_slug,
            now: Utc::now(),
        };
        Ok(Some(match event {
            Some(event) => settle(&c, tx, number, event, queue).await?,
            None => returned(&c, tx, number, queue).await?,
        }))
    }
}

impl Core {
    /// The link in an email proposal that confirms (`a`) or declines (`d`) loan `loan`, or
    /// confirms its return (`r`, to the lender): a page
    /// (GET shows, POST acts: mail scanners follow links) signed like the buttons.
    fn loan_link_url(&self, what: char, loan: i64) -> String {
        let token = self.links.signer.sign_short(&format!("l{what}{loan}"));
        format!("{}/email/loan?t={token}", self.links.public_url)
    }

    /// The loan a link names, and who it was sent to (the person asked to confirm) and their
    /// language. None: not a valid link.
    async fn loan_link(&self, token: &str) -> anyhow::Result<Option<(String, Loan, i64, Lang)>> {
        let Some(payload) = self.links.signer.verify_short(token) else {
            return Ok(None);
        };
        let number = ["la", "ld", "lr"].iter().find_map(|p| payload.strip_prefix(p));
        let Some(number) = number else {
            return Ok(None);
        };
        let mut tx = self.pool.begin().await?;
        let Some(loan) = loans::get_for_update(&mut tx, number.parse().unwrap_or(0)).await? else {
            return Ok(None);
        };
        // Sent to the person asked to confirm the proposal, or to the lender about a return.
        let asked = match (payload.starts_with("lr"), loan.proposed_by.as_str()) {
            (false, "lender") => loan.borrower_id,
            _ => loan.lender_id,
        };
        let lang = crate::store::members::lang(&mut tx, asked).await?;
        tx.rollback().await?;
        Ok(Some((payload, loan, asked, lang)))
    }

    /// What the page of a loan link says (GET): its language, the question and the button.
    pub async fn loan_link_page(&self, token: &str) -> anyhow::Result<Option<(Lang, String, String)>> {
        let Some((payload, loan, _, lang)) = self.loan_link(token).await? else {
            return Ok(None);
        };
        let (question, button) = match &payload[..2] {
            "la" => ("loan-link-accept", "loan-button-accept"),
            "ld" => ("loan-link-decline", "loan-button-decline"),
            _ => ("loan-link-returned", "loan-button-returned"),
        };
        let text = self.loan_text(lang, question, &loan, &[]);
        Ok(Some((lang, text, self.texts.get(lang, button, &[]))))
    }

    /// Following a loan link (POST): the same as /accepte or /refuse by the person asked.
    pub async fn loan_link_post(&self, token: &str) -> anyhow::Result<Option<(Lang, String)>> {
        let Some((payload, _, member, lang)) = self.loan_link(token).await? else {
            return Ok(None);
        };
        let mut tx = self.pool.begin().await?;
        let mut queue = Vec::new();
        let text = self.loan_button(&mut tx, &payload, member, lang, &mut queue).await?;
        self.commit_queue(tx, &queue).await?;
        Ok(text.map(|t| (lang, t)))
    }
}

/// Telegram buttons under a proposal: confirm or decline (signed `l{a|d}{loan}` tokens read
/// by `Core::answer_button`).
fn loan_buttons(core: &Core, lang: Lang, loan: i64) -> Vec<super::model::Choice> {
    let button = |what: &str, id: &str| super::model::Choice::Callback {
        label: core.texts.get(lang, id, &[]),
        data: core.links.signer.sign_short(&format!("l{what}{loan}")),
    };
    vec![button("a", "loan-button-accept"), button("d", "loan-button-decline")]
}
