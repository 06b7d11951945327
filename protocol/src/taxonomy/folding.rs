//! Folding of skill names into matching keys, and cleaning of free tags.

/// Symbols that carry meaning in skill names ("C++", "C#", "R&D"): they fold
/// to a word instead of being dropped as separators.
const SYMBOL_WORDS: [(char, &str); 3] = [('+', "plus"), ('#', "sharp"), ('&', "and")];

/// Folds a skill name into the key used for matching.
///
/// The rules, applied character by character:
///
/// 1. Letters and digits (Unicode alphanumerics) are kept, lower-cased with
///    Unicode lower-casing. Accents are not stripped ("café" ≠ "cafe").
/// 2. `+` becomes `plus`, `#` becomes `sharp` and `&` becomes `and`, so "C",
///    "C++" and "C#" fold to `c`, `cplusplus` and `csharp`, and "C plus plus"
///    folds like "C++".
/// 3. A `.` that starts the name (after any leading separators) and is
///    followed by a letter or digit becomes `dot`: ".NET" folds to `dotnet`
///    (like "dotnet"), so it does not collide with "net".
/// 4. Everything else (whitespace, other punctuation, and any other `.`, as in
///    "ASP.NET", "ASP .NET" or "Node.js") is a separator and is dropped:
///    "Java Script", "javascript", "JavaScript!" and " java-script " all fold
///    to `javascript`.
///
/// A name made only of separators folds to the empty string.
pub fn fold(name: &str) -> String {
    fold_with_word_starts(name).0
}

/// Folds `name` like [`fold`] and also returns the byte offsets in the key at
/// which a word other than the first begins (a word begins after a separator).
pub(super) fn fold_with_word_starts(name: &str) -> (String, Vec<usize>) {
    let mut folder = Folder::default();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        let next_is_alphanumeric = chars.peek().is_some_and(|n| n.is_alphanumeric());
        folder.push(c, next_is_alphanumeric);
    }
    (folder.key, folder.word_starts)
}

/// Accumulates a folded key; `in_word` is false at the start and after a separator.
#[derive(Default)]
struct Folder {
    key: String,
    word_starts: Vec<usize>,
    in_word: bool,
}

impl Folder {
    fn push(&mut self, c: char, next_is_alphanumeric: bool) {
        if c.is_alphanumeric() {
            self.start_word();
            self.key.extend(c.to_lowercase());
        } else if let Some(word) = symbol_word(c) {
            self.start_word();
            self.key.push_str(word);
        } else if c == '.' && self.key.is_empty() && next_is_alphanumeric {
            self.start_word();
            self.key.push_str("dot");
        } else {
            self.in_word = false;
        }
    }

    fn start_word(&mut self) {
        if !self.in_word && !self.key.is_empty() {
            self.word_starts.push(self.key.len());
        }
        self.in_word = true;
    }
}

fn symbol_word(c: char) -> Option<&'static str> {
    SYMBOL_WORDS
        .iter()
        .find(|(symbol, _)| *symbol == c)
        .map(|(_, word)| *word)
}

/// Cleans a name kept as a free tag: trims it and collapses every run of
/// whitespace or control characters into one space, keeping the original case.
pub(super) fn clean_free_tag(name: &str) -> String {
    name.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_case_and_punctuation_do_not_matter() {
        for name in ["Java Script", "javascript", "JavaScript!", " java-script "] {
            assert_eq!(fold(name), "javascript", "{name:?}");
        }
    }

    #[test]
    fn c_and_c_plus_plus_do_not_collide() {
        let keys = [fold("C"), fold("C++"), fold("C#"), fold("F#")];
        assert_eq!(keys, ["c", "cplusplus", "csharp", "fsharp"]);
    }

    #[test]
    fn spelled_out_symbols_fold_like_the_symbols() {
        assert_eq!(fold("C plus plus"), fold("c++"));
        assert_eq!(fold("c sharp"), fold("C#"));
        assert_eq!(fold("Health & safety"), fold("health and safety"));
    }

    #[test]
    fn a_leading_dot_is_kept_as_dot_so_dot_net_is_not_net() {
        assert_eq!(fold(".NET"), "dotnet");
        assert_eq!(fold("dotnet"), "dotnet");
        assert_ne!(fold(".NET"), fold("net"));
        assert_eq!(fold(" .net core"), "dotnetcore");
    }

    #[test]
    fn an_inner_dot_is_a_separator() {
        assert_eq!(fold("ASP.NET"), "aspnet");
        assert_eq!(fold("ASP .NET"), "aspnet");
        assert_eq!(fold("Visual Studio .NET"), "visualstudionet");
        assert_eq!(fold("Node.js"), fold("nodejs"));
        assert_eq!(fold("v1.2"), "v12");
    }

    #[test]
    fn unicode_is_lower_cased_but_accents_are_kept() {
        assert_eq!(fold("ÉCOLE Numérique"), "écolenumérique");
        assert_ne!(fold("café"), fold("cafe"));
    }

    #[test]
    fn non_breaking_spaces_and_typographic_punctuation_are_separators() {
        assert_eq!(fold("use\u{a0}GPS"), "usegps");
        assert_eq!(fold("computer–telephone"), "computertelephone");
        assert_eq!(fold("Ignite’s"), "ignites");
    }

    #[test]
    fn separators_only_fold_to_nothing() {
        assert_eq!(fold(""), "");
        assert_eq!(fold(" -- . !"), "");
    }

    #[test]
    fn word_starts_mark_the_words_after_the_first() {
        let (key, starts) = fold_with_word_starts("ICT project-management");
        assert_eq!(key, "ictprojectmanagement");
        assert_eq!(starts, [3, 10]);
        assert_eq!(fold_with_word_starts(" C++ ").1, Vec::<usize>::new());
    }

    #[test]
    fn free_tags_keep_case_and_collapse_whitespace() {
        assert_eq!(
            clean_free_tag("  Pottery \t wheel\nthrowing "),
            "Pottery wheel throwing"
        );
        assert_eq!(clean_free_tag("a\u{0}b"), "a b");
    }
}
