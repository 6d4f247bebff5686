//! Municipal polls (issue 18): one question asked in the rooms of chosen areas (a native
//! Telegram poll, a Matrix poll with a text fallback) and by email (one signed link per
//! option), with one tally. A vote belongs to a member: the same person voting from several
//! linked identities has one vote, the last one. Votes are never posts, and the polls are
//! never relayed as chat. `polls_close_once` closes due polls and posts their results once.

use chrono::{DateTime, Utc};

use super::Core;
use super::model::{ChannelKind, Op, OutKind, Outgoing, PollOut, PollSpec};
use crate::i18n::{Arg, Lang};
use crate::store::deliveries::NewDelivery;
use crate::store::polls::{self, Poll};
use crate::store::{chats, members, subscriptions};

/// Telegram's limits on a poll's question and options (the strictest of the channels).
const MAX_QUESTION: usize = 300;
const MAX_OPTION: usize = 100;

/// A poll as an editor asks for it.
pub type PollDraft = PollSpec;

/// Why a poll cannot be created: said to the editor as it is (French / English).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PollError {
    #[error("La question est vide. / The question is empty.")]
    NoQuestion,
    #[error(
        "La question est trop longue ({0} caractères avec « 📢 Mairie de … », 300 au plus). / The question is too long."
    )]
    QuestionTooLong(usize),
    #[error("Il faut de 2 à 10 réponses différentes et non vides. / 2 to 10 distinct, non-empty answers are needed.")]
    Options,
    #[error("Une réponse dépasse 100 caractères : « {0} ». / An answer is over 100 characters.")]
    OptionTooLong(String),
    #[error("Choisissez au moins un quartier de la commune. / Choose at least one area of the commune.")]
    NoArea,
    #[error("Le quartier « {0} » n'est pas de cette commune. / This area is not the commune's.")]
    ForeignArea(String),
    #[error("La date de clôture doit être dans le futur. / The closing time must be in the future.")]
    ClosesInPast,
}

/// What became of a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOutcome {
    Counted,
    Retracted,
    /// The poll is closed, or the choice does not fit it (kept nowhere: nothing to count).
    Refused,
    /// Not a poll of ours.
    Unknown,
}

impl PollDraft {
    fn check(&self, core: &Core, now: DateTime<Utc>) -> Result<String, PollError> {
        let question = self.question.trim();
        if question.is_empty() {
            return Err(PollError::NoQuestion);
        }
        let shown = shown_question(core, &self.commune, question);
        if shown.chars().count() > MAX_QUESTION {
            return Err(PollError::QuestionTooLong(shown.chars().count()));
        }
        let mut seen = std::collections::HashSet::new();
        if !(2..=10).contains(&self.options.len())
            || self
                .options
                .iter()
                .any(|o| o.trim().is_empty() || !seen.insert(o.trim()))
        {
            return Err(PollError::Options);
        }
        if let Some(o) = self.options.iter().find(|o| o.trim().chars().count() > MAX_OPTION) {
            return Err(PollError::OptionTooLong(o.trim().to_owned()));
        }
        if self.areas.is_empty() {
            return Err(PollError::NoArea);
        }
        if let Some(a) = self
            .areas
            .iter()
            .find(|a| core.areas.get(a).is_none_or(|area| area.commune != self.commune))
        {
            return Err(PollError::ForeignArea(a.clone()));
        }
        if self.closes_at <= now {
            return Err(PollError::ClosesInPast);
        }
        Ok(shown)
    }
}

fn shown_question(core: &Core, commune: &str, question: &str) -> String {
    core.texts.get(
        Lang::Fr,
        "poll-question",
        &[("commune", commune.into()), ("question", question.into())],
    )
}

