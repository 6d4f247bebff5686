//! Telegram's sending limits, kept before Telegram has to enforce them: about one message a
//! second per chat, twenty a minute per group, thirty a second overall. A chat over its limit
//! answers "wait this long", which the outbox turns into a pause of that chat only; a 429 from
//! Telegram pauses the chat here too.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub chat_interval: Duration,
    pub group_per_minute: u32,
    pub global_per_second: u32,
}

#[derive(Default)]
struct ChatState {
    last: Option<Instant>,
    paused_until: Option<Instant>,
    /// Sends of the last minute (groups only).
    minute: VecDeque<Instant>,
}

#[derive(Default)]
struct State {
    chats: HashMap<i64, ChatState>,
    /// Sends of the last second, all chats.
    second: VecDeque<Instant>,
}

/// Reserves sending slots.
pub struct Limiter {
    limits: Limits,
    state: Mutex<State>,
}

const MINUTE: Duration = Duration::from_secs(60);
const SECOND: Duration = Duration::from_secs(1);

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            state: Mutex::new(State::default()),
        }
    }

    /// Takes a slot to send to `chat` at `now`, or says how long to wait. Groups and
    /// supergroups have negative ids in the Bot API; private chats positive ones.
    pub fn try_reserve(&self, chat: i64, now: Instant) -> Result<(), Duration> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.chats.len() > 50_000 {
            st.chats
                .retain(|_, c| c.last.is_some_and(|l| now.duration_since(l) < MINUTE) || c.paused_until.is_some());
        }
        while st.second.front().is_some_and(|&t| now.duration_since(t) >= SECOND) {
            st.second.pop_front();
        }
        let global_full = st.second.len() >= self.limits.global_per_second as usize;
        let global_wait = st.second.front().map(|&t| (t + SECOND).saturating_duration_since(now));
        let c = st.chats.entry(chat).or_default();
        if let Some(until) = c.paused_until {
            if until > now {
                return Err(until - now);
            }
            c.paused_until = None;
        }
        if let Some(last) = c.last {
            let next = last + self.limits.chat_interval;
            if next > now {
                return Err(next - now);
            }
        }
        if chat < 0 {
            while c.minute.front().is_some_and(|&t| now.duration_since(t) >= MINUTE) {
                c.minute.pop_front();
            }
            if c.minute.len() >= self.limits.group_per_minute as usize
                && let Some(&first) = c.minute.front()
            {
                return Err((first + MINUTE).saturating_duration_since(now));
            }
        }
        if global_full {
            return Err(global_wait.unwrap_or(SECOND).max(Duration::from_millis(1)));
        }
        c.last = Some(now);
        if chat < 0 {
            c.minute.push_back(now);
        }
        st.second.push_back(now);
        Ok(())
    }

    /// Telegram asked to wait before sending to `chat` again.
    pub fn pause(&self, chat: i64, until: Instant) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let c = st.chats.entry(chat).or_default();
        c.paused_until = Some(c.paused_until.map_or(until, |u| u.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> Limiter {
        Limiter::new(Limits {
            chat_interval: Duration::from_secs(1),
            group_per_minute: 20,
            global_per_second: 30,
        })
    }

    #[test]
    fn one_message_a_second_per_chat() {
        let l = limiter();
        let t0 = Instant::now();
        assert!(l.try_reserve(5, t0).is_ok());
        assert_eq!(
            l.try_reserve(5, t0 + Duration::from_millis(400)),
            Err(Duration::from_millis(600))
        );
        assert!(l.try_reserve(6, t0).is_ok(), "another chat is not delayed");
        assert!(l.try_reserve(5, t0 + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn twenty_a_minute_per_group_but_not_for_private_chats() {
        let l = limiter();
        let t0 = Instant::now();
        for i in 0..20 {
            assert!(l.try_reserve(-100, t0 + Duration::from_secs(i)).is_ok());
        }
        let wait = l.try_reserve(-100, t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        assert!(l.try_reserve(-100, t0 + Duration::from_secs(60)).is_ok());
        for i in 0..30 {
            assert!(l.try_reserve(7, t0 + Duration::from_secs(100 + i)).is_ok());
        }
    }

    #[test]
    fn thirty_a_second_overall_and_pauses_hold() {
        let l = limiter();
        let t0 = Instant::now();
        for chat in 0..30 {
            assert!(l.try_reserve(1000 + chat, t0).is_ok());
        }
        assert!(l.try_reserve(2000, t0).is_err());
        assert!(l.try_reserve(2000, t0 + Duration::from_secs(1)).is_ok());
        l.pause(3000, t0 + Duration::from_secs(5));
        assert_eq!(
            l.try_reserve(3000, t0 + Duration::from_secs(2)),
            Err(Duration::from_secs(3))
        );
        assert!(l.try_reserve(3000, t0 + Duration::from_secs(5)).is_ok());
    }
}
