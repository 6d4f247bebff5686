//! What goes into a digest, decided from plain data (no database, no clock): new offers and
//! requests grouped by category, requests still unanswered, posts dated in the coming days,
//! the period's figures and at most one partner. A period where nothing happened gives none.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::schedule::Period;

/// A post as a digest lists it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct PostLine {
    pub id: i64,
    pub direction: String,
    pub item: String,
    pub category: String,
    pub author: String,
    pub when_from: Option<NaiveDate>,
    pub when_to: Option<NaiveDate>,
    /// The message it was made in (an email answer to it reaches its author).
    pub message_id: i64,
    pub created_at: DateTime<Utc>,
    /// The stored photo of its message (media key), if it has one.
    #[sqlx(default)]
    pub photo: Option<String>,
    /// Signed links to that photo's thumbnail and to the photo (`/m/TOKEN`), set when the
    /// digest is made.
    #[sqlx(skip)]
    pub photo_links: Option<(String, String)>,
    /// The document or video of its message (media key), if it has one.
    #[sqlx(default)]
    pub file: Option<String>,
    /// A signed link to that file (`/m/TOKEN`), set when the digest is made.
    #[sqlx(skip)]
    pub file_link: Option<String>,
    /// An offer whose every copy is lent: the day the first comes back (issue 16).
    #[sqlx(default)]
    pub lent_until: Option<NaiveDate>,
}

/// A municipal announcement as a digest lists it (issue 18): the non-urgent ones published
/// to the area in the period, in their own section at the top.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnnouncementLine {
    pub id: i64,
    pub commune: String,
    pub commune_slug: String,
    pub title: String,
    pub body: String,
    pub happens_on: Option<NaiveDate>,
    pub place: Option<String>,
    /// Its permanent page on the commune's archive, set when the digest is made.
    pub link: String,
}

/// The area's figures for the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Figures {
    pub new_members: i64,
    pub offers: i64,
    pub requests: i64,
    pub matches: i64,
    /// Loans confirmed, and loans returned, in the period (issue 16).
    pub loans_started: i64,
    pub loans_returned: i64,
}

/// The partner a digest may suggest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerLine {
    pub name: String,
    pub description: String,
    pub link: String,
    pub paid: bool,
    /// The unanswered request it answers.
    pub for_item: String,
}

/// Everything known about an area's period.
#[derive(Debug, Clone)]
pub struct DigestInput {
    pub area: String,
    pub area_name: String,
    pub period: Period,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Open posts made in the period.
    pub new_posts: Vec<PostLine>,
    /// Open requests made before the period that no offer has met.
    pub unanswered: Vec<PostLine>,
    /// Open posts made before the period whose dates fall in the coming days.
    pub coming: Vec<PostLine>,
    pub figures: Figures,
    pub partner: Option<PartnerLine>,
    /// The town hall's non-urgent announcements to the area in the period, oldest first.
    pub announcements: Vec<AnnouncementLine>,
}

/// The posts of one category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub category: String,
    pub posts: Vec<PostLine>,
}

/// A digest's content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digest {
    pub area: String,
    pub area_name: String,
    pub period: &'static str,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub offers: Vec<Group>,
    pub requests: Vec<Group>,
    pub unanswered: Vec<PostLine>,
    pub coming: Vec<PostLine>,
    pub figures: Figures,
    pub partner: Option<PartnerLine>,
    /// Posts left out to keep it readable (see them with /annonces).
    pub more: usize,
    /// The town hall's announcements, shown first.
    pub announcements: Vec<AnnouncementLine>,
}

impl Digest {
    /// The posts it lists.
    pub fn post_count(&self) -> usize {
        let grouped: usize = self.offers.iter().chain(&self.requests).map(|g| g.posts.len()).sum();
        grouped + self.unanswered.len() + self.coming.len()
    }

    /// The new items, offers first, for a short summary.
    pub fn new_items(&self) -> impl Iterator<Item = &str> {
        self.new_posts().map(|p| p.item.as_str())
    }

    /// The new posts, offers first.
    pub fn new_posts(&self) -> impl Iterator<Item = &PostLine> {
        self.offers.iter().chain(&self.requests).flat_map(|g| g.posts.iter())
    }
}

/// Groups posts by category: the busiest category first, then by name; posts in order.
fn group(posts: Vec<PostLine>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for p in posts {
        match groups.iter_mut().find(|g| g.category == p.category) {
            Some(g) => g.posts.push(p),
            None => groups.push(Group {
                category: p.category.clone(),
                posts: vec![p],
            }),
        }
    }
    for g in &mut groups {
        g.posts.sort_by_key(|p| p.id);
    }
    groups.sort_by(|a, b| b.posts.len().cmp(&a.posts.len()).then(a.category.cmp(&b.category)));
    groups
}

/// Keeps the first `max` posts, counting the others in `more`.
fn cap(mut posts: Vec<PostLine>, max: usize, more: &mut usize) -> Vec<PostLine> {
    if posts.len() > max {
        *more += posts.len() - max;
        posts.truncate(max);
    }
    posts
}

