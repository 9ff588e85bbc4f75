// A counting allocator needs unsafe by nature; measurement only.
#![allow(unsafe_code)]
//! Validate's peak memory for the largest spec the plugin accepts, measured
//! natively with a counting global allocator (as `examples/bench_memory.rs`
//! does). A test binary of its own: the allocator counts every allocation
//! of the process, and the one test here runs alone in it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use kiln_plugin_sdk::testing;
use kiln_plugin_xlsx::Xlsx;

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The documented limit (`src/limits.rs`, `src/description.md`).
const MAX_CELLS: usize = 125_000;
/// What validate may use of the host's 64 MiB validation budget.
const BOUND: usize = 48 << 20;
const COLUMNS: usize = 10;

/// A sheet with a 10-cell header and rows of 10 alternating numbers and
/// short texts, `cells` cells in all; a last, shorter row makes up the rest.
fn spec_with(cells: usize) -> String {
    let mut spec = String::from(
        r#"{"sheets":[{"name":"Data","header":["A","B","C","D","E","F","G","H","I","J"],"rows":["#,
    );
    let mut left = cells - COLUMNS;
    let mut r = 0;
    while left > 0 {
        if r > 0 {
            spec.push(',');
        }
        spec.push('[');
        for c in 0..COLUMNS.min(left) {
            if c > 0 {
                spec.push(',');
            }
            if c % 2 == 0 {
                spec.push_str(&format!("{}", r * COLUMNS + c));
            } else {
                spec.push_str(&format!("\"item {r}-{c}\""));
            }
        }
        spec.push(']');
        left -= COLUMNS.min(left);
        r += 1;
    }
    spec.push_str("]}]}");
    spec
}

fn peak_of<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let base = NOW.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (PEAK.load(Ordering::Relaxed) - base, out)
}

#[test]
fn validating_the_largest_accepted_spec_fits_the_budget_and_one_cell_more_is_refused() {
    let largest = spec_with(MAX_CELLS);
    let (peak, violations) = peak_of(|| testing::validate::<Xlsx>(&largest));
    assert_eq!(violations, []);
    assert!(
        peak < BOUND,
        "validate peaked at {peak} bytes for {MAX_CELLS} cells; the bound is {BOUND}"
    );

    let over = spec_with(MAX_CELLS + 1);
    let violations = testing::validate::<Xlsx>(&over);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].pointer, "/sheets/0/rows");
    assert!(violations[0].message.contains("125001 cells"), "{}", violations[0].message);
}
