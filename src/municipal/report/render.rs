//! The report's three views (the page, the printable page, the CSV), all read from one
//! protected [`Report`]: a hidden figure is "< k" everywhere, and no view adds a figure the
//! others lack (the share of requests answered is shown only where both of its parts are).

use std::fmt::Write;

use super::table::{Cell, Table};
use super::{ANSWERS, CHANNELS, DIGESTS, EXCHANGES, Month, POLLS, Report, answered_share, svg, turnout_share};
use crate::i18n::escape_html;
use crate::parse::model::Category;

/// Labels of the report's keys, in French (staff pages are French).
fn label(key: &str) -> String {
    let known = match key {
        "telegram" => "Telegram",
        "matrix" => "Matrix",
        "email" => "Courriel",
        "new" => "Nouveaux membres",
        "answered" => "Satisfaites",
        "unanswered" => "Non satisfaites",
        "matches" => "Mises en relation",
        "loans-started" => "Prêts commencés",
        "loans-returned" => "Prêts rendus",
        "partner-suggestions" => "Vers un partenaire",
        "digests" => "Lettres envoyées",
        "digest-emails" => "Courriels de lettres",
        "voters" => "Votants",
        "reachable" => "Habitants membres",
        "high_tech" => "high-tech",
        "mobilite" => "mobilité",
        "vetements" => "vêtements",
        "education" => "éducation",
        "sante" => "santé",
        other => other,
    };
    known.to_owned()
}

/// A shown figure, or "< k" (escaped for HTML when `html`).
fn figure(cell: Cell, k: u32, html: bool) -> String {
    match cell.shown() {
        Some(v) => v.to_string(),
        None if html => format!("&lt;&nbsp;{k}"),
        None => format!("< {k}"),
    }
}

/// The rows a view shows: one area (its index) or every area, then the commune (None).
fn scope_rows(report: &Report, area: Option<usize>) -> Vec<Option<usize>> {
    match area {
        Some(a) => vec![Some(a), None],
        None => (0..report.areas.len()).map(Some).chain([None]).collect(),
    }
}

fn row_name(report: &Report, row: Option<usize>) -> String {
    match row {
        Some(r) => report.areas[r].1.clone(),
        None => format!("{} (ensemble)", report.commune),
    }
}

fn at(t: &Table, row: Option<usize>, col: usize) -> Cell {
    match row {
        Some(r) => t.cell(r, col),
        None => t.col_total(col),
    }
}

fn total(t: &Table, row: Option<usize>) -> Option<Cell> {
    match row {
        Some(r) => t.row_total(r),
        None => t.grand(),
    }
}