/// "5 décembre 2026, 18:00" in the area's time zone.
fn closes_text(core: &Core, area: &str, at: DateTime<Utc>) -> String {
    at.with_timezone(&core.areas.timezone(area))
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

fn numbered(options: &[String]) -> String {
    options
        .iter()
        .enumerate()
        .map(|(i, o)| format!("{}. {o}", i + 1))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Core {
    /// Creates a poll and queues, in the same transaction, one native poll in each chosen
    /// area's Telegram and Matrix room and one email with a signed link per option to each
    /// subscriber of those areas. Returns the poll's id. A form's one-time `submission` token
    /// creates one poll: sent again, it returns that poll's id and queues nothing.
    pub async fn create_poll(
        &self,
        draft: &PollDraft,
        submission: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<i64, PollError>> {
        let shown = match draft.check(self, now) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let options: Vec<String> = draft.options.iter().map(|o| o.trim().to_owned()).collect();
        let mut tx = self.pool.begin().await?;
        let mut spec = draft.clone();
        spec.question = draft.question.trim().to_owned();
        spec.options = options.clone();
        let Some(id) = polls::insert(&mut tx, &spec, submission).await? else {
            drop(tx);
            let token = submission.unwrap_or_default();
            let id = polls::by_submission(&self.pool, token).await?;
            return Ok(Ok(
                id.ok_or_else(|| anyhow::anyhow!("poll of submission {token} not found"))?
            ));
        };
        let mut queue = Vec::new();
        for area in &draft.areas {
            let lang = self.areas.lang(area);
            let closes = closes_text(self, area, draft.closes_at);
            for room in chats::rooms_of(&mut *tx, area).await? {
                if !matches!(room.channel, ChannelKind::Telegram | ChannelKind::Matrix) {
                    continue;
                }
                let how = self
                    .texts
                    .get(lang, "poll-fallback-how", &[("closes", closes.as_str().into())]);
                let mut msg = Outgoing::new(OutKind::Notice, format!("{shown}\n{}\n{how}", numbered(&options)));
                msg.poll = Some(PollOut {
                    question: shown.clone(),
                    options: options.clone(),
                    multiple: draft.multiple,
                });
                let key = format!("poll:{id}:{}:{}", room.channel.as_str(), room.external_id);
                polls::add_room(&mut tx, id, room.channel, &room.external_id, area, &key).await?;
                queue.push(NewDelivery::uncaused(room.channel, &room.external_id, msg, key));
            }
        }
        for (sub, area) in subscriptions::active_in_areas(&mut tx, &draft.areas).await? {
            let closes = closes_text(self, &area, draft.closes_at);
            let mail = self.poll_mail(id, draft, &options, sub.id, sub.lang, &closes);
            queue.push(NewDelivery::uncaused(
                ChannelKind::Email,
                &sub.address,
                mail,
                format!("poll:{id}:email:{}", sub.id),
            ));
        }
        self.commit_queue(tx, &queue).await?;
        Ok(Ok(id))
    }

    fn poll_mail(&self, id: i64, d: &PollDraft, options: &[String], sub: i64, lang: Lang, closes: &str) -> Outgoing {
        let commune: Arg = d.commune.as_str().into();
        let mut text = self.texts.get(
            lang,
            "poll-mail-intro",
            &[("commune", commune.clone()), ("closes", closes.into())],
        );
        text.push_str(&format!("\n\n{}\n\n", d.question.trim()));
        text.push_str(&self.texts.get(lang, "poll-mail-choose", &[]));
        for (i, o) in options.iter().enumerate() {
            text.push_str(&format!("\n- {o} : {}", self.links.poll_vote_url(id, sub, i)));
        }
        let mut msg = Outgoing::new(OutKind::Notice, text).in_lang(lang);
        msg.subject = Some(self.texts.get(lang, "poll-mail-subject", &[("commune", commune)]));
        msg
    }

    /// A vote from a room's native poll: a Telegram `poll_answer` (`chat` None: Telegram's
    /// poll ids are global) or a Matrix poll response (`chat`: the room). `voter` is the
    /// account on that channel; no choice takes the vote back.
    pub async fn poll_vote(
        &self,
        channel: ChannelKind,
        chat: Option<&str>,
        native_poll: &str,
        voter: (&str, &str),
        choices: &[usize],
        now: DateTime<Utc>,
    ) -> anyhow::Result<VoteOutcome> {
        let mut tx = self.pool.begin().await?;
        let Some((poll, area)) = polls::of_native(&mut tx, channel, chat, native_poll).await? else {
            return Ok(VoteOutcome::Unknown);
        };
        if !poll.is_open(now) {
            return Ok(VoteOutcome::Refused);
        }
        let lang = self.areas.lang(&area);
        let member = members::resolve(&mut tx, channel, voter.0, voter.1, lang, Some(&area)).await?;
        let outcome = if choices.is_empty() {
            polls::retract(&mut tx, poll.id, member.id, channel).await?;
            VoteOutcome::Retracted
        } else {
            cast(&mut tx, &poll, member.id, choices, &area, channel).await?
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// A vote by an email link: subscription `sub` chooses `choices` in poll `poll`. The
    /// subscription must be one of the poll's areas.
    pub async fn poll_vote_by_email(
        &self,
        poll: i64,
        sub: i64,
        choices: &[usize],
        now: DateTime<Utc>,
    ) -> anyhow::Result<VoteOutcome> {
        let mut tx = self.pool.begin().await?;
        let (Some(poll), Some((address, area, member))) = (
            polls::get(&mut *tx, poll).await?,
            subscriptions::voter(&mut tx, sub).await?,
        ) else {
            return Ok(VoteOutcome::Unknown);
        };
        if !poll.spec.areas.contains(&area) {
            return Ok(VoteOutcome::Unknown);
        }
        if !poll.is_open(now) {
            return Ok(VoteOutcome::Refused);
        }
        let member = match member {
            Some(m) => m,
            None => {
                let lang = self.areas.lang(&area);
                members::resolve(&mut tx, ChannelKind::Email, &address, &address, lang, Some(&area))
                    .await?
                    .id
            }
        };
        let outcome = cast(&mut tx, &poll, member, choices, &area, ChannelKind::Email).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Closes the polls due at `now` (a scheduler step, idempotent and safe with several
    /// daemons: a poll is closed by one UPDATE, in the transaction that queues its results
    /// with dedupe keys). Telegram polls are stopped, Matrix polls ended, and each room gets
    /// the results once. Returns how many polls were closed.
    pub async fn polls_close_once(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let closed = polls::close_due(&mut tx, now).await?;
        let mut queue = Vec::new();
        for poll in &closed {
            let tally = polls::counts(&mut *tx, poll.id).await?;
            let figures = Figures::from_counts(poll.spec.options.len(), &tally);
            for room in polls::rooms(&mut tx, poll.id).await? {
                let lang = self.areas.lang(&room.area_slug);
                if let Some(of) = room.delivery {
                    let mut stop = Outgoing::new(OutKind::Notice, String::new());
                    stop.op = Op::Edit { of };
                    stop.poll = Some(PollOut {
                        question: shown_question(self, &poll.spec.commune, &poll.spec.question),
                        options: poll.spec.options.clone(),
                        multiple: poll.spec.multiple,
                    });
                    let key = format!("poll-stop:{}:{}:{}", poll.id, room.channel.as_str(), room.chat);
                    queue.push(NewDelivery::uncaused(room.channel, &room.chat, stop, key));
                }
                let text = self.results_text(poll, &figures, lang);
                let key = format!("poll-results:{}:{}:{}", poll.id, room.channel.as_str(), room.chat);
                queue.push(NewDelivery::uncaused(
                    room.channel,
                    &room.chat,
                    Outgoing::new(OutKind::Notice, text),
                    key,
                ));
            }
        }
        self.commit_queue(tx, &queue).await?;
        Ok(closed.len())
    }

    fn results_text(&self, poll: &Poll, f: &Figures, lang: Lang) -> String {
        let mut text = self.texts.get(
            lang,
            "poll-results",
            &[
                ("commune", poll.spec.commune.as_str().into()),
                ("question", poll.spec.question.as_str().into()),
                ("voters", Arg::Num(f.voters)),
            ],
        );
        for (o, n) in poll.spec.options.iter().zip(&f.votes) {
            text.push_str(&format!("\n{o} : {n} ({} %)", percent(*n, f.voters)));
        }
        let link = format!(
            "{}/communes/{}/sondages/{}",
            self.links.public_url, poll.spec.commune_slug, poll.id
        );
        text.push('\n');
        text.push_str(&self.texts.get(lang, "poll-results-link", &[("link", link.into())]));
        text
    }
}

/// Records a vote after checking it fits the poll (options exist; one only for a single
/// choice poll).
async fn cast(
    tx: &mut crate::store::Tx<'_>,
    poll: &Poll,
    member: i64,
    choices: &[usize],
    area: &str,
    channel: ChannelKind,
) -> anyhow::Result<VoteOutcome> {
    let mut c: Vec<i16> = choices.iter().map(|&i| i as i16).collect();
    c.sort_unstable();
    c.dedup();
    if c.is_empty() || c.iter().any(|&i| i as usize >= poll.spec.options.len()) || (!poll.spec.multiple && c.len() > 1)
    {
        return Ok(VoteOutcome::Refused);
    }
    polls::vote(tx, poll.id, member, &c, Some(area), channel).await?;
    Ok(VoteOutcome::Counted)
}

/// A rounded percentage of `of` (0 when nobody voted).
pub fn percent(n: i64, of: i64) -> i64 {
    if of == 0 { 0 } else { (n * 100 + of / 2) / of }
}

/// The figures of a poll overall or in one area: voters and votes per option.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub voters: i64,
    pub votes: Vec<i64>,
}

impl Figures {
    /// Overall figures from `store::polls::counts` rows.
    pub fn from_counts(options: usize, rows: &[(String, i16, i64)]) -> Figures {
        Figures::of_rows(options, rows.iter())
    }

    /// The figures of one area.
    pub fn of_area(options: usize, rows: &[(String, i16, i64)], area: &str) -> Figures {
        Figures::of_rows(options, rows.iter().filter(|r| r.0 == area))
    }

    fn of_rows<'a>(options: usize, rows: impl Iterator<Item = &'a (String, i16, i64)>) -> Figures {
        let mut f = Figures {
            voters: 0,
            votes: vec![0; options],
        };
        for (_, option, n) in rows {
            match usize::try_from(*option) {
                Ok(i) if i < options => f.votes[i] += n,
                Ok(_) => {}
                Err(_) => f.voters += n,
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_add_areas_and_keep_voters_apart() {
        let rows = vec![
            ("a".to_owned(), -1, 3),
            ("a".to_owned(), 0, 2),
            ("a".to_owned(), 1, 1),
            ("b".to_owned(), -1, 1),
            ("b".to_owned(), 1, 1),
        ];
        let all = Figures::from_counts(2, &rows);
        assert_eq!(
            all,
            Figures {
                voters: 4,
                votes: vec![2, 2]
            }
        );
        assert_eq!(
            Figures::of_area(2, &rows, "b"),
            Figures {
                voters: 1,
                votes: vec![0, 1]
            }
        );
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(2, 3), 67);
        assert_eq!(percent(0, 0), 0);
    }
}
