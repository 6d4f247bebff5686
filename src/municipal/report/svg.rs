//! Bar charts as inline SVG, drawn on the server: a title for screen readers, a text label and
//! the figure beside each bar (the same figures are in the table under the chart), and a hidden
//! figure drawn as no bar, labelled "< k".

use std::fmt::Write;

use crate::i18n::escape_html;

/// A horizontal bar chart of `bars` (label, shown value or None when hidden); `id` makes the
/// title's id unique on the page.
pub fn bar_chart(id: &str, title: &str, bars: &[(String, Option<i64>)], k: u32) -> String {
    // Narrow, so that on a phone (where it scales to the screen) the labels stay readable.
    const WIDTH: i64 = 440;
    const LABEL: i64 = 180;
    const ROW: i64 = 30;
    let room = WIDTH - LABEL - 50;
    let height = ROW * bars.len() as i64 + 10;
    let max = bars.iter().filter_map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}\">{}</title>",
        escape_html(title)
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = ROW * i as i64 + 5;
        let text_y = y + 19;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{text_y}\" text-anchor=\"end\" font-size=\"16\" fill=\"#111\">{}</text>",
            LABEL - 8,
            escape_html(label)
        );
        match value {
            Some(v) => {
                let w = (v * room / max).max(if *v > 0 { 2 } else { 0 });
                let _ = write!(
                    svg,
                    "<rect x=\"{LABEL}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"#064\"/>\
                     <text x=\"{}\" y=\"{text_y}\" font-size=\"16\" fill=\"#111\">{v}</text>",
                    y + 3,
                    ROW - 10,
                    LABEL + w + 6
                );
            }
            None => {
                let _ = write!(
                    svg,
                    "<text x=\"{}\" y=\"{text_y}\" font-size=\"16\" fill=\"#333\">&lt; {k}</text>",
                    LABEL + 6
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::bar_chart;

    #[test]
    fn a_chart_has_a_title_labels_and_no_bar_for_a_hidden_figure() {
        let svg = bar_chart(
            "c1",
            "Offres & demandes",
            &[("bricolage".into(), Some(12)), ("santé".into(), None)],
            5,
        );
        assert!(svg.contains("<title id=\"c1\">Offres &amp; demandes</title>"));
        assert!(svg.contains("aria-labelledby=\"c1\""));
        assert!(svg.contains(">bricolage</text>") && svg.contains(">12</text>"));
        assert!(svg.contains(">&lt; 5</text>"));
        assert_eq!(svg.matches("<rect").count(), 1);
    }
}
