//! Excel formulas: finding their references (for validation) and computing
//! cached results for the common cases.

mod eval;
mod parse;

pub(crate) use eval::Evaluator;
pub(crate) use parse::references;
