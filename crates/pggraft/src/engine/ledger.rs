//! Which tables' rows are in the target, for a load into existing tables
//! that failed or was stopped. Such a load (`Finish::InPlace`) commits each
//! chunk on its own, so a failure in one table leaves the tables before it
//! loaded; the error then says exactly which were, which were not, and
//! which were being loaded when the run was stopped.

use std::sync::Mutex;

use super::job::Job;
use crate::error::Error;
use crate::sql::QualifiedName;

struct Entry {
    table: QualifiedName,
    chunks: usize,
    done: usize,
    in_flight: usize,
}

/// Per table: chunks committed and chunks under way.
pub(crate) struct Ledger {
    tables: Mutex<Vec<Entry>>,
}

impl Ledger {
    pub(crate) fn new(job: &Job) -> Ledger {
        let tables = job
            .tables
            .iter()
            .map(|t| Entry {
                table: t.target.clone(),
                chunks: t.chunks.len(),
                done: 0,
                in_flight: 0,
            })
            .collect();
        Ledger { tables: Mutex::new(tables) }
    }

    /// A chunk of table `t` starts loading.
    pub(crate) fn started(&self, t: usize) {
        if let Ok(mut v) = self.tables.lock() {
            v[t].in_flight += 1;
        }
    }

    /// A chunk of table `t` committed (`ok`) or was rolled back.
    pub(crate) fn finished(&self, t: usize, ok: bool) {
        if let Ok(mut v) = self.tables.lock() {
            v[t].in_flight -= 1;
            if ok {
                v[t].done += 1;
            }
        }
    }

    /// `error`, with what the target now holds.
    pub(crate) fn explain(&self, error: Error) -> Error {
        let Ok(v) = self.tables.lock() else { return error };
        let names = |f: &dyn Fn(&Entry) -> bool| -> Vec<String> {
            v.iter().filter(|e| f(e)).map(|e| e.table.to_string()).collect()
        };
        Error::PartlyLoaded {
            error: Box::new(error),
            loaded: names(&|e| e.done == e.chunks),
            partly: names(&|e| e.done > 0 && e.done < e.chunks && e.in_flight == 0),
            uncertain: names(&|e| e.in_flight > 0),
            not_loaded: names(&|e| e.done == 0 && e.in_flight == 0),
        }
    }
}
