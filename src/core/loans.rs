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
use super::command::{Command, typed_on};
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

/// Who said a loan command: their member, language and message (for a button, the message
/// they hear about the loan by: their post, or 0 when the loan exists already).
struct Who {
    member: i64,
    lang: Lang,
    message_id: i64,
    /// The posts of the message the command answers (the post, its copy, a match notice).
    replied: Vec<i64>,
    /// Pressed a button or followed a link: the answer is no message one can reply to.
    button: bool,
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
        match (self.who.button, self.who.message_id) {
            (true, _) | (_, 0) => format!("loan:{loan}:{what}:button"),
            (false, m) => format!("loan:{loan}:{what}:{m}"),
        }
    }

    /// The area's school-holiday zone, for the dates people answer with.
    fn zone(&self) -> crate::parse::HolidayZone {
        self.core
            .areas
            .get(self.area)
            .map(|a| a.holiday_zone)
            .unwrap_or_default()
    }
}

/// A message about a loan to `to`, where they hear (a reply to their message in a chat).
pub(super) fn tell(core: &Core, to: &Place, text: String, dedupe_key: String) -> NewDelivery {
    let mut msg = Outgoing::new(OutKind::Notice, typed_on(to.channel, &text)).in_lang(to.lang);
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
            button: false,
        },
        area,
        now: who.m.sent_at,
    };
    let answer = match cmd {
        Command::Borrow { args } => borrow(&c, tx, args, queue).await,
        Command::Lend { args } => lend(&c, tx, args, queue).await,
        Command::Accept { number } => settle(&c, tx, number, LoanEvent::Confirm, queue).await,
        Command::Decline { number } => settle(&c, tx, number, LoanEvent::Decline, queue).await,
        Command::CancelLoan { number } => settle(&c, tx, number, LoanEvent::Cancel, queue).await,
        Command::Returned { number } => returned(&c, tx, number, queue).await,
        Command::Extend { args } => extend(&c, tx, args, queue).await,
        Command::Thanks { number } => thanks(&c, tx, number, queue).await,
        Command::LoanUntil { loan, text } => until_answer(&c, tx, *loan, text, queue).await,
        _ => list(&c).await,
    }?;
    Ok(typed_on(who.m.channel, &answer))
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

/// Until when a command says the loan runs ("/emprunte 12 7", "/emprunte 12 dimanche",
/// "/prete 12 @Jeanne 3 jours"): its words after the offer's number (when `numbered`, the first
/// number is the offer's) and the name, as a number of days or a date or length as
/// `parse::quantity::until` reads them.
fn until_of(c: &Ctx<'_>, args: &str, numbered: bool) -> Option<NaiveDate> {
    let mut words: Vec<&str> = args.split_whitespace().filter(|w| !w.starts_with('@')).collect();
    let is_number = |w: &&str| {
        w.trim_start_matches(['n', 'N', '°', '#'])
            .starts_with(|ch: char| ch.is_ascii_digit())
    };
    if numbered && let Some(i) = words.iter().position(is_number) {
        words.remove(i);
    }
    let rest = words.join(" ");
    let today = c.today();
    if let Ok(days) = rest.trim().parse::<i64>() {
        return (1..=365).contains(&days).then(|| today + chrono::Duration::days(days));
    }
    crate::parse::quantity::until(&rest, today, c.zone())
}

/// When the loan ends, and whether its proposer is asked "jusqu'à quand ?": the day the
/// command gives, else the end of the request's or the offer's dates when still to come, else
/// the default length, and the proposer's answer may change it.
fn due_date(c: &Ctx<'_>, said: Option<NaiveDate>, dates: &[Option<NaiveDate>]) -> (NaiveDate, bool) {
    let today = c.today();
    if let Some(d) = said {
        return (d, false);
    }
    match dates.iter().flatten().copied().find(|d| *d > today) {
        Some(d) => (d, false),
        None => (
            today + chrono::Duration::days(i64::from(c.core.loans.default_days)),
            true,
        ),
    }
}

