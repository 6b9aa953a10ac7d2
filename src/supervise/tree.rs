//! The traced tree as the tracer knows it: every live thread id with its thread group
//! and the process that created that group, plus the new threads whose first stop
//! arrived before their creator's fork/vfork/clone event ("early" ones, left stopped
//! until that event tells us who they are).
//!
//! Invariants: a tid is in `tasks` from its creator's event (or seize, for the first
//! program) until its exit is reaped, or until an exec by another thread of its group
//! made it vanish; a tid is never in both `tasks` and `early`.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Task {
    /// The thread group (process) this thread belongs to.
    pub tgid: i32,
    /// The process that created the thread group, `None` for the first program.
    pub parent: Option<i32>,
}

#[derive(Debug, Default)]
pub(crate) struct Tree {
    tasks: HashMap<i32, Task>,
    /// tid → the stop signal of its first stop, for tids not yet announced.
    early: HashMap<i32, i32>,
}

impl Tree {
    pub(crate) fn new(first: i32) -> Tree {
        let mut tree = Tree::default();
        tree.tasks.insert(
            first,
            Task {
                tgid: first,
                parent: None,
            },
        );
        tree
    }

    pub(crate) fn knows(&self, tid: i32) -> bool {
        self.tasks.contains_key(&tid)
    }

    pub(crate) fn task(&self, tid: i32) -> Option<Task> {
        self.tasks.get(&tid).copied()
    }

    /// An unannounced tid stopped for the first time with `sig`: keep it stopped.
    pub(crate) fn park(&mut self, tid: i32, sig: i32) {
        self.early.insert(tid, sig);
    }

    /// `creator` made `child` (a thread of its own group when `thread`). Returns the
    /// first-stop signal if the child was parked and must now be resumed.
    pub(crate) fn born(&mut self, creator: i32, child: i32, thread: bool) -> Option<i32> {
        let from = self.task(creator).unwrap_or(Task {
            tgid: creator,
            parent: None,
        });
        let task = if thread {
            from
        } else {
            Task {
                tgid: child,
                parent: Some(from.tgid),
            }
        };
        self.tasks.insert(child, task);
        self.early.remove(&child)
    }

    /// Thread group `pid` finished an exec begun by thread `former` (== pid for the
    /// leader): `former`'s id vanished into `pid`. Returns the group's creator.
    pub(crate) fn exec(&mut self, pid: i32, former: i32) -> Option<i32> {
        let gone = (former != pid)
            .then(|| self.tasks.remove(&former))
            .flatten();
        let task = self.tasks.get(&pid).copied().or(gone).unwrap_or(Task {
            tgid: pid,
            parent: None,
        });
        let task = Task { tgid: pid, ..task };
        self.tasks.insert(pid, task);
        task.parent
    }

    /// `tid`'s exit was reaped.
    pub(crate) fn gone(&mut self, tid: i32) {
        self.tasks.remove(&tid);
        self.early.remove(&tid);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tasks.is_empty() && self.early.is_empty()
    }

    /// Every process (thread group) in the tree, once each.
    pub(crate) fn processes(&self) -> Vec<i32> {
        let mut pids: Vec<i32> = self.tasks.values().map(|t| t.tgid).collect();
        pids.sort_unstable();
        pids.dedup();
        pids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_reported_before_its_parent_event_waits_for_it() {
        let mut tree = Tree::new(10);
        tree.park(11, libc::SIGTRAP);
        assert!(!tree.knows(11));
        assert_eq!(tree.born(10, 11, false), Some(libc::SIGTRAP));
        assert_eq!(tree.task(11).map(|t| t.parent), Some(Some(10)));
        assert_eq!(tree.born(10, 12, false), None);
    }

    #[test]
    fn threads_share_their_group_and_vanish_at_exec() {
        let mut tree = Tree::new(10);
        tree.born(10, 20, false);
        tree.born(20, 21, true);
        assert_eq!(tree.task(21).map(|t| t.tgid), Some(20));
        // Thread 21 execs: it becomes 20, and 21 is gone without an exit report.
        assert_eq!(tree.exec(20, 21), Some(10));
        assert!(!tree.knows(21));
        assert_eq!(tree.processes(), vec![10, 20]);
        tree.gone(20);
        tree.gone(10);
        assert!(tree.is_empty());
    }
}
