//! Each AUTH login's messages and whether its whole mail is held, made once per analysis for
//! the clusters that are a part of one login's mail (`rank/part.rs`).
//!
//! A flood of a thousand guessed logins, each on its own IP writing as one forged sender, has
//! a thousand such parts per key; asked afresh, each made its login's cluster with a pass over
//! the records (44 s at 1,000,000 messages for 1,000 logins, against 1 s before). Here the
//! logins' members are listed in one pass, when the first part asks, and each login's verdict
//! is remembered.

use std::sync::{Mutex, OnceLock};

use rustc_hash::FxHashMap as HashMap;

use crate::analysis::key::KeyValue;

/// The logins' members and verdicts, filled as the ranking asks. Derived data: a clone starts
/// empty and fills again.
#[derive(Default)]
pub(crate) struct LoginParts {
    /// Each login's (account's) record indices, in record order.
    members: OnceLock<HashMap<KeyValue, Vec<u32>>>,
    /// Each login asked so far: is its whole mail held as an agency's?
    held: Mutex<HashMap<KeyValue, bool>>,
}

impl LoginParts {
    /// The logins' members, listed by `list` the first time.
    pub(crate) fn members(
        &self,
        list: impl FnOnce() -> HashMap<KeyValue, Vec<u32>>,
    ) -> &HashMap<KeyValue, Vec<u32>> {
        self.members.get_or_init(list)
    }

    /// Whether `login`'s whole mail is held, judged by `judge` the first time. The lock is not
    /// held while judging: two threads may judge one login at once, and agree.
    pub(crate) fn held(&self, login: KeyValue, judge: impl FnOnce() -> bool) -> bool {
        let known = self
            .held
            .lock()
            .map(|m| m.get(&login).copied())
            .ok()
            .flatten();
        if let Some(held) = known {
            return held;
        }
        let held = judge();
        if let Ok(mut m) = self.held.lock() {
            m.insert(login, held);
        }
        held
    }
}

impl Clone for LoginParts {
    fn clone(&self) -> Self {
        LoginParts::default()
    }
}

impl std::fmt::Debug for LoginParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginParts")
            .field("listed", &self.members.get().map(|m| m.len()))
            .finish_non_exhaustive()
    }
}
