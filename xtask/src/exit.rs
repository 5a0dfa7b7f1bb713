//! Exit codes of `cargo xtask`, so a script (or CI) can tell "the article's claims did not come out
//! as expected" from "something went wrong" without reading the message.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done (a walkthrough: every claim came out as expected) |
//! | 1 | an operational error: bad input, the engine, a failed step; one `error:` line says the fix |
//! | 2 | the command line could not be parsed (clap's usage error) |
//! | 3 | a walkthrough ran to the end, and some claims did not come out as expected |
//! | 130 | interrupted (Ctrl-C, SIGTERM); what the run made is removed |
//! | 141 | stdout was closed by its reader (`| head`), as SIGPIPE would end a shell tool |

use std::fmt;

pub const OPERATIONAL: i32 = 1;
/// clap exits with this on a command line it cannot parse; nothing of ours may reuse it.
pub const USAGE: i32 = 2;
pub const CLAIMS_NOT_AS_EXPECTED: i32 = 3;
pub const INTERRUPTED: i32 = 130;
pub const CLOSED_PIPE: i32 = 141;

/// A walkthrough that ran every step but whose verdicts are not all as expected: the engine
/// showed something the article (or the corrected recipe) did not lead us to expect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimsNotAsExpected {
    pub count: usize,
}

impl fmt::Display for ClaimsNotAsExpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} claim(s) did not come out as expected: see the verdicts above",
            self.count
        )
    }
}

impl std::error::Error for ClaimsNotAsExpected {}

/// The exit code for an error a task returned (also when context was added on top of it).
pub fn code_for(error: &anyhow::Error) -> i32 {
    if error.chain().any(|cause| cause.is::<ClaimsNotAsExpected>()) {
        CLAIMS_NOT_AS_EXPECTED
    } else {
        OPERATIONAL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_not_as_expected_have_their_own_code() {
        let claims = anyhow::Error::new(ClaimsNotAsExpected { count: 2 });
        assert_eq!(
            claims.to_string(),
            "2 claim(s) did not come out as expected: see the verdicts above"
        );
        assert_eq!(code_for(&claims), CLAIMS_NOT_AS_EXPECTED);
        let wrapped =
            anyhow::Error::new(ClaimsNotAsExpected { count: 1 }).context("walkthrough mysql");
        assert_eq!(code_for(&wrapped), CLAIMS_NOT_AS_EXPECTED);
        assert_eq!(
            code_for(&anyhow::anyhow!("the Docker engine does not answer")),
            OPERATIONAL
        );
    }

    #[test]
    fn the_codes_are_distinct() {
        let codes = [
            0,
            OPERATIONAL,
            USAGE,
            CLAIMS_NOT_AS_EXPECTED,
            INTERRUPTED,
            CLOSED_PIPE,
        ];
        let mut unique = codes.to_vec();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
    }
}
