//! Rules as data: the file format every pack and config layer is written in, and the
//! built-in packs embedded at build time. Loading and merging them is `config`'s.

pub mod builtin;
pub mod model;
pub mod spanned;
