import SluiceCore
import SluiceWatch
import Testing

@Suite struct GlobAndIgnoreTests {
    @Test(arguments: [
        ("*.md", "a.md", true), ("*.md", "deep/er/a.md", true), ("*.md", "a.mdx", false),
        ("docs/*.md", "docs/a.md", true), ("docs/*.md", "x/docs/a.md", false), ("docs/*.md", "docs/x/a.md", false),
        ("docs/**/*.md", "docs/a.md", true), ("docs/**/*.md", "docs/x/y/a.md", true), ("**/tmp/*", "a/tmp/b", true),
        ("/top.txt", "top.txt", true), ("/top.txt", "x/top.txt", false), ("file?.txt", "file1.txt", true),
        ("file?.txt", "file10.txt", false), ("[ab]*.txt", "b1.txt", true), ("[!ab]*.txt", "b1.txt", false),
        ("[a-c]x", "bx", true), ("réunion*", "réunion 2026.md", true),
    ])
    func globMatching(pattern: String, path: String, expected: Bool) throws {
        #expect(try GlobPattern(pattern).matches(path, isDirectory: false) == expected)
    }

    @Test func directoryPatternsMatchOnlyFolders() throws {
        let pattern = try GlobPattern("drafts/")
        #expect(pattern.matches("drafts", isDirectory: true))
        #expect(pattern.matches("a/drafts", isDirectory: true))
        #expect(!pattern.matches("drafts", isDirectory: false))
    }

    @Test func badPatternsAreRejectedWithAReason() {
        #expect(throws: SluiceError.self) { try GlobPattern("  ") }
        #expect(throws: SluiceError.self) { try GlobPattern("[abc") }
        var rules = IgnoreRules()
        #expect(throws: SluiceError.self) { try rules.addIgnoreFile("*.log\n!keep.log\n", name: ".sluiceignore") }
    }

    @Test func hiddenAndTemporaryNamesAreIgnored() {
        for name in [".git", ".env", ".#lock", "notes.md.swp", "a.txt~", "x.tmp", "big.part", "f.crdownload", "#auto#"] {
            #expect(IgnoreRules.isIgnoredName(name), "\(name)")
        }
        for name in ["notes.md", "tmp", "partial.md", "a~b.txt"] {
            #expect(!IgnoreRules.isIgnoredName(name), "\(name)")
        }
    }

    @Test func includeAndExcludeCombine() throws {
        var rules = IgnoreRules(include: [try GlobPattern("*.md")], exclude: [try GlobPattern("drafts/")])
        try rules.addIgnoreFile("# comment\n\n*.secret.md\n", name: ".sluiceignore")
        #expect(rules.includesFile("a/b.md"))
        #expect(!rules.includesFile("a/b.txt"), "not included")
        #expect(!rules.includesFile("x.secret.md"), "excluded by the ignore file")
        #expect(!rules.includesDirectory("a/drafts"))
        #expect(rules.includesDirectory("a/final"))
    }
}