/// `/emprunte N [JOURS | DATE]`: a proposal to the lender, or a place on the waiting list.
async fn borrow(c: &Ctx<'_>, tx: &mut Tx<'_>, args: &str, queue: &mut Vec<NewDelivery>) -> anyhow::Result<String> {
    let (mut numbers, _) = read_args(args);
    let numbered = !numbers.is_empty();
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
    let until = until_of(c, args, numbered);
    borrow_offer(c, tx, offer_id, until, queue).await
}

/// The asker borrows offer `offer_id` until `until` (None: the posts' dates or the default):
/// a proposal when a copy is free, else a place on its waiting list.
async fn borrow_offer(
    c: &Ctx<'_>,
    tx: &mut Tx<'_>,
    offer_id: i64,
    until: Option<NaiveDate>,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let Some(offer) = loans::open_offer(tx, c.area, offer_id).await? else {
        return Ok(c.t("loan-offer-not-found", &[("offer", Arg::from(offer_id))]));
    };
    let me = c.who.member;
    if offer.member_id == me {
        return Ok(c.t("loan-own-offer", &[("offer", Arg::from(offer_id))]));
    }
    let open = loans::open_of_offer(tx, offer_id).await?;
    if let Some(mine) = open.iter().find(|l| l.borrower_id == me) {
        return Ok(c.core.loan_text(c.who.lang, "loan-already-yours", mine, &[]));
    }
    if open.len() as i64 >= i64::from(offer.copies) {
        let place = loans::wait(tx, offer_id, me, c.who.message_id, c.now).await?;
        // Every copy taken: the one that comes back first, or one only promised.
        let (id, loan) = match open.iter().find(|l| !l.state.is_lent()) {
            Some(promised) => ("loan-waiting", promised),
            None => ("loan-waiting-lent", &open[0]),
        };
        return Ok(c.core.loan_text(c.who.lang, id, loan, &[("place", Arg::from(place))]));
    }
    let asked = loans::request_end(tx, offer_id, me).await?;
    let (due_on, due_asked) = due_date(c, until, &[asked, offer.when_to]);
    let new = NewLoan {
        area: c.area,
        offer_id,
        lender_id: offer.member_id,
        borrower_id: me,
        lender_message_id: offer.message_id,
        borrower_message_id: c.who.message_id,
        proposed_by: "borrower",
        due_on,
        due_asked,
        now: c.now,
    };
    proposed(c, tx, new, queue).await
}

/// `/prete N [@Nom] [JOURS | DATE]`: a proposal to one of those whose request matched offer N.
async fn lend(c: &Ctx<'_>, tx: &mut Tx<'_>, args: &str, queue: &mut Vec<NewDelivery>) -> anyhow::Result<String> {
    let (mut numbers, name) = read_args(args);
    let numbered = !numbers.is_empty();
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
    let until = until_of(c, args, numbered);
    lend_offer(c, tx, offer_id, (name.as_deref(), to), until, queue).await
}

