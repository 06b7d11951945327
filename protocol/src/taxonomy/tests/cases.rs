//! The cases members tripped over (issue 16), on the embedded data: what
//! each name is, and which searches find it.

use super::*;

/// Whether a co-op that typed `listed` is found by a search for `asked`.
fn found(listed: &str, asked: &str) -> bool {
    let taxonomy = Taxonomy::esco();
    let skill = taxonomy.resolve(listed).unwrap();
    taxonomy
        .terms(&skill)
        .contains(&taxonomy.key(asked).unwrap())
}

#[test]
fn narrow_names_are_found_by_themselves_not_by_their_siblings() {
    for (listed, asked, expected) in [
        ("Lua", "Lua", true),
        ("Lua", "Bash", false),
        ("Bash", "PowerShell", false),
        ("PowerShell", "powershell", true),
        ("Visual Basic", "awk", false),
        ("Fortran", "Lua", false),
        ("HTML", "HTML", true),
        ("html5", "HTML", true),
        ("CSS", "CSS", true),
        ("css3", "CSS", true),
        ("D3.js", "D3.js", true),
        ("d3", "D3.js", true),
        ("ASP.NET", "ASP.NET", true),
        ("asp .net", "ASP.NET", true),
        ("Django", "django", true),
        ("React", "reactjs", true),
        ("Kubernetes", "k8s", true),
        ("Sysadmin", "Sysadmin", true),
        ("Web Design", "web design", true),
        ("Python", "Python", true),
        ("Python (computer programming)", "python", true),
    ] {
        assert_eq!(found(listed, asked), expected, "{listed} asked as {asked}");
    }
}

#[test]
fn broad_concepts_find_the_narrower_skills() {
    for (listed, asked) in [
        ("Lua", "computer programming"),
        ("Bash", "computer programming"),
        ("Python", "computer programming"),
        ("PHP", "computer programming"),
        ("HTML", "use markup languages"),
        ("Sysadmin", "administer ICT system"),
        ("React", "JavaScript Framework"),
        ("Django", "Python"),
    ] {
        assert!(found(listed, asked), "{listed} is not found by {asked}");
    }
}

#[test]
fn names_are_never_replaced_and_never_merged_by_their_concept() {
    let taxonomy = Taxonomy::esco();
    let keys: Vec<String> = [
        "Bash",
        "PowerShell",
        "Lua",
        "Visual Basic",
        "awk",
        "Fortran",
    ]
    .iter()
    .map(|name| taxonomy.key(name).unwrap())
    .collect();
    let unique: std::collections::HashSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "{keys:?}");
    for typed in ["Sysadmin", "Web Design", "HTML", "Lua"] {
        assert_eq!(taxonomy.resolve(typed).unwrap().name, typed);
    }
}
