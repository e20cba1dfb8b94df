//! Rows computed one per turn of the browser's event loop: the lock and balance pages' tables
//! that run every variant (or strategy) of a scenario without a trace. Each row is a whole run,
//! tens of milliseconds; yielding between rows keeps the page responsive and lets the table
//! grow as the rows arrive.

use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The rows so far, or why they stopped.
pub struct Stepped<R> {
    pub rows: Vec<R>,
    pub error: Option<String>,
    pub started: bool,
    total: usize,
}

impl<R> Stepped<R> {
    /// Started and neither finished nor stopped by an error.
    pub fn running(&self) -> bool {
        self.started && self.error.is_none() && self.rows.len() < self.total
    }
}

/// One row: its index in `0..total`, its result or the message to show instead.
pub type Job<R> = Rc<dyn Fn(usize) -> Result<R, String>>;

/// The state of a stepped table of `total` rows and the callback that (re)starts it. Dropping the
/// component drops the pending timeout, which cancels it.
#[hook]
pub fn use_stepped<R: 'static>(total: usize, job: Job<R>) -> (Rc<RefCell<Stepped<R>>>, Callback<MouseEvent>) {
    let progress = use_mut_ref(|| Stepped { rows: Vec::new(), error: None, started: false, total });
    let timer = use_mut_ref(|| None::<Timeout>);
    let redraw = use_state(|| 0u64);
    let start = {
        let (progress, timer, redraw) = (progress.clone(), timer.clone(), redraw.clone());
        Callback::from(move |_| {
            *progress.borrow_mut() = Stepped { rows: Vec::new(), error: None, started: true, total };
            next(job.clone(), progress.clone(), timer.clone(), redraw.clone());
        })
    };
    (progress, start)
}

/// Computes the next row, redraws, then yields to the browser before the one after.
fn next<R: 'static>(
    job: Job<R>,
    progress: Rc<RefCell<Stepped<R>>>,
    timer: Rc<RefCell<Option<Timeout>>>,
    redraw: UseStateHandle<u64>,
) {
    let more = {
        let mut state = progress.borrow_mut();
        if state.rows.len() < state.total {
            match job(state.rows.len()) {
                Ok(row) => state.rows.push(row),
                Err(e) => state.error = Some(e),
            }
        }
        state.running()
    };
    redraw.set(*redraw + 1);
    if more {
        let again = timer.clone();
        *timer.borrow_mut() = Some(Timeout::new(0, move || next(job, progress, again, redraw)));
    }
}