/// The digest of `input`, with at most `max` posts in each section; None when nothing
/// happened in the period (no new post, no match, no announcement).
pub fn build(input: DigestInput, max: usize) -> Option<Digest> {
    if input.new_posts.is_empty() && input.figures.matches == 0 && input.announcements.is_empty() {
        return None;
    }
    let mut more = 0;
    let mut new_posts = input.new_posts;
    new_posts.sort_by_key(|p| p.id);
    let (offers, requests): (Vec<PostLine>, Vec<PostLine>) =
        new_posts.into_iter().partition(|p| p.direction == "offer");
    let listed: Vec<i64> = offers.iter().chain(&requests).map(|p| p.id).collect();
    let offers = cap(offers, max, &mut more);
    let requests = cap(requests, max, &mut more);
    let not_listed = |p: &PostLine| !listed.contains(&p.id);
    let unanswered: Vec<PostLine> = input.unanswered.into_iter().filter(not_listed).collect();
    let mut coming: Vec<PostLine> = input.coming.into_iter().filter(not_listed).collect();
    coming.sort_by_key(|p| (p.when_from, p.id));
    // A partner only helps when some request is still waiting.
    let partner = input.partner.filter(|_| !unanswered.is_empty() || !requests.is_empty());
    Some(Digest {
        area: input.area,
        area_name: input.area_name,
        period: input.period.as_str(),
        since: input.since,
        until: input.until,
        offers: group(offers),
        requests: group(requests),
        unanswered: cap(unanswered, max, &mut more),
        coming: cap(coming, max, &mut more),
        figures: input.figures,
        partner,
        more,
        announcements: input.announcements,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    pub fn post(id: i64, direction: &str, item: &str, category: &str) -> PostLine {
        PostLine {
            id,
            direction: direction.into(),
            item: item.into(),
            category: category.into(),
            author: "Jeanne".into(),
            when_from: None,
            when_to: None,
            message_id: id * 10,
            created_at: t("2026-11-25T10:00:00Z"),
            photo: None,
            photo_links: None,
            file: None,
            file_link: None,
            lent_until: None,
        }
    }

    pub fn input(new_posts: Vec<PostLine>) -> DigestInput {
        DigestInput {
            area: "dinard".into(),
            area_name: "Dinard".into(),
            period: Period::Week,
            since: t("2026-11-21T08:00:00Z"),
            until: t("2026-11-28T08:00:00Z"),
            new_posts,
            unanswered: vec![],
            coming: vec![],
            figures: Figures::default(),
            partner: None,
            announcements: vec![],
        }
    }

    fn partner() -> PartnerLine {
        PartnerLine {
            name: "Outilthèque".into(),
            description: "Prêt d'outils".into(),
            link: "https://v.example/p/o/t".into(),
            paid: false,
            for_item: "scie".into(),
        }
    }

    #[test]
    fn an_empty_period_gives_no_digest() {
        let mut i = input(vec![]);
        i.unanswered = vec![post(1, "request", "échelle", "bricolage")];
        i.figures.new_members = 3;
        assert_eq!(build(i, 10), None);
    }

    #[test]
    fn an_announcement_alone_is_news() {
        let mut i = input(vec![]);
        i.announcements = vec![AnnouncementLine {
            id: 1,
            commune: "Dinard".into(),
            commune_slug: "dinard".into(),
            title: "Travaux".into(),
            body: "Rue fermée".into(),
            happens_on: None,
            place: None,
            link: "https://v.example/communes/dinard/annonces/1".into(),
        }];
        let d = build(i, 10).unwrap();
        assert_eq!(d.announcements[0].title, "Travaux");
        assert_eq!(d.post_count(), 0);
    }

    #[test]
    fn a_match_alone_is_news() {
        let mut i = input(vec![]);
        i.figures.matches = 1;
        assert!(build(i, 10).is_some());
    }

    #[test]
    fn groups_by_direction_and_category() {
        let d = build(
            input(vec![
                post(3, "offer", "perceuse", "bricolage"),
                post(1, "offer", "poussette", "enfants"),
                post(2, "request", "échelle", "bricolage"),
                post(4, "offer", "scie", "bricolage"),
            ]),
            10,
        )
        .unwrap();
        let cats: Vec<(&str, Vec<i64>)> = d
            .offers
            .iter()
            .map(|g| (g.category.as_str(), g.posts.iter().map(|p| p.id).collect()))
            .collect();
        assert_eq!(cats, vec![("bricolage", vec![3, 4]), ("enfants", vec![1])]);
        assert_eq!(d.requests.len(), 1);
        assert_eq!(d.requests[0].posts[0].item, "échelle");
        assert_eq!(d.post_count(), 4);
        assert_eq!(
            d.new_items().collect::<Vec<_>>(),
            vec!["perceuse", "scie", "poussette", "échelle"]
        );
    }

    #[test]
    fn sections_are_capped_and_not_repeated() {
        let news: Vec<PostLine> = (1..=7).map(|i| post(i, "offer", "livre", "culture")).collect();
        let mut i = input(news);
        let mut dated = post(2, "offer", "livre", "culture");
        dated.when_from = NaiveDate::from_ymd_opt(2026, 11, 29);
        let mut other = post(20, "offer", "tente", "loisirs");
        other.when_from = NaiveDate::from_ymd_opt(2026, 11, 30);
        i.coming = vec![other, dated];
        i.unanswered = vec![post(9, "request", "échelle", "bricolage")];
        let d = build(i, 5).unwrap();
        assert_eq!(d.offers[0].posts.len(), 5);
        assert_eq!(d.more, 2);
        // Post 2 is listed as new: it does not come again under "coming".
        assert_eq!(d.coming.iter().map(|p| p.id).collect::<Vec<_>>(), vec![20]);
        assert_eq!(d.unanswered.len(), 1);
    }

    #[test]
    fn a_partner_only_when_a_request_waits() {
        let mut i = input(vec![post(1, "offer", "perceuse", "bricolage")]);
        i.partner = Some(partner());
        assert_eq!(build(i.clone(), 10).unwrap().partner, None);
        i.unanswered = vec![post(9, "request", "scie", "bricolage")];
        assert_eq!(build(i, 10).unwrap().partner, Some(partner()));
    }
}
