//! Arguments shown as one line that pastes into a shell as it is.

/// Joins argv for display so that it can be pasted into a shell as it is.
pub fn shell_join<I, S>(argv: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    argv.into_iter()
        .map(|arg| shell_quote(arg.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Quotes one word for a POSIX shell only when it needs it, so that the usual
/// `--endpoints=https://10.0.0.1:2379` stays readable.
fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_words_that_need_it() {
        assert_eq!(
            shell_join([
                "etcdctl",
                "--endpoints=https://10.0.0.1:2379,https://h:2379",
                "it's",
                ""
            ]),
            r"etcdctl --endpoints=https://10.0.0.1:2379,https://h:2379 'it'\''s' ''"
        );
    }
}
