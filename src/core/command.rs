//! The commands members type, read once into one enum with their arguments. Every form is
//! handled here: `/annonces` (Telegram, console, email), `!annonces` (Matrix, whose clients
//! keep "/" for themselves; "/" works there too), and `/annonces@VoisinageBot` (a command
//! addressed to one bot in a group with several).

use super::model::ChannelKind;

/// A command and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/aide`, `/help`.
    Help,
    /// `/start [DEEP-LINK]`: onboarding in a direct chat, the help elsewhere.
    Start { args: String },
    /// `/quartier [NOM]`: which area, or settle in one (direct chats).
    Area { wanted: String },
    /// `/annonces [CATÉGORIE]`.
    Posts { category: String },
    /// `/chercher MOTS`.
    Search { query: String },
    /// `/mes-annonces`.
    MyPosts,
    /// `/fini [N]` (or in reply to the post).
    Done { number: String },
    /// `/garder [N]` (or in reply to the reminder).
    Keep { number: String },
    /// `/courriel ADRESSE [RYTHME]`.
    Email { args: String },
    /// `/relier QUARTIER` (a group's administrator).
    Link { slug: String },
    /// `/delier`.
    Unlink,
    /// `/langue fr|en`.
    Language { code: String },
    // Answers about the bot's reading of a message (core/questions.rs).
    /// `/oui`: the unsure reading is right.
    Yes,
    /// `/non`: the message is not a post.
    No,
    /// `/corriger WHAT` ("demande échelle", "offre don vélo", "pas une annonce").
    Correct { what: String },
    // Moderation and privacy (issue 14).
    /// `/supprimer` in reply to a message (a moderator): it and every copy go.
    Remove,
    /// `/bannir` in reply to a message (a moderator): its author is no longer read.
    Ban,
    /// `/debannir` in reply to a message of a banned member (a moderator).
    Unban,
    /// `/signaler [RAISON]` in reply to a message (anyone): the moderators are told privately.
    Report,
    /// `/moderation`, `/journal`: the area's moderation log (a moderator).
    ModerationLog,
    /// `/mes-donnees`: everything held about the member, sent privately as JSON.
    MyData,
    /// `/oublier [confirmer]`: erases the member, after a confirmation.
    Forget { confirmed: bool },
    // Loans (issue 16, core/loans.rs). `number` is a loan's number, empty when not given.
    /// `/prete N [@Nom] [JOURS]`: the author of offer N proposes to lend it.
    Lend { args: String },
    /// `/emprunte N [JOURS]`: proposes to borrow offer N's thing (or waits for it).
    Borrow { args: String },
    /// `/accepte [P]`: confirms the loan the other person proposed.
    Accept { number: String },
    /// `/refuse [P]`: declines it.
    Decline { number: String },
    /// `/annule [P]`: withdraws one's own proposal.
    CancelLoan { number: String },
    /// `/rendu [P]`: the thing is back (the lender's word closes the loan).
    Returned { number: String },
    /// `/prolonger [P] [JOURS]`: the borrower asks for more days, the lender gives them.
    Extend { args: String },
    /// `/merci [P]`: the borrower thanks the lender.
    Thanks { number: String },
    /// `/prets`: one's loans, lent and borrowed.
    Loans,
    /// `/mairie TEXTE`: a private message to the commune's contact, by email (issue 18).
    TownHall { text: String },
    /// No typed form: the proposer's answer ("dimanche", "3 jours"), in reply, to the bot's
    /// "jusqu'à quand ?" about loan `loan` (read by `core::loans::bare_until`).
    LoanUntil { loan: i64, text: String },
    /// Anything else that looks like a command.
    Unknown { name: String },
}

