//! Municipal polls on Matrix (MSC3381, under the unstable names Element reads): a poll start
//! event with an MSC1767 text fallback listing the answers for clients without polls, the
//! responses read from the sync as votes, and a poll end at closing. Answer ids are the
//! options' indexes ("0", "1", …).

use serde_json::{Value, json};

use super::Matrix;
use crate::core::model::{ChannelKind, PollOut};
use crate::core::{Core, SendError};

const START: &str = "org.matrix.msc3381.poll.start";
const END: &str = "org.matrix.msc3381.poll.end";
const TEXT: &str = "org.matrix.msc1767.text";
pub(super) const RESPONSE: &str = "org.matrix.msc3381.poll.response";
pub(super) const STABLE_RESPONSE: &str = "m.poll.response";

/// The content of a poll start; `fallback` is what clients without polls show.
pub(super) fn start_content(p: &PollOut, fallback: &str) -> Value {
    let answers: Vec<Value> = p
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| json!({ "id": i.to_string(), TEXT: o }))
        .collect();
    json!({
        START: {
            "kind": "org.matrix.msc3381.poll.disclosed",
            "max_selections": if p.multiple { p.options.len() } else { 1 },
            "question": { TEXT: p.question },
            "answers": answers,
        },
        TEXT: fallback,
        "body": fallback,
    })
}

/// The answers a response event chose (unstable `answers` or stable `m.selections`), and the
/// poll start it refers to.
pub(super) fn response_of(ev: &Value) -> Option<(&str, Vec<usize>)> {
    let c = &ev["content"];
    let relates = &c["m.relates_to"];
    if relates["rel_type"] != "m.reference" {
        return None;
    }
    let start = relates["event_id"].as_str()?;
    let chosen = c[RESPONSE]["answers"]
        .as_array()
        .or_else(|| c["m.selections"].as_array())?;
    Some((start, chosen.iter().filter_map(|a| a.as_str()?.parse().ok()).collect()))
}

impl Matrix {
    pub(super) async fn send_poll_start(
        &self,
        room: matrix_sdk::ruma::OwnedRoomId,
        txn: String,
        p: &PollOut,
        fallback: &str,
        mark: (&str, i64),
    ) -> Result<String, SendError> {
        let mut content = start_content(p, fallback);
        content[mark.0] = mark.1.into();
        self.put(room, txn, START, content).await
    }

    /// Ends the poll started by `start` (closing); the same end retried is one transaction.
    pub(super) async fn send_poll_end(
        &self,
        room: matrix_sdk::ruma::OwnedRoomId,
        start: &str,
    ) -> Result<(), SendError> {
        let content = json!({
            "m.relates_to": { "rel_type": "m.reference", "event_id": start },
            END: {},
            TEXT: "Le sondage est clos. / The poll has ended.",
            "body": "Le sondage est clos. / The poll has ended.",
        });
        let txn = format!("voisinage-poll-end-{:016x}", crate::hash::fnv1a64(start.as_bytes()));
        self.put(room, txn, END, content).await.map(|_| ())
    }

    /// A poll response from the sync: a vote (never a message).
    pub(super) async fn on_poll_response(
        &self,
        core: &Core,
        room: &str,
        sender: &str,
        ev: &Value,
    ) -> anyhow::Result<()> {
        let Some((start, chosen)) = response_of(ev) else {
            return Ok(());
        };
        let name = self.display_name(room, sender).await;
        let outcome = core
            .poll_vote(
                ChannelKind::Matrix,
                Some(room),
                start,
                (sender, &name),
                &chosen,
                chrono::Utc::now(),
            )
            .await?;
        tracing::debug!(room, start, ?outcome, "poll response");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_unstable_and_stable_responses() {
        let unstable = json!({"content": {"m.relates_to": {"rel_type": "m.reference", "event_id": "$s"},
                                          RESPONSE: {"answers": ["1", "x"]}}});
        assert_eq!(response_of(&unstable), Some(("$s", vec![1])));
        let stable = json!({"content": {"m.relates_to": {"rel_type": "m.reference", "event_id": "$s"},
                                        "m.selections": ["0", "2"]}});
        assert_eq!(response_of(&stable), Some(("$s", vec![0, 2])));
        let reply = json!({"content": {"m.relates_to": {"m.in_reply_to": {"event_id": "$s"}}}});
        assert_eq!(response_of(&reply), None);
    }

    #[test]
    fn a_start_has_answers_by_index_and_a_text_fallback() {
        let p = PollOut {
            question: "Q ?".into(),
            options: vec!["A".into(), "B".into()],
            multiple: false,
        };
        let c = start_content(&p, "Q ?\n1. A\n2. B");
        assert_eq!(c[START]["answers"][1]["id"], "1");
        assert_eq!(c[START]["max_selections"], 1);
        assert_eq!(c[TEXT], "Q ?\n1. A\n2. B");
    }
}