/// An accessible table: a caption, column headers, a header cell per row.
fn grid(caption: &str, header: &[String], rows: &[(String, Vec<String>)]) -> String {
    let mut html = format!(
        "<div class=\"scroll\"><table><caption>{}</caption><thead><tr>",
        escape_html(caption)
    );
    for h in header {
        let _ = write!(html, "<th scope=\"col\">{}</th>", escape_html(h));
    }
    html.push_str("</tr></thead><tbody>");
    for (name, cells) in rows {
        let _ = write!(html, "<tr><th scope=\"row\">{}</th>", escape_html(name));
        for c in cells {
            let _ = write!(html, "<td>{c}</td>");
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");
    html
}

/// A figure with areas as rows and its keys as columns (and the total when keys add up).
fn by_area(report: &Report, t: &Table, caption: &str, area: Option<usize>) -> String {
    let mut header = vec!["Quartier".to_owned()];
    header.extend(t.cols.iter().map(|c| label(c)));
    if t.has_row_totals() {
        header.push("Total".into());
    }
    let rows = area_rows(report, t, area, |row| total(t, row).map(|c| figure(c, report.k, true)));
    grid(caption, &header, &rows)
}

/// The rows of a figure by area: each area's name and its cells, then `extra`'s cell if any.
fn area_rows(
    report: &Report,
    t: &Table,
    area: Option<usize>,
    extra: impl Fn(Option<usize>) -> Option<String>,
) -> Vec<(String, Vec<String>)> {
    scope_rows(report, area)
        .into_iter()
        .map(|row| {
            let mut cells: Vec<String> = (0..t.cols.len())
                .map(|c| figure(at(t, row, c), report.k, true))
                .collect();
            cells.extend(extra(row));
            (row_name(report, row), cells)
        })
        .collect()
}

/// Poll turnout by area: voters, members living there, and the share when both are shown.
fn turnout(report: &Report, t: &Table, area: Option<usize>) -> String {
    let mut header = vec!["Quartier".to_owned()];
    header.extend(t.cols.iter().map(|c| label(c)));
    header.push("Participation".into());
    let rows = area_rows(report, t, area, |row| {
        Some(turnout_share(report, row).map_or("—".to_owned(), |p| format!("{p}&nbsp;%")))
    });
    grid(
        "Participation aux sondages clos dans le mois (votants parmi les membres habitant le quartier)",
        &header,
        &rows,
    )
}

/// A figure by category: categories as rows, the chosen area and the commune as columns.
fn by_category(report: &Report, t: &Table, caption: &str, area: Option<usize>) -> String {
    let columns: Vec<Option<usize>> = area.map_or(vec![None], |a| vec![Some(a), None]);
    let mut header = vec!["Catégorie".to_owned()];
    header.extend(columns.iter().map(|r| row_name(report, *r)));
    let mut rows: Vec<(String, Vec<String>)> = (0..t.cols.len())
        .map(|c| {
            let cells = columns.iter().map(|r| figure(at(t, *r, c), report.k, true)).collect();
            (label(&t.cols[c]), cells)
        })
        .collect();
    let totals = columns
        .iter()
        .map(|r| figure(total(t, *r).unwrap_or_default(), report.k, true))
        .collect();
    rows.push(("Total".into(), totals));
    grid(caption, &header, &rows)
}

/// The chart of one row of a figure (the chosen area, or the commune): every key, or only the
/// shown ones when there are many (the table under it lists them all).
fn chart(report: &Report, t: &Table, id: &str, title: &str, area: Option<usize>, only_shown: bool) -> String {
    let bars: Vec<(String, Option<i64>)> = (0..t.cols.len())
        .map(|c| (label(&t.cols[c]), at(t, area, c).shown()))
        .filter(|(_, v)| !only_shown || v.is_some())
        .collect();
    if bars.is_empty() {
        return format!(
            "<p class=\"note\">{} : aucune catégorie n'atteint {} personnes.</p>",
            escape_html(title),
            report.k
        );
    }
    svg::bar_chart(id, &format!("{title} — {}", row_name(report, area)), &bars, report.k)
}

fn answered_table(report: &Report, area: Option<usize>) -> String {
    let header: Vec<String> = [
        "Quartier",
        "Demandes",
        "Satisfaites",
        "Non satisfaites",
        "Part satisfaite",
    ]
    .map(String::from)
    .to_vec();
    let t = &report.answered;
    let rows: Vec<(String, Vec<String>)> = scope_rows(report, area)
        .into_iter()
        .map(|row| {
            let share = answered_share(report, row).map_or("—".to_owned(), |p| format!("{p}&nbsp;%"));
            let cells = vec![
                figure(total(t, row).unwrap_or_default(), report.k, true),
                figure(at(t, row, 0), report.k, true),
                figure(at(t, row, 1), report.k, true),
                share,
            ];
            (row_name(report, row), cells)
        })
        .collect();
    grid("Demandes satisfaites par un voisin", &header, &rows)
}

const ANSWERED_RULE: &str = "Une demande faite pendant le mois est « satisfaite par un voisin » si, avant la \
fin du mois, elle a été mise en relation avec l'offre d'un autre membre, ou si son auteur a commencé à \
emprunter un objet à un autre membre du même quartier après l'avoir faite. La part n'est donnée que si les \
demandes satisfaites et les autres viennent chacune d'au moins {k} personnes.";

/// The body of the report (below the page's title): the figures, charts and tables.
pub fn figures(report: &Report, area: Option<usize>) -> String {
    let k = report.k;
    let mut html = String::new();
    let _ = write!(
        html,
        "<p>Chiffres du mois de {month} pour {scope}, dans le fuseau horaire de la commune. Un chiffre qui \
         vient de moins de {k} personnes est affiché « &lt;&nbsp;{k} », et un second chiffre de la même \
         ligne ou colonne l'est aussi quand le premier pourrait s'en déduire. Ce rapport ne contient \
         aucun message, aucun nom, aucune personne.</p>",
        month = report.month.label(),
        scope = match area {
            Some(a) => format!("le quartier {}", escape_html(&report.areas[a].1)),
            None => format!("toute la commune de {}", escape_html(&report.commune)),
        },
    );
    html.push_str(
        "<h2>Membres</h2><p class=\"note\">Membres actifs : ceux qui ont écrit dans un salon du \
                   quartier pendant le mois, par canal (une personne présente sur deux canaux compte \
                   dans chacun, et une fois dans le total).</p>",
    );
    html.push_str(&chart(
        report,
        &report.active,
        "c-active",
        "Membres actifs par canal",
        area,
        false,
    ));
    html.push_str(&by_area(report, &report.active, "Membres actifs par canal", area));
    html.push_str(&by_area(
        report,
        &report.new_members,
        "Nouveaux membres (inscrits pendant le mois)",
        area,
    ));
    for (t, id, title) in [
        (&report.offers, "c-offers", "Offres par catégorie"),
        (&report.requests, "c-requests", "Demandes par catégorie"),
    ] {
        let _ = write!(html, "<h2>{title}</h2>");
        html.push_str(&chart(report, t, id, title, area, true));
        html.push_str(&by_category(report, t, &format!("{title} (annonces)"), area));
    }
    html.push_str("<h2 id=\"satisfaites\">Demandes satisfaites par un voisin</h2>");
    let _ = write!(
        html,
        "<p class=\"note\">{}</p>",
        ANSWERED_RULE.replace("{k}", &k.to_string())
    );
    html.push_str(&answered_table(report, area));
    html.push_str("<h2>Échanges entre voisins</h2>");
    html.push_str(&chart(
        report,
        &report.exchanges,
        "c-exchanges",
        "Échanges entre voisins",
        area,
        false,
    ));
    html.push_str(&by_area(report, &report.exchanges, "Échanges entre voisins", area));
    html.push_str("<h2>Lettres d'information</h2>");
    html.push_str(&by_area(
        report,
        &report.digests,
        "Lettres d'information envoyées par courriel",
        area,
    ));
    html.push_str("<h2>Sondages</h2>");
    match &report.polls {
        Some(t) => html.push_str(&turnout(report, t, area)),
        None => html.push_str("<p>Pas encore de sondages dans ce rapport.</p>"),
    }
    html
}

/// The form that chooses the month and the area (GET, works without JavaScript), and the links
/// to the CSV and the printable page.
pub fn chooser(report: &Report, area: Option<usize>, months: &[Month]) -> String {
    let mut html = format!("<form method=\"get\" action=\"/mairie/{}/rapport\">", report.slug);
    html.push_str("<label for=\"mois\">Mois</label><select id=\"mois\" name=\"mois\">");
    for m in months {
        let selected = if *m == report.month { " selected" } else { "" };
        let _ = write!(html, "<option value=\"{m}\"{selected}>{}</option>", m.label());
    }
    html.push_str("</select><label for=\"quartier\">Quartier</label><select id=\"quartier\" name=\"quartier\">");
    let _ = write!(html, "<option value=\"\">Toute la commune</option>");
    for (i, (slug, name)) in report.areas.iter().enumerate() {
        let selected = if Some(i) == area { " selected" } else { "" };
        let _ = write!(
            html,
            "<option value=\"{slug}\"{selected}>{}</option>",
            escape_html(name)
        );
    }
    html.push_str("</select><button type=\"submit\">Afficher</button></form>");
    let area_q = area.map_or(String::new(), |a| format!("&amp;quartier={}", report.areas[a].0));
    let _ = write!(
        html,
        "<nav aria-label=\"Autres formats\"><p><a href=\"/mairie/{slug}/rapport.csv?mois={m}\">Télécharger \
         le tableau (CSV)</a> · <a href=\"/mairie/{slug}/rapport/imprimer?mois={m}{area_q}\">Version \
         imprimable</a></p></nav>",
        slug = report.slug,
        m = report.month,
    );
    html
}

/// The CSV: one line per figure, area and key, "< k" as text where the page shows it.
pub fn csv(report: &Report) -> String {
    let mut out = String::from("mois,quartier,chiffre,cle,valeur\n");
    let mut tables: Vec<(&str, &Table)> = vec![
        ("membres-actifs", &report.active),
        ("nouveaux-membres", &report.new_members),
        ("offres", &report.offers),
        ("demandes", &report.requests),
        ("demandes-satisfaites", &report.answered),
        ("echanges", &report.exchanges),
        ("lettres", &report.digests),
    ];
    if let Some(polls) = &report.polls {
        tables.push(("sondages", polls));
    }
    for (name, t) in tables {
        for row in scope_rows(report, None) {
            let area = row.map_or("ensemble", |r| report.areas[r].0.as_str());
            for (c, key) in t.cols.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{},{area},{name},{key},{}",
                    report.month,
                    figure(at(t, row, c), report.k, false)
                );
            }
            if let Some(cell) = total(t, row) {
                let _ = writeln!(
                    out,
                    "{},{area},{name},total,{}",
                    report.month,
                    figure(cell, report.k, false)
                );
            }
        }
    }
    for row in scope_rows(report, None) {
        let area = row.map_or("ensemble", |r| report.areas[r].0.as_str());
        let share = answered_share(report, row).map_or(String::new(), |p| p.to_string());
        let _ = writeln!(
            out,
            "{},{area},part-demandes-satisfaites,pourcent,{share}",
            report.month
        );
    }
    if report.polls.is_some() {
        for row in scope_rows(report, None) {
            let area = row.map_or("ensemble", |r| report.areas[r].0.as_str());
            let share = turnout_share(report, row).map_or(String::new(), |p| p.to_string());
            let _ = writeln!(out, "{},{area},participation-sondages,pourcent,{share}", report.month);
        }
    }
    out
}

/// The keys the report knows, for the test of the labels.
pub fn all_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = CHANNELS
        .into_iter()
        .chain(EXCHANGES)
        .chain(DIGESTS)
        .chain(ANSWERS)
        .chain(POLLS)
        .collect();
    keys.extend(Category::ALL.iter().map(|c| c.as_str()));
    keys
}

#[cfg(test)]
mod tests {
    use super::{all_keys, label};

    #[test]
    fn every_key_has_a_french_label_without_underscores() {
        for key in all_keys() {
            assert!(!label(key).contains('_'), "{key}");
        }
    }
}