impl Command {
    /// Reads a command at the start of a message said on `channel`; None for ordinary text.
    pub fn parse(text: &str, channel: ChannelKind) -> Option<Command> {
        let (name, args) = split(text, channel)?;
        let args = args.trim().to_owned();
        let first_word = || args.split_whitespace().next().unwrap_or("").to_owned();
        Some(match name.as_str() {
            "aide" | "help" => Command::Help,
            "start" => Command::Start { args },
            "quartier" | "area" => Command::Area { wanted: first_word() },
            "annonces" | "posts" => Command::Posts { category: args },
            "chercher" | "search" => Command::Search { query: args },
            "mes-annonces" | "mesannonces" | "my-posts" => Command::MyPosts,
            "fini" | "done" => Command::Done {
                number: post_number(&args),
            },
            "garder" | "keep" => Command::Keep {
                number: post_number(&args),
            },
            "courriel" | "email" => Command::Email { args },
            "relier" | "link" => Command::Link {
                slug: first_word().to_lowercase(),
            },
            "delier" | "unlink" => Command::Unlink,
            "langue" | "language" | "lang" => Command::Language { code: first_word() },
            "oui" | "yes" => Command::Yes,
            "non" | "no" => Command::No,
            "corriger" | "correct" => Command::Correct { what: args },
            "supprimer" | "remove" => Command::Remove,
            "bannir" | "ban" => Command::Ban,
            "debannir" | "débannir" | "unban" => Command::Unban,
            "signaler" | "report" => Command::Report,
            "moderation" | "modération" | "journal" | "modlog" => Command::ModerationLog,
            "mes-donnees" | "mes-données" | "mesdonnees" | "my-data" => Command::MyData,
            "oublier" | "forget" => Command::Forget {
                confirmed: matches!(first_word().to_lowercase().as_str(), "confirmer" | "confirm"),
            },
            "prete" | "prête" | "preter" | "prêter" | "lend" => Command::Lend { args },
            "emprunte" | "emprunter" | "borrow" => Command::Borrow { args },
            "accepte" | "accepter" | "accept" => Command::Accept {
                number: post_number(&args),
            },
            "refuse" | "refuser" | "decline" => Command::Decline {
                number: post_number(&args),
            },
            "annule" | "annuler" | "cancel" => Command::CancelLoan {
                number: post_number(&args),
            },
            "rendu" | "rendue" | "returned" => Command::Returned {
                number: post_number(&args),
            },
            "prolonger" | "extend" => Command::Extend { args },
            "merci" | "thanks" => Command::Thanks {
                number: post_number(&args),
            },
            "prets" | "prêts" | "loans" => Command::Loans,
            "mairie" | "townhall" | "town-hall" | "cityhall" => Command::TownHall { text: args },
            _ => Command::Unknown { name },
        })
    }

    /// The bot a command is addressed to (`/annonces@VoisinageBot`), if it names one.
    pub fn addressee(text: &str, channel: ChannelKind) -> Option<&str> {
        split(text, channel)?;
        let head = text.split_whitespace().next()?;
        head.split_once('@').map(|(_, bot)| bot)
    }

    /// Linking and unlinking rooms: only a chat's administrator may, which the adapter checks.
    pub fn is_room_command(&self) -> bool {
        matches!(self, Command::Link { .. } | Command::Unlink)
    }

    /// An answer about the bot's reading of a message (a question, a correction).
    pub fn is_reading_answer(&self) -> bool {
        matches!(self, Command::Yes | Command::No | Command::Correct { .. })
    }

    /// Loan commands, answered by core/loans.rs (in rooms and direct chats alike).
    pub fn is_loan_command(&self) -> bool {
        matches!(
            self,
            Command::Lend { .. }
                | Command::Borrow { .. }
                | Command::Accept { .. }
                | Command::Decline { .. }
                | Command::CancelLoan { .. }
                | Command::Returned { .. }
                | Command::Extend { .. }
                | Command::Thanks { .. }
                | Command::Loans
                | Command::LoanUntil { .. }
        )
    }

    /// Moderation and privacy commands, answered by core/moderation.rs and core/privacy.rs
    /// (in rooms and direct chats alike).
    pub fn is_trust_command(&self) -> bool {
        matches!(
            self,
            Command::Remove
                | Command::Ban
                | Command::Unban
                | Command::Report
                | Command::ModerationLog
                | Command::MyData
                | Command::Forget { .. }
        )
    }

    /// How the member typed it, for "unknown command" answers.
    pub fn shown(&self, channel: ChannelKind) -> String {
        let name = match self {
            Command::Unknown { name } => name.as_str(),
            _ => "",
        };
        format!("{}{name}", channel.command_prefix())
    }
}

