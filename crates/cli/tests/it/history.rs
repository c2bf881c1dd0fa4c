//! (filled in by the demo history work)