/// The asker lends offer `offer_id` to the requester `to` names (a name, or a member), or to
/// the only one whose request matched it.
async fn lend_offer(
    c: &Ctx<'_>,
    tx: &mut Tx<'_>,
    offer_id: i64,
    to: (Option<&str>, Option<i64>),
    until: Option<NaiveDate>,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let Some(offer) = loans::open_offer(tx, c.area, offer_id).await? else {
        return Ok(c.t("loan-offer-not-found", &[("offer", Arg::from(offer_id))]));
    };
    if offer.member_id != c.who.member {
        return Ok(c.t("loan-not-your-offer", &[("offer", Arg::from(offer_id))]));
    }
    let open = loans::open_of_offer(tx, offer_id).await?;
    if open.len() as i64 >= i64::from(offer.copies) {
        return Ok(c.core.loan_text(c.who.lang, "loan-offer-busy", &open[0], &[]));
    }
    // Those who already have a copy (or its proposal) are not asked again.
    let mut requesters = loans::requesters(tx, offer_id).await?;
    requesters.retain(|r| !open.iter().any(|l| l.borrower_id == r.member_id));
    let named = |r: &&loans::Requester, n: &str| {
        r.name.eq_ignore_ascii_case(n)
            || r.name
                .split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(n))
    };
    let chosen: Vec<_> = match to {
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
    let (due_on, due_asked) = due_date(c, until, &[r.when_to, offer.when_to]);
    let new = NewLoan {
        area: c.area,
        offer_id,
        lender_id: c.who.member,
        borrower_id: r.member_id,
        lender_message_id: c.who.message_id,
        borrower_message_id: r.message_id,
        proposed_by: "lender",
        due_on,
        due_asked,
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
    let sent = c.core.loan_text(
        c.who.lang,
        "loan-proposal-sent",
        &loan,
        &[("other", Arg::from(other.name.as_str()))],
    );
    if !new.due_asked {
        return Ok(sent);
    }
    // Nothing said until when: the proposer is asked, in the answer (a reply to it answers)
    // or, after a button, in a message of its own about their post.
    let days = [("days", Arg::from(i64::from(c.core.loans.default_days)))];
    let question = c.core.loan_text(c.who.lang, "loan-due-question", &loan, &days);
    if !c.who.button {
        return Ok(format!("{sent}\n{question}"));
    }
    let me = loans::place(&mut **tx, c.who.member, c.who.message_id).await?;
    queue.push(tell(c.core, &me, question, c.key(id, "due-question")));
    Ok(sent)
}

/// Reads a bare answer to "jusqu'à quand ?": a message in reply to the bot's answer to a
/// proposal (or to the question itself) whose proposer is still asked, that reads as a date
/// or a length ("dimanche", "le 12", "3 jours"). None for anything else (an ordinary message).
pub async fn bare_until(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>) -> anyhow::Result<Option<Command>> {
    let m = who.m;
    let Some(r) = &m.reply_to else { return Ok(None) };
    let text = m.text.trim();
    // An answer is short; a long message in reply is a conversation, not a date. Read before
    // the database is asked: most replies are no date.
    let area = who.area.as_deref().unwrap_or_default();
    let zone = core.areas.get(area).map(|a| a.holiday_zone).unwrap_or_default();
    let today = m.sent_at.with_timezone(&core.areas.timezone(area)).date_naive();
    if text.chars().count() > 40 || crate::parse::quantity::until(text, today, zone).is_none() {
        return Ok(None);
    }
    let Some((_, _, _, message)) = crate::store::messages::replied_original(tx, m.channel, &m.chat, r).await? else {
        return Ok(None);
    };
    let found = loans::asked_due_of(tx, who.member, message).await?;
    Ok(found.map(|loan| Command::LoanUntil {
        loan: loan.id,
        text: text.to_owned(),
    }))
}

/// The proposer's answer to "jusqu'à quand ?": the loan's new due date, told to the other.
async fn until_answer(
    c: &Ctx<'_>,
    tx: &mut Tx<'_>,
    id: i64,
    text: &str,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let Some(mut loan) = loans::get_for_update(tx, id).await? else {
        return Ok(c.t("loan-none", &[("loan", Arg::from(id))]));
    };
    let Some(due_on) = crate::parse::quantity::until(text, c.today(), c.zone()) else {
        return Ok(c.core.loan_text(c.who.lang, "loan-due-unread", &loan, &[]));
    };
    if !loans::set_asked_due(tx, id, due_on).await? {
        return Ok(c.core.loan_text(c.who.lang, "loan-due-closed", &loan, &[]));
    }
    loan.due_on = due_on;
    let other = other_place(tx, &loan, c.who.member).await?;
    let text = c.core.loan_text(other.lang, "loan-due-set", &loan, &[]);
    queue.push(tell(c.core, &other, text, c.key(id, "due-set")));
    Ok(c.core.loan_text(c.who.lang, "loan-due-set", &loan, &[]))
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
    loans::renew_offer(tx, loan.offer_id, c.now).await?;
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
    /// A Telegram button under a proposal (`la{loan}` confirms, `ld{loan}` declines, `lr{loan}`
    /// confirms a return) or under a match notice (`lb{offer}-{borrower}` borrows,
    /// `lp{offer}-{borrower}` lends), pressed by `member`: the same as /accepte, /refuse,
    /// /rendu, /emprunte or /prete. None: not a loan button.
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
        let mut chars = rest.chars();
        let what = chars.next();
        if let Some(kind @ ('b' | 'p')) = what {
            return self.match_button(tx, kind, chars.as_str(), member, lang, queue).await;
        }
        // `r`: the lender confirms a return the borrower announced.
        let event = match what {
            Some('a') => Some(LoanEvent::Confirm),
            Some('d') => Some(LoanEvent::Decline),
            Some('r') => None,
            _ => return Ok(None),
        };
        let number = chars.as_str();
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
                button: true,
            },
            area: &loan.area_slug,
            now: Utc::now(),
        };
        Ok(Some(match event {
            Some(event) => settle(&c, tx, number, event, queue).await?,
            None => returned(&c, tx, number, queue).await?,
        }))
    }

    /// A match notice's button or link: `b` the requester borrows offer `{offer}-{borrower}`,
    /// `p` its author lends it to them; pressed by `member`, who must be that person. The
    /// loan is told about by their post's message, as if they had answered there.
    async fn match_button(
        &self,
        tx: &mut Tx<'_>,
        kind: char,
        rest: &str,
        member: i64,
        lang: Lang,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<Option<String>> {
        let Some((offer, borrower)) = rest.split_once('-') else {
            return Ok(None);
        };
        let (Ok(offer), Ok(borrower)) = (offer.parse::<i64>(), borrower.parse::<i64>()) else {
            return Ok(None);
        };
        let Some((area, lender, offer_message)) = loans::offer_place(tx, offer).await? else {
            return Ok(Some(self.texts.get(
                lang,
                "loan-offer-not-found",
                &[("offer", Arg::from(offer))],
            )));
        };
        let acting = if kind == 'b' { borrower } else { lender };
        if member != acting {
            return Ok(Some(self.texts.get(lang, "loan-button-not-yours", &[])));
        }
        // Where they hear: their request matched to the offer, or the offer.
        let message_id = match kind {
            'b' => loans::requesters(tx, offer)
                .await?
                .into_iter()
                .find(|r| r.member_id == borrower)
                .map(|r| r.message_id),
            _ => Some(offer_message),
        };
        let Some(message_id) = message_id else {
            return Ok(Some(self.texts.get(
                lang,
                "loan-offer-not-found",
                &[("offer", Arg::from(offer))],
            )));
        };
        let c = Ctx {
            core: self,
            who: Who {
                member,
                lang,
                message_id,
                replied: Vec::new(),
                button: true,
            },
            area: &area,
            now: Utc::now(),
        };
        Ok(Some(match kind {
            'b' => borrow_offer(&c, tx, offer, None, queue).await?,
            _ => lend_offer(&c, tx, offer, (None, Some(borrower)), None, queue).await?,
        }))
    }

    /// The loan buttons of a match notice to `to` (in `lang`) about offer `offer` and the
    /// request of `borrower` (named `name`): "📦 Emprunter" for the requester, "📦 Prêter à
    /// Jeanne" for the offer's author (both in a room they share). By email they are signed
    /// links in the text, whose page asks and whose button acts (as for a proposal).
    pub(super) fn match_loan_offer(&self, msg: &mut Outgoing, to: ChannelKind, lang: Lang, m: MatchLoan<'_>) {
        let mut choices = Vec::new();
        let mut links = Vec::new();
        let mut add = |kind: char, label: String, text_id: &str| {
            let payload = format!("l{kind}{}-{}", m.offer, m.borrower);
            links.push(
                self.texts
                    .get(lang, text_id, &[("link", Arg::from(self.loan_payload_url(&payload)))]),
            );
            choices.push(super::model::Choice::Callback {
                label,
                data: self.links.signer.sign_short(&payload),
            });
        };
        if m.to_borrower {
            add(
                'b',
                self.texts.get(lang, "loan-button-borrow", &[]),
                "loan-email-borrow-link",
            );
        }
        if m.to_lender {
            let name = [("name", Arg::from(m.name))];
            add(
                'p',
                self.texts.get(lang, "loan-button-lend", &name),
                "loan-email-lend-link",
            );
        }
        match to {
            ChannelKind::Email => msg.text = format!("{}\n\n{}", msg.text, links.join("\n")),
            ChannelKind::Telegram => msg.choices = choices,
            _ => {}
        }
        msg.text = typed_on(to, &msg.text);
    }
}