/// `text` with the commands it names ("/emprunte 12") in the form members type on `channel`:
/// "!emprunte 12" on Matrix, whose clients keep "/" for their own commands. Only a known
/// command's name after a space, a line start or an opening mark is rewritten, so links and
/// dates keep their slashes.
pub fn typed_on(channel: ChannelKind, text: &str) -> String {
    let prefix = channel.command_prefix();
    if prefix == '/' {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    for (i, ch) in text.char_indices() {
        let starts = prev.is_none_or(|p| p.is_whitespace() || matches!(p, '«' | '(' | '"' | '\'' | '“' | ':'));
        if ch == '/' && starts {
            let name: String = text[i + 1..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '-')
                .collect();
            let known = !name.is_empty()
                && !matches!(
                    Command::parse(&format!("/{name}"), ChannelKind::Console),
                    None | Some(Command::Unknown { .. })
                );
            out.push(if known { prefix } else { ch });
        } else {
            out.push(ch);
        }
        prev = Some(ch);
    }
    out
}

/// The lower-case name and the rest of a command line.
fn split(text: &str, channel: ChannelKind) -> Option<(String, &str)> {
    let t = text.trim_start();
    let rest = t
        .strip_prefix('/')
        .or_else(|| t.strip_prefix(channel.command_prefix()))?;
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let name = head.split('@').next().unwrap_or("").to_lowercase();
    let word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    if !name.starts_with(char::is_alphabetic) || !name.chars().all(word) {
        return None;
    }
    Some((name, args))
}

/// The post number given to /fini or /garder ("12", "n°12", "#12"); empty when none.
fn post_number(args: &str) -> String {
    args.trim_start_matches(['n', 'N', '°', '#', ' ']).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChannelKind::{Matrix, Telegram};

    #[test]
    fn reads_commands_with_their_arguments() {
        assert_eq!(
            Command::parse("/annonces@VoisinageBot bricolage", Telegram),
            Some(Command::Posts {
                category: "bricolage".into()
            })
        );
        assert_eq!(
            Command::parse("/fini n°12", Telegram),
            Some(Command::Done { number: "12".into() })
        );
        assert_eq!(
            Command::parse("/relier Saint-Servan", Telegram),
            Some(Command::Link {
                slug: "saint-servan".into()
            })
        );
        assert_eq!(
            Command::parse("/langue EN", Telegram),
            Some(Command::Language { code: "EN".into() })
        );
        assert_eq!(
            Command::parse("/truc", Telegram),
            Some(Command::Unknown { name: "truc".into() })
        );
        assert_eq!(Command::parse("je prête /ma perceuse", Telegram), None);
        assert_eq!(Command::parse("/ ", Telegram), None);
        assert_eq!(Command::parse("/../etc", Telegram), None);
    }

    #[test]
    fn commands_in_a_text_take_the_form_typed_on_the_channel() {
        let text =
            "Si c'est un prêt : /emprunte 12 (ou /prete 12 @Jeanne). Voir https://v.example/email/loan, 3/4, /inconnu.";
        assert_eq!(
            typed_on(Matrix, text),
            "Si c'est un prêt : !emprunte 12 (ou !prete 12 @Jeanne). Voir https://v.example/email/loan, 3/4, /inconnu."
        );
        assert_eq!(typed_on(Telegram, text), text);
        assert_eq!(typed_on(Matrix, "/rendu 3\n/merci"), "!rendu 3\n!merci");
    }

    #[test]
    fn matrix_takes_the_bang_form_and_the_others_do_not() {
        assert_eq!(
            Command::parse("!annonces", Matrix),
            Some(Command::Posts { category: "".into() })
        );
        assert_eq!(
            Command::parse("/annonces", Matrix),
            Some(Command::Posts { category: "".into() })
        );
        assert_eq!(Command::parse("!annonces", Telegram), None);
        assert_eq!(Command::parse("!!! urgent", Matrix), None);
        assert_eq!(Command::parse("!123", Matrix), None);
    }

    #[test]
    fn knows_who_a_command_is_for() {
        assert_eq!(Command::addressee("/aide@AutreBot", Telegram), Some("AutreBot"));
        assert_eq!(Command::addressee("/aide", Telegram), None);
        assert_eq!(Command::addressee("salut @Jeanne", Telegram), None);
        assert!(Command::parse("/delier", Telegram).unwrap().is_room_command());
        assert_eq!(Command::parse("!truc", Matrix).unwrap().shown(Matrix), "!truc");
    }

    #[test]
    fn reads_moderation_and_privacy_commands() {
        assert_eq!(Command::parse("/supprimer", Telegram), Some(Command::Remove));
        assert_eq!(Command::parse("!bannir", Matrix), Some(Command::Ban));
        assert_eq!(Command::parse("/débannir", Telegram), Some(Command::Unban));
        assert_eq!(Command::parse("/signaler arnaque", Telegram), Some(Command::Report));
        assert_eq!(Command::parse("/journal", Telegram), Some(Command::ModerationLog));
        assert_eq!(Command::parse("/mes-données", Telegram), Some(Command::MyData));
        assert_eq!(
            Command::parse("/oublier", Telegram),
            Some(Command::Forget { confirmed: false })
        );
        assert_eq!(
            Command::parse("/oublier Confirmer", Telegram),
            Some(Command::Forget { confirmed: true })
        );
        assert!(Command::parse("/oublier", Telegram).unwrap().is_trust_command());
        assert_eq!(
            Command::parse("/prête 12 @Jeanne", Telegram),
            Some(Command::Lend {
                args: "12 @Jeanne".into()
            })
        );
        assert_eq!(
            Command::parse("!rendu n°3", Matrix),
            Some(Command::Returned { number: "3".into() })
        );
        assert!(Command::parse("/prets", Telegram).unwrap().is_loan_command());
        assert!(!Command::parse("/aide", Telegram).unwrap().is_trust_command());
    }
}
