// A counting allocator needs unsafe by nature; measurement only.
#![allow(unsafe_code)]
//! Measures peak heap use of validate and of a full run (parse, validate,
//! generate) for a sheet of a 10-cell header and N numeric and text cells, to size the limits in
//! `src/limits.rs` and the description.
//!
//! Usage: `cargo run -p kiln-plugin-xlsx --release --example bench_memory -- [cells]`
//! Prints `cells=N spec_bytes=B parse_peak_bytes=P validate_peak_bytes=V generate_peak_bytes=G`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

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

fn peak_of(f: impl FnOnce()) -> usize {
    let base = NOW.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed) - base
}

fn main() {
    let cells: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(124_990);
    let columns = 10;
    let mut spec = String::from(
        r#"{"sheets":[{"name":"Data","header":["A","B","C","D","E","F","G","H","I","J"],"rows":["#,
    );
    for r in 0..cells / columns {
        if r > 0 {
            spec.push(',');
        }
        spec.push('[');
        for c in 0..columns {
            if c > 0 {
                spec.push(',');
            }
            if c % 2 == 0 {
                spec.push_str(&format!("{}", r * columns + c));
            } else {
                spec.push_str(&format!("\"item {r}-{c}\""));
            }
        }
        spec.push(']');
    }
    spec.push_str("]}]}");
    let parse = peak_of(|| {
        kiln_plugin_sdk::spec::parse::<kiln_plugin_xlsx::Spec>(&spec).expect("parses");
    });
    let validate = peak_of(|| {
        let v = kiln_plugin_sdk::testing::validate::<kiln_plugin_xlsx::Xlsx>(&spec);
        assert!(v.is_empty(), "{v:?}");
    });
    let generate = peak_of(|| {
        kiln_plugin_sdk::testing::run::<kiln_plugin_xlsx::Xlsx>(&spec, &[]).expect("generates");
    });
    println!(
        "cells={cells} spec_bytes={} parse_peak_bytes={parse} validate_peak_bytes={validate} generate_peak_bytes={generate}",
        spec.len()
    );
}
