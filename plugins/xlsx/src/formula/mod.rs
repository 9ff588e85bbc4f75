//! Excel formulas: checking their syntax and function names, finding their
//! references (for validation) and computing cached results for the common
//! cases.

mod eval;
mod functions;
mod parse;
mod syntax;

pub(crate) use eval::{Evaluator, Val, format_number};
pub(crate) use parse::references;
pub(crate) use syntax::check as check_syntax;