/// What a match notice offers to start a loan of (see `Core::match_loan_offer`).
#[derive(Clone, Copy)]
pub(super) struct MatchLoan<'a> {
    pub offer: i64,
    pub borrower: i64,
    /// The requester's name (the lender's button says it).
    pub name: &'a str,
    /// Who reads the notice: the requester, the offer's author, or both (a shared room).
    pub to_borrower: bool,
    pub to_lender: bool,
}

impl Core {
    /// The link in an email proposal that confirms (`a`) or declines (`d`) loan `loan`, or
    /// confirms its return (`r`, to the lender): a page
    /// (GET shows, POST acts: mail scanners follow links) signed like the buttons.
    fn loan_link_url(&self, what: char, loan: i64) -> String {
        self.loan_payload_url(&format!("l{what}{loan}"))
    }

    /// The page of a signed loan payload (`/email/loan?t=…`).
    fn loan_payload_url(&self, payload: &str) -> String {
        let token = self.links.signer.sign_short(payload);
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

    /// A match notice's link (`lb…`, `lp…`): the payload, the person it was sent to (who acts),
    /// their language, and the offer's item, author and the requester's name.
    async fn match_link(&self, token: &str) -> anyhow::Result<Option<(String, i64, Lang, Vec<(&'static str, Arg)>)>> {
        let Some(payload) = self.links.signer.verify_short(token) else {
            return Ok(None);
        };
        let Some(rest) = payload.strip_prefix("lb").or_else(|| payload.strip_prefix("lp")) else {
            return Ok(None);
        };
        let Some((Ok(offer), Ok(borrower))) = rest.split_once('-').map(|(a, b)| (a.parse::<i64>(), b.parse::<i64>()))
        else {
            return Ok(None);
        };
        let mut tx = self.pool.begin().await?;
        let Some((item, lender, lender_name, borrower_name)) = loans::offer_names(&mut tx, offer, borrower).await?
        else {
            return Ok(None);
        };
        let acting = if payload.starts_with("lb") { borrower } else { lender };
        let lang = crate::store::members::lang(&mut tx, acting).await?;
        tx.rollback().await?;
        let args = vec![
            ("offer", Arg::from(offer)),
            ("item", Arg::from(item)),
            ("lender", Arg::from(lender_name)),
            ("borrower", Arg::from(borrower_name)),
        ];
        Ok(Some((payload, acting, lang, args)))
    }

    /// What the page of a loan link says (GET): its language, the question and the button.
    pub async fn loan_link_page(&self, token: &str) -> anyhow::Result<Option<(Lang, String, String)>> {
        if let Some((payload, _, lang, args)) = self.match_link(token).await? {
            let (question, button) = match &payload[..2] {
                "lb" => ("loan-link-borrow", "loan-button-borrow"),
                _ => ("loan-link-lend", "loan-link-lend-button"),
            };
            let text = self.texts.get(lang, question, &args);
            return Ok(Some((lang, text, self.texts.get(lang, button, &[]))));
        }
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

    /// Following a loan link (POST): the same as /accepte, /refuse, /rendu, /emprunte or
    /// /prete by the person the link was sent to.
    pub async fn loan_link_post(&self, token: &str) -> anyhow::Result<Option<(Lang, String)>> {
        let found = match self.match_link(token).await? {
            Some((payload, member, lang, _)) => Some((payload, member, lang)),
            None => self
                .loan_link(token)
                .await?
                .map(|(p, _, member, lang)| (p, member, lang)),
        };
        let Some((payload, member, lang)) = found else {
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
